import { beforeAll, describe, expect, it } from "vitest";
import { createXxh32, createXxh64, initChecksum, xxh32, xxh64 } from "../src/index.js";

// Test vectors of the xxHash specification's sanity check (xxhsum): the input is the
// first `len` bytes of a buffer generated from PRIME32/PRIME64, the seed 0 or PRIME32.
const PRIME32 = 2654435761;
const PRIME64 = 11400714785074694797n;

function sanityBuffer(len: number): Uint8Array {
  const out = new Uint8Array(len);
  let gen = BigInt(PRIME32);
  for (let i = 0; i < len; i++) {
    out[i] = Number(gen >> 56n);
    gen = (gen * PRIME64) & 0xffffffffffffffffn;
  }
  return out;
}

const XXH32_VECTORS: Array<[number, number, number]> = [
  [0, 0, 0x02cc5d05],
  [0, PRIME32, 0x36b78ae7],
  [1, 0, 0xcf65b03e],
  [1, PRIME32, 0xb4545aa4],
  [14, 0, 0x1208e7e2],
  [14, PRIME32, 0x6af1d1fe],
  [222, 0, 0x5bd11dbd],
  [222, PRIME32, 0x58803c5f],
];

const XXH64_VECTORS: Array<[number, bigint, bigint]> = [
  [0, 0n, 0xef46db3751d8e999n],
  [0, BigInt(PRIME32), 0xac75fda2929b17efn],
  [1, 0n, 0xe934a84adb052768n],
  [1, BigInt(PRIME32), 0x5014607643a9b4c3n],
  [4, 0n, 0x9136a0dca57457een],
  [14, 0n, 0x8282dcc4994e35c8n],
  [14, BigInt(PRIME32), 0xc3bd6bf63deb6df0n],
  [222, 0n, 0xb641ae8cb691c174n],
  [222, BigInt(PRIME32), 0x20cb8ab7ae10c14an],
];

beforeAll(() => initChecksum());

describe("XXH32 known answers", () => {
  for (const [len, seed, expected] of XXH32_VECTORS) {
    it(`len ${len}, seed ${seed}: one-shot, streamed whole, streamed byte by byte`, () => {
      const data = sanityBuffer(len);
      expect(xxh32(data, seed)).toBe(expected);
      expect(createXxh32(seed).update(data).digest()).toBe(expected);
      const bytewise = createXxh32(seed);
      for (let i = 0; i < len; i++) bytewise.update(data.subarray(i, i + 1));
      expect(bytewise.digest()).toBe(expected);
    });
  }
});

describe("XXH64 known answers", () => {
  for (const [len, seed, expected] of XXH64_VECTORS) {
    it(`len ${len}, seed ${seed}: one-shot, streamed whole, streamed byte by byte`, () => {
      const data = sanityBuffer(len);
      expect(xxh64(data, seed)).toBe(expected);
      expect(createXxh64(seed).update(data).digest()).toBe(expected);
      const bytewise = createXxh64(seed);
      for (let i = 0; i < len; i++) bytewise.update(data.subarray(i, i + 1));
      expect(bytewise.digest()).toBe(expected);
    });
  }
});
