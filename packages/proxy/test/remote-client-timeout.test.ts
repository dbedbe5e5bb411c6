import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ImapConnectionError } from "../src/remote/errors.js";
import { ImapClient } from "../src/remote/imap-client.js";

/*
 * ImapClient's command timeout (a watchdog timer armed once per wait, not the socket's own
 * inactivity timeout switched around every command): silence while a command is owed an
 * answer fails the connection after `commandTimeoutMs`; bytes arriving keep it alive; no
 * command in flight, or only IDLE, is never a timeout. The server is a scripted fake on
 * loopback: `onLine` decides what it answers to each line the client sends.
 */

const TIMEOUT_MS = 300;

let server: Server | null = null;
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function fakeServer(onLine: (line: string, socket: Socket) => void): Promise<number> {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.write("* OK [CAPABILITY IMAP4rev1 IDLE] fake ready\r\n");
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      for (let i = buffered.indexOf("\r\n"); i >= 0; i = buffered.indexOf("\r\n")) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 2);
        onLine(line, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function connect(port: number): Promise<ImapClient> {
  return ImapClient.connect({ id: "fake", host: "127.0.0.1", port }, { commandTimeoutMs: TIMEOUT_MS });
}

const tagOf = (line: string) => line.split(" ")[0]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("ImapClient command timeout", () => {
  it("a command left unanswered fails the connection with TIMEOUT, not before the timeout", async () => {
    const port = await fakeServer(() => {}); // never answers
    const client = await connect(port);
    const started = performance.now();
    const error = await client.command({ name: "NOOP" }).catch((e: unknown) => e);
    const waited = performance.now() - started;
    expect(error).toBeInstanceOf(ImapConnectionError);
    expect((error as ImapConnectionError).kind).toBe("TIMEOUT");
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(client.closed).toBe(true);
  });

  it("an answer that keeps coming in (untagged lines) is not cut off, however long it takes in total", async () => {
    const port = await fakeServer((line, socket) => {
      const tag = tagOf(line);
      // 8 lines 100 ms apart: 800 ms in all, never 300 ms of silence
      let n = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        if (++n < 8) socket.write(`* OK still working ${n}\r\n`);
        else {
          clearInterval(timer);
          socket.write(`${tag} OK done\r\n`);
        }
      }, 100);
    });
    const client = await connect(port);
    const result = await client.command({ name: "NOOP" });
    expect(result.text).toBe("done");
    expect(client.closed).toBe(false);
    client.destroy();
  });

  it("silence with no command in flight, or between commands, is not a timeout", async () => {
    const port = await fakeServer((line, socket) => socket.write(`${tagOf(line)} OK fine\r\n`));
    const client = await connect(port);
    await client.command({ name: "NOOP" });
    await sleep(TIMEOUT_MS * 3);
    expect(client.closed).toBe(false);
    // the watchdog armed by the first command must not count the quiet time against the next
    await client.command({ name: "NOOP" });
    await sleep(TIMEOUT_MS / 2);
    await client.command({ name: "NOOP" });
    expect(client.closed).toBe(false);
    client.destroy();
  });

  it("a silent IDLE is not a timeout; a command after DONE is timed again", async () => {
    let idleTag = "";
    let answerNext = true;
    const port = await fakeServer((line, socket) => {
      if (line.endsWith(" IDLE")) {
        idleTag = tagOf(line);
        socket.write("+ idling\r\n");
      } else if (line === "DONE") {
        socket.write(`${idleTag} OK IDLE done\r\n`);
      } else if (answerNext) socket.write(`${tagOf(line)} OK fine\r\n`);
    });
    const client = await connect(port);
    const idle = await client.idle();
    await sleep(TIMEOUT_MS * 3);
    expect(client.closed).toBe(false);
    await idle.done();
    await client.command({ name: "NOOP" });
    answerNext = false;
    const error = await client.command({ name: "NOOP" }).catch((e: unknown) => e);
    expect((error as ImapConnectionError).kind).toBe("TIMEOUT");
  });
});
