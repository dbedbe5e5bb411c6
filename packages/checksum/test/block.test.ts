import { beforeAll, describe, expect, it } from "vitest";
import {
  BLOCK_CHECKSUM_SIZE,
  ChecksumError,
  damagedBlocks,
  initChecksum,
  sealBlock,
  sealBlocks,
  verifyBlock,
} from "../src/index.js";

beforeAll(() => initChecksum());

function filled(size: number, salt: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + salt) & 0xff);
}

describe("block checksums", () => {
  it("a sealed block verifies; every single-bit flip is detected", () => {
    const block = filled(64, 1);
    sealBlock(block, 5, 3n);
    expect(verifyBlock(block, 5, 3n)).toBe(true);
    for (let bit = 0; bit < block.byteLength * 8; bit++) {
      const damaged = block.slice();
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      expect(verifyBlock(damaged, 5, 3n)).toBe(false);
    }
  });

  it("a whole block in the wrong place, or under another seed, fails", () => {
    const block = filled(128, 2);
    sealBlock(block, 0);
    expect(verifyBlock(block, 1)).toBe(false);
    expect(verifyBlock(block, 0, 1n)).toBe(false);
  });

  it("an all-zero block (never written) fails", () => {
    expect(verifyBlock(new Uint8Array(4096), 0)).toBe(false);
  });

  it("sealBlocks and damagedBlocks over many blocks name exactly the damaged ones", () => {
    const size = 256;
    const data = filled(size * 10, 3);
    sealBlocks(data, size, 11n, 100);
    expect(damagedBlocks(data, size, 11n, 100)).toEqual([]);
    data[size * 2 + 7]! ^= 0x10;
    data[size * 9 + size - 1]! ^= 0x01; // inside a checksum
    expect(damagedBlocks(data, size, 11n, 100)).toEqual([102, 109]);
  });

  it("rejects layouts that cannot hold a checksum", () => {
    expect(() => sealBlock(new Uint8Array(BLOCK_CHECKSUM_SIZE), 0)).toThrow(ChecksumError);
    expect(() => sealBlocks(new Uint8Array(100), 64)).toThrow(ChecksumError);
    expect(() => damagedBlocks(new Uint8Array(64), 8)).toThrow(ChecksumError);
    expect(() => sealBlock(new Uint8Array(64), -1)).toThrow(ChecksumError);
  });
});
