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

/** A raw connection whose received lines (CRLF-split) accumulate in `lines`. */
export function lineSession(port: number): { lines: string[]; send: (s: string) => void; closed: () => boolean } {
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
  return { lines, send: (s) => socket.write(s), closed: () => isClosed };
}
