import { createHash } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { type DovecotServer, findDovecot, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slabCounts } from "../src/large-reads.js";
import { BodyStream } from "../src/remote/body-stream.js";
import { ImapClient } from "../src/remote/index.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";
import { MESSAGE, wholeBodyFetch } from "./remote-fixtures.js";

/*
 * Streamed FETCH bodies in stateful mode go from the backend's read buffers (reusable slabs,
 * large-reads.ts) to the client socket without a copy, and a slab is reused only once every
 * client write referencing it completed. A slab reused too early would be overwritten by
 * another session's read while its bytes still wait in a client socket's buffer: several
 * slow clients at once, sharing the free list, then see wrong bytes.
 */

/** A body whose bytes depend on the message and the position (period no power of two). */
function body(seed: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = 0x21 + ((i * 7 + seed * 13) % 90);
  for (let i = 998; i < size; i += 1000) b.write("\r\n", i - 2, "latin1");
  return b;
}

describe("BodyStream.writeTo", () => {
  let server: Server;
  let peer: Socket;
  let socket: Socket;

  beforeAll(async () => {
    server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const accepted = once(server, "connection");
    socket = connect((server.address() as { port: number }).port, "127.0.0.1");
    await once(socket, "connect");
    [peer] = (await accepted) as [Socket];
    peer.pause();
  });
  afterAll(async () => {
    socket.destroy();
    peer.destroy();
    await new Promise((r) => server.close(r));
  });

  it("releases a chunk's loan only when its write completed, and pauses/resumes the source around a full socket", async () => {
    // Far more than loopback's socket buffers can take while the peer does not read.
    const size = 64 * 1024 * 1024;
    const stream = new BodyStream(size, 256 * 1024);
    const pressure: boolean[] = [];
    stream.onPressure = (on) => pressure.push(on);
    let released = 0;
    const release = (error?: unknown) => {
      expect(error).toBeFalsy();
      released++;
    };
    const chunk = 512 * 1024;
    const piece = body(1, chunk); // the body is this piece over and over
    const expected = createHash("sha256");
    for (let i = 0; i < size / chunk; i++) expected.update(piece);
    // queued before the writer takes over, then direct writes
    stream.push(piece, release);
    // (more than highWater queued: the source was paused; the writer took it all at once)
    expect(pressure).toEqual([true]);
    const written = stream.writeTo(socket);
    expect(pressure).toEqual([true, false]);
    pressure.length = 0;
    let sent = chunk;
    while (sent < size && !pressure.includes(true)) {
      stream.push(piece, release);
      sent += chunk;
    }
    // The peer reads nothing: the kernel's buffers fill, the rest waits in the socket.
    expect(pressure).toEqual([true]);
    expect(socket.writableLength).toBeGreaterThan(0);
    const pushedSoFar = sent / chunk;
    expect(released).toBeLessThan(pushedSoFar);
    // Reading: every write completes, each loan comes back once, the source may go on.
    const got = createHash("sha256");
    let gotBytes = 0;
    peer.on("data", (c: Buffer) => {
      got.update(c);
      gotBytes += c.length;
    });
    peer.resume();
    while (sent < size) {
      if (pressure.at(-1) === true) {
        await once(socket, "drain");
        continue;
      }
      stream.push(piece, release);
      sent += chunk;
    }
    expect(await written).toBe(size);
    stream.end();
    while (gotBytes < size) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(size / chunk);
    expect(got.digest("hex")).toBe(expected.digest("hex"));
    expect(pressure.at(-1)).toBe(false);
  });

  it("ends a chunk's loan before write() returns when the socket took the bytes at once, and only once", async () => {
    // a connection of its own, read at once
    const accepted = once(server, "connection");
    const writer = connect((server.address() as { port: number }).port, "127.0.0.1");
    await once(writer, "connect");
    const [reader] = (await accepted) as [Socket];
    const got: Buffer[] = [];
    reader.on("data", (c: Buffer) => got.push(c));
    try {
      const stream = new BodyStream(3 * 1000);
      const written = stream.writeTo(writer);
      let released = 0;
      for (let i = 0; i < 3; i++) {
        stream.push(body(i, 1000), () => released++);
        // a small write into an empty socket buffer: the kernel has it already
        expect(writer.writableLength).toBe(0);
        expect(released).toBe(i + 1);
      }
      expect(await written).toBe(3000);
      // the writes' own callbacks come later and must not end the loans again
      await new Promise((r) => setImmediate(r));
      expect(released).toBe(3);
      while (Buffer.concat(got).length < 3000) await new Promise((r) => setTimeout(r, 5));
      expect(Buffer.concat(got).equals(Buffer.concat([body(0, 1000), body(1, 1000), body(2, 1000)]))).toBe(true);
    } finally {
      writer.destroy();
      reader.destroy();
    }
  });

  it("releases loans of chunks it drops (beyond the size, after a failure) and rejects the writer on failure", async () => {
    const stream = new BodyStream(10);
    let released = 0;
    const release = () => released++;
    stream.push(Buffer.from("12345"), release);
    stream.fail(new Error("backend gone"));
    expect(released).toBe(1);
    stream.push(Buffer.from("67890"), release);
    expect(released).toBe(2);
    await expect(stream.writeTo(socket)).rejects.toThrow("backend gone");

    const short = new BodyStream(4);
    short.push(Buffer.from("abcdef"), release); // 2 bytes beyond: a view of the first 4 is kept
    expect(released).toBe(2);
    short.push(Buffer.from("x"), release);
    expect(released).toBe(3);
  });
});

