import { createHash } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Server, Socket } from "node:net";
import { TLSSocket, connect as tlsConnect } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import {
  borrowChunk,
  expectStream,
  LARGE_READ_BYTES,
  largeReadCounts,
  readInLargeChunks,
  relayCounts,
  relayInLargeChunks,
  SHARED_READ_BYTES,
  slabCounts,
} from "../src/large-reads.js";
import { testTlsContext } from "./helpers/tls.js";

/*
 * Large reads on real loopback sockets: every byte arrives, in order, in chunks the reader
 * may keep (a shared read buffer reused too early would corrupt kept chunks), bytes that
 * arrive before anyone listens are kept, pause/resume and end behave as with Node's reads.
 */

/** Byte i of a test stream: a pattern with a period that is no power of two. */
function pattern(from: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (from + i) % 251;
  return b;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** Listen on a free loopback port (closed after the test); resolves with the port. */
async function listening(server: Server): Promise<number> {
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as { port: number }).port;
}

/**
 * A server that writes `total` pattern bytes to each connection in writes of `step`, then
 * ends; connection n (from 1) starts its pattern at `offsetOf(n)`.
 */
async function source(total: number, step: number, offsetOf: (n: number) => number = () => 0): Promise<number> {
  let connections = 0;
  return listening(
    createServer((socket) => {
      socket.on("error", () => {});
      const offset = offsetOf(++connections);
      let sent = 0;
      const go = () => {
        while (sent < total) {
          const n = Math.min(step, total - sent);
          const ok = socket.write(pattern(offset + sent, n));
          sent += n;
          if (!ok) return void socket.once("drain", go);
        }
        socket.end();
      };
      go();
    }),
  );
}

async function connected(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  return socket;
}

/**
 * Read a connection to its end, stopping now and then for long enough that the kernel's
 * buffers fill and the relay's writes stay pending (a read buffer reused too early would
 * then be overwritten); the bytes' count and SHA-256.
 */
async function slowSink(port: number): Promise<{ got: number; hash: string }> {
  const sink = await connected(port);
  const hash = createHash("sha256");
  let got = 0;
  let pausedAt = 0;
  const stall = (ms: number) => {
    sink.pause();
    setTimeout(() => sink.resume(), ms);
  };
  stall(150);
  sink.on("data", (c: Buffer) => {
    hash.update(c);
    got += c.length;
    if (got - pausedAt > 2 * 1024 * 1024) {
      pausedAt = got;
      stall(100);
    }
  });
  await once(sink, "end");
  sink.destroy();
  return { got, hash: hash.digest("hex") };
}

