import { connect } from "node:net";

/*
 * Test helpers for talking to a running holdfast-proxy daemon over plain sockets: wait for a
 * condition (failing with the daemon's output so far) and a line-splitting IMAP session.
 */

/** Resolves when `predicate()` holds; rejects after `ms` with `context()` (e.g. the daemon's stderr). */
export function waitUntil(predicate: () => boolean, ms: number, context: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) resolve();
      else if (Date.now() - started > ms) reject(new Error(`timed out; stderr so far:\n${context()}`));
      else setTimeout(tick, 25);
    };
    tick();
  });
}

export interface LineSession {
  lines: string[];
  send: (s: string) => void;
  /** Send `tag text` and resolve with the lines from then on, once the tagged answer came (or the connection closed). */
  command: (tag: string, text: string, ms?: number) => Promise<string[]>;
  closed: () => boolean;
  end: () => void;
}

/** A raw connection whose received lines (CRLF-split) accumulate in `lines`. */
export function lineSession(port: number): LineSession {
  const socket = connect(port, "127.0.0.1");
  const lines: string[] = [];
  let buffer = "";
  let isClosed = false;
  socket.setEncoding("latin1");
  socket.on("data", (d: string) => {
    buffer += d;
    let i = buffer.indexOf("\r\n");
    while (i >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 2);
      i = buffer.indexOf("\r\n");
    }
  });
  socket.on("close", () => {
    isClosed = true;
  });
  socket.on("error", () => {});
  const command = async (tag: string, text: string, ms = 10_000) => {
    const from = lines.length;
    socket.write(`${tag} ${text}\r\n`);
    await waitUntil(
      () => lines.slice(from).some((l) => l.startsWith(`${tag} `)) || isClosed,
      ms,
      () => `(waiting for ${tag}) lines so far:\n${lines.slice(from).join("\n")}`,
    );
    return lines.slice(from);
  };
  return { lines, send: (s) => socket.write(s), command, closed: () => isClosed, end: () => socket.destroy() };
}
