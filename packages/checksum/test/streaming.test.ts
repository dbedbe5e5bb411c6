import { xxh32 as nativeXxh32, xxh64 as nativeXxh64 } from "@node-rs/xxhash";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ChecksumError,
  ChecksumNotReadyError,
  createXxh32,
  createXxh64,
  fromHex32,
  fromHex64,
  initChecksum,
  isChecksumReady,
  MAX_WASM_INPUT,
  toHex32,
  toHex64,
  xxh32,
  xxh64,
} from "../src/index.js";

function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("before initChecksum()", () => {
  it("synchronous hashing fails with a clear error instead of a TypeError", () => {
    // This file's other tests load the module; this one runs first in file order.
    expect(isChecksumReady()).toBe(false);
    expect(() => xxh64(new Uint8Array(1))).toThrow(ChecksumNotReadyError);
  });
});

describe("after initChecksum()", () => {
  beforeAll(() => initChecksum());

  it("loads once: concurrent and repeated calls share one instance", async () => {
    await Promise.all([initChecksum(), initChecksum(), initChecksum()]);
    expect(isChecksumReady()).toBe(true);
  });

  // An independent native implementation (@node-rs/xxhash) as a second opinion on every
  // length around the 16-byte (xxh32) and 32-byte (xxh64) stripe boundaries.
  it("matches the native implementation for every length 0..300, with and without a seed", () => {
    const data = randomBytes(300, 7);
    for (let n = 0; n <= 300; n++) {
      const slice = data.subarray(0, n);
      expect(xxh64(slice)).toBe(nativeXxh64(slice));
      expect(xxh64(slice, 0xdeadbeefcafebaben)).toBe(nativeXxh64(slice, 0xdeadbeefcafebaben));
      expect(xxh32(slice)).toBe(nativeXxh32(slice));
      expect(xxh32(slice, 0x9747b28c)).toBe(nativeXxh32(slice, 0x9747b28c));
    }
  });

  it("one-shot inputs larger than the WASM slice are hashed in slices with the same result", () => {
    for (const n of [MAX_WASM_INPUT - 1, MAX_WASM_INPUT, MAX_WASM_INPUT + 1, 3 * MAX_WASM_INPUT + 17]) {
      const data = randomBytes(n, n);
      expect(xxh64(data, 5n)).toBe(nativeXxh64(data, 5n));
      expect(xxh32(data, 5)).toBe(nativeXxh32(data, 5));
    }
  });

  it("streaming over random chunk splits equals one-shot (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 12 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.nat({ max: 0xffffffff }),
        (data, cuts, seed64, seed32) => {
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          const h64 = createXxh64(seed64);
          const h32 = createXxh32(seed32);
          let at = 0;
          for (const p of [...points, data.length]) {
            h64.update(data.subarray(at, p));
            h32.update(data.subarray(at, p));
            at = p;
          }
          expect(h64.digest()).toBe(xxh64(data, seed64));
          expect(h32.digest()).toBe(xxh32(data, seed32));
          expect(h64.length).toBe(data.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("a chunk larger than the WASM slice fed to the streaming hasher gives the same result", () => {
    const data = randomBytes(2 * MAX_WASM_INPUT + 3, 3);
    expect(createXxh64().update(data).digest()).toBe(nativeXxh64(data));
  });

  it("digest does not end the hash: more updates continue it", () => {
    const data = randomBytes(100, 9);
    const h = createXxh64();
    h.update(data.subarray(0, 40));
    expect(h.digest()).toBe(xxh64(data.subarray(0, 40)));
    h.update(data.subarray(40));
    expect(h.digest()).toBe(xxh64(data));
  });

  it("interleaved streaming hashers and one-shot calls do not disturb each other", () => {
    const a = randomBytes(5000, 1);
    const b = randomBytes(7000, 2);
    const ha = createXxh64(1n);
    const hb = createXxh64(2n);
    for (let i = 0; i < 5000; i += 97) {
      ha.update(a.subarray(i, i + 97));
      xxh64(b.subarray(0, i));
      hb.update(b.subarray(i, i + 97));
    }
    hb.update(b.subarray(5000 - (5000 % 97) + 97));
    expect(ha.digest()).toBe(xxh64(a, 1n));
    expect(hb.digest()).toBe(xxh64(b, 2n));
  });

  it("rejects seeds out of range", () => {
    expect(() => xxh64(new Uint8Array(1), -1n)).toThrow(ChecksumError);
    expect(() => xxh64(new Uint8Array(1), 1n << 64n)).toThrow(ChecksumError);
    expect(() => xxh32(new Uint8Array(1), 2 ** 32)).toThrow(ChecksumError);
    expect(() => xxh32(new Uint8Array(1), 1.5)).toThrow(ChecksumError);
    expect(() => createXxh64(-5n)).toThrow(ChecksumError);
  });

  it("hex helpers round-trip and reject non-canonical text", () => {
    expect(toHex64(0xef46db3751d8e999n)).toBe("ef46db3751d8e999");
    expect(toHex64(1n)).toBe("0000000000000001");
    expect(fromHex64("ef46db3751d8e999")).toBe(0xef46db3751d8e999n);
    expect(toHex32(0x02cc5d05)).toBe("02cc5d05");
    expect(fromHex32("02cc5d05")).toBe(0x02cc5d05);
    for (const bad of ["", "EF46DB3751D8E999", "ef46db3751d8e99", "0xef46db3751d8e99", "ef46db3751d8e99g"]) {
      expect(() => fromHex64(bad)).toThrow(ChecksumError);
    }
    expect(() => fromHex32("2cc5d05")).toThrow(ChecksumError);
  });
});