const available = findDovecot() !== undefined;

describe.skipIf(!available)("stateful large bodies from reused read buffers", () => {
  let dovecot: DovecotServer;
  let proxy: RemoteProxy;
  const SIZE = 6 * 1024 * 1024;
  const messages = [1, 2, 3].map((n) => Buffer.concat([MESSAGE(`big ${n}`, ""), body(n, SIZE)]));

  beforeAll(async () => {
    dovecot = await startDovecot({ users: [{ name: "alice", password: "alice-pw" }] });
    const setup = await ImapClient.connect({ id: "d", host: dovecot.host, port: dovecot.port });
    await setup.login("alice", "alice-pw");
    for (const data of messages)
      await setup.command({ name: "APPEND", mailbox: "INBOX", messages: [{ flags: [], data }] });
    await setup.logout();
    proxy = await startRemoteProxy([dovecot]);
  });
  afterAll(async () => {
    await proxy?.stop();
    await dovecot?.stop();
  });

  /** FETCH UID `uid`'s body through the proxy, reading slowly: stalls of `stallMs` every ~1 MB. */
  async function slowFetch(client: ImapClient, uid: number, stallMs: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let sinceStall = 0;
    await client.command(wholeBodyFetch(uid), {
      onLiteral: (ev) => {
        if (ev.type !== "literal-chunk") return;
        chunks.push(Buffer.from(ev.chunk));
        sinceStall += ev.chunk.length;
        if (sinceStall > 1024 * 1024) {
          sinceStall = 0;
          client.pause();
          setTimeout(() => client.resume(), stallMs);
        }
      },
    });
    return Buffer.concat(chunks);
  }

  it("three slow clients at once get every body byte for byte while slabs are recycled", async () => {
    const before = { ...slabCounts };
    const clients = await Promise.all(
      [0, 1, 2].map(async () => {
        const c = await ImapClient.connect(
          { id: "proxy", host: "127.0.0.1", port: proxy.port },
          { streamThreshold: 1 },
        );
        await c.login("alice", "alice-pw");
        await c.command({ name: "SELECT", mailbox: "INBOX", condstore: false });
        return c;
      }),
    );
    const mismatches: string[] = [];
    await Promise.all(
      clients.map(async (c, k) => {
        for (let round = 0; round < 3; round++) {
          const uid = 1 + ((k + round) % 3);
          const got = await slowFetch(c, uid, 20 + 15 * k);
          if (got.length !== messages[uid - 1]!.length || !got.equals(messages[uid - 1]!))
            mismatches.push(`client ${k} round ${round} UID ${uid}: ${got.length} bytes, not the message`);
        }
      }),
    );
    for (const c of clients) await c.logout();
    expect(mismatches).toEqual([]);
    // The path under test ran: reads went into slabs, and slabs went back to the free list.
    expect(slabCounts.reads - before.reads).toBeGreaterThan(20);
    expect(slabCounts.recycled - before.recycled).toBeGreaterThan(3);
  });
});
