import { ChecksumError } from "./errors.js";
import { checkSeed64, xxh64 } from "./xxhash.js";

/*
 * Fixed-size block checksums (index snapshots). Each block reserves its last 8 bytes for
 * xxh64 of the bytes before them, seeded with the caller's seed mixed with the block's
 * number. Mixing in the number means a block that is whole but in the wrong place (a
 * misdirected write, a stale copy of another block) fails too.
 *
 *   offset          size            field
 *   0               blockSize - 8   content
 *   blockSize - 8   8               xxh64(content, blockSeed(seed, number)), u64 LE
 */

export const BLOCK_CHECKSUM_SIZE = 8;
const U64_MASK = (1n << 64n) - 1n;
const GOLDEN64 = 0x9e3779b97f4a7c15n;

function blockSeed(seed: bigint, blockNumber: number): bigint {
  if (!Number.isSafeInteger(blockNumber) || blockNumber < 0) {
    throw new ChecksumError(`block number must be a non-negative integer: got ${String(blockNumber)}`);
  }
  return (seed + BigInt(blockNumber) * GOLDEN64) & U64_MASK;
}

function checkBlock(block: Uint8Array): void {
  if (block.byteLength <= BLOCK_CHECKSUM_SIZE) {
    throw new ChecksumError(`a block must be larger than its ${BLOCK_CHECKSUM_SIZE}-byte checksum`);
  }
}

function view(block: Uint8Array): DataView {
  return new DataView(block.buffer, block.byteOffset, block.byteLength);
}

/** Compute the checksum of a block's content and write it into its last 8 bytes. */
export function sealBlock(block: Uint8Array, blockNumber: number, seed = 0n): void {
  checkBlock(block);
  const contentEnd = block.byteLength - BLOCK_CHECKSUM_SIZE;
  const sum = xxh64(block.subarray(0, contentEnd), blockSeed(checkSeed64(seed), blockNumber));
  view(block).setBigUint64(contentEnd, sum, true);
}

/** True when the block's stored checksum matches its content and its number. */
export function verifyBlock(block: Uint8Array, blockNumber: number, seed = 0n): boolean {
  checkBlock(block);
  const contentEnd = block.byteLength - BLOCK_CHECKSUM_SIZE;
  const sum = xxh64(block.subarray(0, contentEnd), blockSeed(checkSeed64(seed), blockNumber));
  return view(block).getBigUint64(contentEnd, true) === sum;
}

function checkLayout(data: Uint8Array, blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize <= BLOCK_CHECKSUM_SIZE) {
    throw new ChecksumError(`blockSize must be an integer larger than ${BLOCK_CHECKSUM_SIZE}`);
  }
  if (data.byteLength % blockSize !== 0) {
    throw new ChecksumError(`data length ${data.byteLength} is not a multiple of the block size ${blockSize}`);
  }
}

/** Seal every block of `data` (a whole number of blocks), numbering from `firstBlock`. */
export function sealBlocks(data: Uint8Array, blockSize: number, seed = 0n, firstBlock = 0): void {
  checkLayout(data, blockSize);
  for (let at = 0, n = firstBlock; at < data.byteLength; at += blockSize, n++) {
    sealBlock(data.subarray(at, at + blockSize), n, seed);
  }
}

/** Numbers of the blocks whose checksum fails; empty when all are intact. */
export function damagedBlocks(data: Uint8Array, blockSize: number, seed = 0n, firstBlock = 0): number[] {
  checkLayout(data, blockSize);
  const damaged: number[] = [];
  for (let at = 0, n = firstBlock; at < data.byteLength; at += blockSize, n++) {
    if (!verifyBlock(data.subarray(at, at + blockSize), n, seed)) damaged.push(n);
  }
  return damaged;
}
