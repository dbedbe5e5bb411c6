import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  FRAME_HEADER_SIZE,
  FRAME_OVERHEAD,
  FrameCodec,
  FrameEncodeError,
  type FrameResult,
  frameSize,
  initChecksum,
} from "../src/index.js";

beforeAll(() => initChecksum());

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function all(codec: FrameCodec, data: Uint8Array): FrameResult[] {
  return [...codec.walk(data)];
}

describe("FrameCodec", () => {
  it("decodes what it encodes (property), ending exactly at the end", () => {
    const codec = new FrameCodec({ seed: 42n });
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.integer({ min: 1, max: 255 }), payload: fc.uint8Array({ maxLength: 300 }) }), {
          maxLength: 20,
        }),
        (records) => {
          const data = concat(records.map((r) => codec.encode(r.type, r.payload)));
          const results = all(codec, data);
          expect(results.at(-1)).toEqual({ kind: "end", offset: data.byteLength });
          const decoded = results.slice(0, -1);
          expect(decoded).toHaveLength(records.length);
          decoded.forEach((result, i) => {
            expect(result.kind).toBe("record");
            if (result.kind !== "record") return;
            expect(result.type).toBe(records[i]!.type);
            expect([...result.payload]).toEqual([...records[i]!.payload]);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("lays a record out as documented", () => {
    const codec = new FrameCodec();
    const frame = codec.encode(7, new Uint8Array([1, 2, 3]));
    expect(frame.byteLength).toBe(3 + FRAME_OVERHEAD);
    const view = new DataView(frame.buffer);
    expect(view.getUint32(0, true)).toBe(3);
    expect(frame[4]).toBe(7);
    expect([...frame.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + 3)]).toEqual([1, 2, 3]);
    expect(frameSize(3)).toBe(19);
  });

  // The invariant the index log relies on: a single damaged bit anywhere in a record is
  // never accepted. Tested exhaustively over every bit of records of several sizes,
  // alone and followed by another record (so a damaged length is not mistaken for a tail).
  for (const size of [0, 1, 5, 8, 31, 64]) {
    it(`every single-bit flip of a ${size}-byte-payload record is corrupt or torn, never accepted`, () => {
      const codec = new FrameCodec({ seed: 9n });
      const payload = Uint8Array.from({ length: size }, (_, i) => (i * 37 + 11) & 0xff);
      const record = codec.encode(3, payload);
      const follower = codec.encode(4, new Uint8Array([9, 9, 9]));
      for (const trailing of [new Uint8Array(0), follower]) {
        const original = concat([record, trailing]);
        for (let bit = 0; bit < record.byteLength * 8; bit++) {
          const damaged = original.slice();
          damaged[bit >> 3]! ^= 1 << (bit & 7);
          const first = codec.decodeAt(damaged, 0);
          expect(["corrupt", "torn"]).toContain(first.kind);
          if (trailing.byteLength > 0) {
            // Mid-file damage must not look like the end of the data.
            expect(first.kind).toBe("corrupt");
            expect(codec.findNext(damaged, 1)).toBe(record.byteLength);
          }
        }
      }
    });
  }

  it("every truncation of a sequence of records yields the whole records, then torn (never corrupt)", () => {
    const codec = new FrameCodec();
    const records = [
      codec.encode(1, new Uint8Array(0)),
      codec.encode(2, new Uint8Array(40).fill(7)),
      codec.encode(3, new Uint8Array(5).fill(1)),
    ];
    const data = concat(records);
    const ends = [records[0]!.byteLength, records[0]!.byteLength + records[1]!.byteLength, data.byteLength];
    for (let cut = 0; cut <= data.byteLength; cut++) {
      const results = all(codec, data.subarray(0, cut));
      const whole = ends.filter((e) => e <= cut).length;
      expect(results.filter((r) => r.kind === "record")).toHaveLength(whole);
      const last = results.at(-1)!;
      expect(last.kind).toBe(ends.includes(cut) || cut === 0 ? "end" : "torn");
    }
  });

  it("a zero-filled tail (allocated, never written) is torn, not corruption", () => {
    const codec = new FrameCodec();
    const data = concat([codec.encode(1, new Uint8Array([1])), new Uint8Array(100)]);
    const results = all(codec, data);
    expect(results[0]!.kind).toBe("record");
    expect(results[1]).toMatchObject({ kind: "torn", reason: "zero-filled tail" });
    // but zeros followed by anything else are damage
    data[data.byteLength - 1] = 1;
    expect(all(codec, data)[1]).toMatchObject({ kind: "corrupt" });
  });

  it("records of another seed (another file kind) are not accepted", () => {
    const a = new FrameCodec({ seed: 1n });
    const b = new FrameCodec({ seed: 2n });
    expect(b.decodeAt(a.encode(1, new Uint8Array([1, 2, 3])), 0).kind).toBe("corrupt");
  });

  it("enforces the payload limit on both sides", () => {
    const small = new FrameCodec({ maxPayload: 10 });
    expect(() => small.encode(1, new Uint8Array(11))).toThrow(FrameEncodeError);
    const big = new FrameCodec({ maxPayload: 100 });
    const frame = big.encode(1, new Uint8Array(50));
    expect(small.decodeAt(frame, 0)).toMatchObject({ kind: "corrupt", reason: "length exceeds maximum" });
  });

  it("rejects record types outside 1..255", () => {
    const codec = new FrameCodec();
    for (const type of [0, 256, -1, 1.5]) expect(() => codec.encode(type, new Uint8Array(0))).toThrow(FrameEncodeError);
  });

  it("encodeInto batches several records into one buffer", () => {
    const codec = new FrameCodec();
    const buffer = new Uint8Array(frameSize(2) + frameSize(3));
    const mid = codec.encodeInto(buffer, 0, 1, new Uint8Array([1, 2]));
    expect(codec.encodeInto(buffer, mid, 2, new Uint8Array([3, 4, 5]))).toBe(buffer.byteLength);
    expect(all(codec, buffer).map((r) => r.kind)).toEqual(["record", "record", "end"]);
    expect(() => codec.encodeInto(buffer, buffer.byteLength - 5, 1, new Uint8Array(3))).toThrow(FrameEncodeError);
  });

  it("never throws on arbitrary bytes and never accepts them (property)", () => {
    const codec = new FrameCodec({ seed: 77n });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        for (const result of codec.walk(data)) expect(result.kind).not.toBe("record");
      }),
      { numRuns: 2000 },
    );
  });
});