describe("readInLargeChunks", () => {
  it("delivers every byte in order in chunks that stay intact, larger than 64 KiB when data is queued", async () => {
    const total = 12 * 1024 * 1024 + 12_345;
    const port = await source(total, 100_000);
    const socket = await connected(port);
    expect(readInLargeChunks(socket)).toBe(true);
    expect(readInLargeChunks(socket)).toBe(true); // idempotent
    const before = { ...largeReadCounts };
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      // a slow reader now and then: the kernel queues several MB meanwhile
      if (chunks.length % 5 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 20);
      }
    });
    await once(socket, "end");
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(total);
    expect(all.equals(pattern(0, total))).toBe(true);
    expect(Math.max(...chunks.map((c) => c.length))).toBeGreaterThan(SHARED_READ_BYTES);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(LARGE_READ_BYTES);
    expect(largeReadCounts.large).toBeGreaterThan(before.large);
    socket.destroy();
  });

  it("keeps bytes that arrive before a data listener is attached", async () => {
    const port = await source(1000, 1000);
    const socket = await connected(port);
    expect(readInLargeChunks(socket)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    await once(socket, "end");
    expect(Buffer.concat(chunks).equals(pattern(0, 1000))).toBe(true);
    socket.destroy();
  });

  it.each([
    ["pipe", (from: Socket, to: Socket) => readInLargeChunks(from) && from.pipe(to) !== null],
    ["relayInLargeChunks", relayInLargeChunks],
  ])("relays through %s to a slow reader with back-pressure, byte for byte", async (_, relayWith) => {
    const total = 8 * 1024 * 1024;
    const port = await source(total, 300_000);
    // relay: each client connection gets the source's bytes through a switched socket
    const relay = createServer(async (client) => {
      const upstream = await connected(port);
      // bytes that arrive before the relay starts go first
      await new Promise((r) => setTimeout(r, 20));
      expect(relayWith(upstream, client)).toBe(true);
    });
    const relayPort = await listening(relay);
    // two sinks at once: they share the free list of large buffers
    const results = await Promise.all([slowSink(relayPort), slowSink(relayPort)]);
    const want = createHash("sha256").update(pattern(0, total)).digest("hex");
    expect(results).toEqual([
      { got: total, hash: want },
      { got: total, hash: want },
    ]);
  });

  it("relays several streams at once through the shared relay buffer; a write that keeps it (slow client) is never overwritten", async () => {
    const total = 6 * 1024 * 1024;
    // each upstream connection sends its own pattern (offset by its number), so bytes of
    // one stream landing in another would be seen
    const upstreamPort = await source(total, 200_000, (n) => 1000 * n);
    const relay = createServer(async (client) => {
      const from = await connected(upstreamPort);
      expect(relayInLargeChunks(from, client)).toBe(true);
    });
    const relayPort = await listening(relay);
    /** A sink that reads everything at once: its stream keeps the relay buffer busy. */
    const fastSink = async () => {
      const sink = await connected(relayPort);
      const chunks: Buffer[] = [];
      sink.on("data", (c: Buffer) => chunks.push(c));
      await once(sink, "end");
      sink.destroy();
      return Buffer.concat(chunks);
    };
    const before = { ...relayCounts };
    const results = await Promise.all([slowSink(relayPort), fastSink(), slowSink(relayPort), fastSink()]);
    // which upstream connection served which sink is not known: each must be one whole pattern
    const hashes = new Set(
      Array.from({ length: 4 }, (_, i) =>
        createHash("sha256")
          .update(pattern(1000 * (i + 1), total))
          .digest("hex"),
      ),
    );
    for (const r of results) {
      const got = Buffer.isBuffer(r) ? { got: r.length, hash: createHash("sha256").update(r).digest("hex") } : r;
      expect(got.got).toBe(total);
      expect(hashes.has(got.hash)).toBe(true);
      hashes.delete(got.hash);
    }
    // the paths this test is about were taken: reads into the relay buffer, and writes that kept it
    expect(relayCounts.reads).toBeGreaterThan(before.reads);
    expect(relayCounts.keptByWrite).toBeGreaterThan(before.keptByWrite);
  });

  it("relays to a TLS client by copying: the relay buffer is never lent to a TLS write", async () => {
    // A TLS write never completes synchronously, so every read into the shared relay buffer
    // would be kept by it (another 1 MiB taken, every other stream pointed back at the
    // 64 KiB buffer, one more native read listener on each). TLS copies while encrypting
    // anyway: a relay to a TLS client reads into the 64 KiB buffer and copies.
    const total = 16 * 1024 * 1024;
    const upstreamPort = await source(total, 200_000);
    const secureContext = testTlsContext();
    const relay = createServer((socket) => {
      const client = new TLSSocket(socket, { isServer: true, secureContext });
      client.on("error", () => {});
      client.once("secure", async () => {
        const from = await connected(upstreamPort);
        expect(relayInLargeChunks(from, client)).toBe(true);
      });
    });
    const relayPort = await listening(relay);
    const before = { ...relayCounts };
    const sink = tlsConnect({
      port: relayPort,
      host: "127.0.0.1",
      rejectUnauthorized: false,
    });
    const hash = createHash("sha256");
    let got = 0;
    sink.on("data", (c: Buffer) => {
      hash.update(c);
      got += c.length;
    });
    await once(sink, "end");
    sink.destroy();
    expect(got).toBe(total);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(pattern(0, total)).digest("hex"));
    expect(relayCounts.reads - before.reads).toBe(0);
    expect(relayCounts.keptByWrite - before.keptByWrite).toBe(0);
  });

  /**
   * A server that writes `head` bytes, then after 50 ms `rest` more, then ends (a response
   * whose literal starts in the first read, the body streaming after it).
   */
  async function twoBursts(head: number, rest: number): Promise<number> {
    return listening(
      createServer((socket) => {
        socket.on("error", () => {});
        socket.write(pattern(0, head));
        setTimeout(() => socket.end(pattern(head, rest)), 50);
      }),
    );
  }

  /**
   * Read a twoBursts connection, expecting a stream from the first chunk on (as ImapClient
   * does when a literal starts in it); `pauseAtStart` pauses the consumer in that same event
   * for 20 ms. Per chunk: its length and whether it could be borrowed (a slab chunk).
   */
  async function readStream(port: number, pauseAtStart: boolean) {
    const socket = await connected(port);
    expect(readInLargeChunks(socket)).toBe(true);
    const chunks: { length: number; lent: boolean }[] = [];
    const bytes: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => {
      const loan = borrowChunk(socket, chunk);
      chunks.push({ length: chunk.length, lent: loan !== null });
      bytes.push(Buffer.from(chunk));
      loan?.();
      if (chunks.length === 1) {
        expectStream(socket, true);
        if (pauseAtStart) {
          socket.pause();
          setTimeout(() => socket.resume(), 20);
        }
      }
    });
    await once(socket, "end");
    expectStream(socket, false);
    socket.destroy();
    return { chunks, all: Buffer.concat(bytes) };
  }

  it("a stream that starts in a full shared read goes on in the large buffer taken for the next read, as a slab", async () => {
    // The first read fills the 64 KiB shared buffer, so the next read was already pointed at
    // a LARGE buffer when the stream began: that buffer must be read into as the stream's
    // first slab (its chunks lent, the buffer recycled), not given away with its first chunk
    // (a fresh 1 MiB buffer allocated per large FETCH body).
    const head = 100_000;
    const rest = 3 * 1024 * 1024;
    const port = await twoBursts(head, rest);
    let checked = 0;
    for (let attempt = 0; attempt < 8 && checked < 2; attempt++) {
      const { chunks, all } = await readStream(port, false);
      expect(all.equals(pattern(0, head + rest))).toBe(true);
      // (the first read may catch less than 64 KiB of the first burst: then nothing to check)
      if (chunks[0]!.length !== SHARED_READ_BYTES) continue;
      checked++;
      expect(chunks[0]!.lent).toBe(false); // a copy out of the shared buffer
      expect(chunks[1]!.lent).toBe(true); // read into the adopted buffer: a slab chunk
      expect(chunks.slice(1).every((c) => c.lent)).toBe(true);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("a consumer that pauses as the stream begins gets every byte (the adopted buffer is let go)", async () => {
    const head = 100_000;
    const rest = 2 * 1024 * 1024;
    const port = await twoBursts(head, rest);
    for (let i = 0; i < 3; i++) {
      const { all } = await readStream(port, true);
      expect(all.equals(pattern(0, head + rest))).toBe(true);
    }
  });

  /** A server that writes `bursts` bursts of `size` pattern bytes, 15 ms apart, then ends. */
  async function bursts(count: number, size: number): Promise<number> {
    return listening(
      createServer((socket) => {
        socket.on("error", () => {});
        let n = 0;
        const next = () => {
          if (n === count) return void socket.end();
          socket.write(pattern(n * size, size));
          n++;
          setTimeout(next, 15);
        };
        next();
      }),
    );
  }

  /**
   * Stream a bursts() connection, borrowing every chunk; `keep(i)` says whether chunk i's
   * loan stays out until the end (a write still queued), else it ends inside the event (a
   * write the kernel took at once). Per chunk: a copy of its bytes when received, the chunk
   * itself (a view of a slab, when lent), and whether it was lent.
   */
  async function streamBursts(port: number, keep: (i: number) => boolean) {
    const socket = await connected(port);
    expect(readInLargeChunks(socket)).toBe(true);
    const got: { copy: Buffer; chunk: Buffer; lent: boolean }[] = [];
    const kept: (() => void)[] = [];
    expectStream(socket, true);
    socket.on("data", (chunk: Buffer) => {
      const loan = borrowChunk(socket, chunk);
      got.push({ copy: Buffer.from(chunk), chunk, lent: loan !== null });
      if (loan === null) return;
      if (keep(got.length - 1)) kept.push(loan);
      else loan();
    });
    await once(socket, "end");
    expectStream(socket, false);
    socket.destroy();
    return { got, kept };
  }

  it("a slab whose loans are all back takes the next read at its start again (memory still in the cache)", async () => {
    const port = await bursts(6, 200_000);
    const before = slabCounts.rewinds;
    const { got } = await streamBursts(port, () => false);
    expect(Buffer.concat(got.map((g) => g.copy)).equals(pattern(0, 6 * 200_000))).toBe(true);
    const lent = got.filter((g) => g.lent);
    expect(lent.length).toBeGreaterThan(2);
    // every lent read after the first went to the same place: the start of the same slab
    const first = lent[0]!.chunk;
    for (const g of lent.slice(1)) {
      expect(g.chunk.buffer).toBe(first.buffer);
      expect(g.chunk.byteOffset).toBe(first.byteOffset);
    }
    expect(slabCounts.rewinds - before).toBeGreaterThanOrEqual(lent.length - 1);
  });

  it("a slab with a loan out is never rewound: the next reads go after the lent chunk, which keeps its bytes", async () => {
    const port = await bursts(6, 200_000);
    // the first lent chunk's loan stays out (its write is still queued)
    let firstLent = -1;
    const { got, kept } = await streamBursts(port, (i) => {
      if (firstLent < 0) firstLent = i;
      return i === firstLent;
    });
    expect(Buffer.concat(got.map((g) => g.copy)).equals(pattern(0, 6 * 200_000))).toBe(true);
    expect(kept).toHaveLength(1);
    const held = got[firstLent]!;
    // later reads did not overwrite it ...
    expect(held.chunk.equals(held.copy)).toBe(true);
    // ... and none of them went into its bytes
    for (const g of got.slice(firstLent + 1)) {
      if (!g.lent || g.chunk.buffer !== held.chunk.buffer) continue;
      const overlaps =
        g.chunk.byteOffset < held.chunk.byteOffset + held.chunk.length &&
        held.chunk.byteOffset < g.chunk.byteOffset + g.chunk.length;
      expect(overlaps).toBe(false);
    }
    kept[0]!();
  });

  /** A server that writes `total` pattern bytes in 8 KB pieces, one per event-loop turn (as Dovecot writes a body). */
  async function trickle(total: number): Promise<number> {
    return listening(
      createServer((socket) => {
        socket.on("error", () => {});
        let sent = 0;
        const next = () => {
          if (sent >= total) return void socket.end();
          const n = Math.min(8192, total - sent);
          const ok = socket.write(pattern(sent, n));
          sent += n;
          if (ok) setImmediate(next);
          else socket.once("drain", next);
        };
        next();
      }),
    );
  }

  /** Stream one trickle() connection as ImapClient does (loans ended at once); `stall` pauses the consumer now and then. */
  async function streamTrickle(port: number, stall: boolean): Promise<Buffer> {
    const socket = await connected(port);
    expect(readInLargeChunks(socket)).toBe(true);
    const bytes: Buffer[] = [];
    expectStream(socket, true);
    let n = 0;
    socket.on("data", (chunk: Buffer) => {
      bytes.push(Buffer.from(chunk));
      borrowChunk(socket, chunk)?.();
      if (stall && ++n % 5 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 3);
      }
    });
    await once(socket, "end");
    expectStream(socket, false);
    socket.destroy();
    return Buffer.concat(bytes);
  }

  it("slab streams running together pause after a read that drained one, and no read slips into the pause", async () => {
    // Each chunk goes through the socket's readable side (push), whose read-ahead restarts a
    // stopped handle at once unless the pause keeps Node's `reading` flag on: then reads would
    // happen during pauses, and the pause would not make the next read larger.
    const total = 3 * 1024 * 1024;
    const ports = await Promise.all([trickle(total), trickle(total), trickle(total)]);
    const before = { ...slabCounts };
    const all = await Promise.all(ports.map((port) => streamTrickle(port, false)));
    for (const got of all) expect(got.equals(pattern(0, total))).toBe(true);
    expect(slabCounts.pauses - before.pauses).toBeGreaterThan(0);
    expect(slabCounts.readsWhileCoalescing - before.readsWhileCoalescing).toBe(0);
  });

  it("a consumer that pauses and resumes during coalescing pauses gets every byte, and the stream ends", async () => {
    const total = 2 * 1024 * 1024;
    const ports = await Promise.all([trickle(total), trickle(total)]);
    const all = await Promise.all(ports.map((port) => streamTrickle(port, true)));
    for (const got of all) expect(got.equals(pattern(0, total))).toBe(true);
  });

  it("leaves sockets it cannot switch as they are: not connected, TLS", async () => {
    expect(readInLargeChunks(new Socket())).toBe(false);
    const port = await source(0, 1);
    const tls = tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false });
    tls.on("error", () => {});
    expect(readInLargeChunks(tls)).toBe(false);
    tls.destroy();
  });
});
