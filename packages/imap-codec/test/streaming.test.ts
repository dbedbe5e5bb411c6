import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, test } from "vitest";
import {
  CommandParser,
  EncodeError,
  encodeResponse,
  type LiteralSource,
  type Response,
  ResponseParser,
  type ResponseParserEvent,
  responseChunks,
  responseStream,
  writeResponse,
} from "../src/index.js";

function fetchWithBody(size: number, source: AsyncIterable<Buffer>): Response {
  const value: LiteralSource = { size, source };
  return {
    kind: "untagged",
    data: {
      type: "FETCH",
      seq: 7,
      items: [
        { name: "UID", value: 42 },
        { name: "BODY[]", section: { part: [] }, value },
        { name: "FLAGS", value: ["\\Seen"] },
      ],
    },
  };
}

/** A lazily generated body; counts how many bytes were pulled from it. */
function countingSource(chunks: number, chunkSize: number) {
  const state = { pulled: 0 };
  async function* gen() {
    for (let i = 0; i < chunks; i++) {
      state.pulled += chunkSize;
      yield Buffer.alloc(chunkSize, 0x61 + (i % 26));
    }
  }
  return { state, source: gen() };
}

describe("response encoder streams literal bodies with back-pressure", () => {
  test("writeResponse waits for drain: the source is never read far ahead of the consumer", async () => {
    const { state, source } = countingSource(200, 16 * 1024);
    let consumed = 0;
    let maxAhead = 0;
    const sink = new Writable({
      highWaterMark: 32 * 1024,
      write(chunk: Buffer, _enc, cb) {
        consumed += chunk.length;
        maxAhead = Math.max(maxAhead, state.pulled - consumed);
        setImmediate(cb); // a slow peer
      },
    });
    await writeResponse(sink, fetchWithBody(200 * 16 * 1024, source));
    expect(consumed).toBeGreaterThan(200 * 16 * 1024);
    expect(maxAhead).toBeLessThanOrEqual(64 * 1024);
  });

  test("responseStream gives the exact bytes, which parse back with the body streamed", async () => {
    const { source } = countingSource(10, 1000);
    const out: Buffer[] = [];
    await pipeline(
      responseStream(fetchWithBody(10_000, source)),
      new Writable({
        write(chunk: Buffer, _e, cb) {
          out.push(chunk);
          cb();
        },
      }),
    );
    const wire = Buffer.concat(out);
    expect(wire.subarray(0, 40).toString()).toBe("* 7 FETCH (UID 42 BODY[] {10000}\r\naaaaaa");
    expect(wire.subarray(-18).toString()).toBe("j FLAGS (\\Seen))\r\n");
    const p = new ResponseParser();
    const events = p.push(wire);
    const body = events
      .filter((e) => e.type === "literal-chunk")
      .reduce((n, e) => n + (e as { chunk: Buffer }).chunk.length, 0);
    expect(body).toBe(10_000);
    expect(events.at(-1)).toMatchObject({ type: "response", response: { data: { type: "FETCH", seq: 7 } } });
  });

  test("a source that lies about its length is an error, not a corrupt stream", async () => {
    const short = fetchWithBody(100, Readable.from([Buffer.alloc(50)]));
    await expect(async () => {
      for await (const _ of responseChunks(short)) {
        // drain
      }
    }).rejects.toThrow(EncodeError);
    const long = fetchWithBody(10, Readable.from([Buffer.alloc(50)]));
    await expect(writeResponse(new Writable({ write: (_c, _e, cb) => cb() }), long)).rejects.toThrow(/more than/);
    expect(() => encodeResponse(fetchWithBody(1, Readable.from([Buffer.alloc(1)])))).toThrow(EncodeError);
  });
});

/** Proxy path: parse a FETCH from a backend, re-encode it to a client, body streamed through. */
async function* relay(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  const parser = new ResponseParser();
  let pending: ResponseParserEvent[] = [];
  let idx = 0;
  const next = async (): Promise<ResponseParserEvent | null> => {
    while (idx >= pending.length) {
      const r = await it.next();
      if (r.done) return null;
      pending = parser.push(r.value);
      idx = 0;
    }
    return pending[idx++]!;
  };
  for (;;) {
    const ev = await next();
    if (ev === null) return;
    if (ev.type !== "literal-start") continue;
    const body: LiteralSource = {
      size: ev.size,
      source: (async function* () {
        for (;;) {
          const e = await next();
          if (e === null || e.type === "literal-end") return;
          if (e.type === "literal-chunk") yield e.chunk;
        }
      })(),
    };
    yield* responseChunks({
      kind: "untagged",
      data: { type: "FETCH", seq: ev.seq, items: [{ name: "BODY[]", section: { part: [] }, value: body }] },
    });
  }
}

describe("end-to-end streaming without accumulation", () => {
  test("an 8 MB FETCH body is relayed in input-sized pieces", async () => {
    const size = 8 * 1024 * 1024;
    const chunk = 64 * 1024;
    async function* backend() {
      yield Buffer.from(`* 3 FETCH (BODY[] {${size}}\r\n`);
      for (let sent = 0; sent < size; sent += chunk) yield Buffer.alloc(Math.min(chunk, size - sent), 0x78);
      yield Buffer.from(")\r\n");
    }
    let total = 0;
    let biggest = 0;
    for await (const piece of relay(backend())) {
      total += piece.length;
      biggest = Math.max(biggest, piece.length);
    }
    expect(total).toBe(size + `* 3 FETCH (BODY[] {${size}}\r\n)\r\n`.length);
    expect(biggest).toBeLessThanOrEqual(chunk);
  });

  test("APPEND message chunks are zero-copy slices of the input", () => {
    const p = new CommandParser({ literalPlus: true });
    const head = p.push(Buffer.from("A1 APPEND INBOX {200000+}\r\n"));
    expect(head.map((e) => e.type)).toEqual(["append-message"]);
    let got = 0;
    for (let i = 0; i < 4; i++) {
      const input = Buffer.alloc(50_000, 0x41);
      for (const ev of p.push(input)) {
        if (ev.type !== "literal-chunk") continue;
        expect(ev.chunk.buffer).toBe(input.buffer);
        got += ev.chunk.length;
      }
    }
    expect(got).toBe(200_000);
    expect(p.push(Buffer.from("\r\n")).map((e) => e.type)).toEqual(["command"]);
  });
});
