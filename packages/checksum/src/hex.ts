import { ChecksumError } from "./errors.js";

const HEX64 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{8}$/;

/** Canonical form of an xxh64 value: 16 lowercase hex digits, big-endian (as xxhsum prints). */
export function toHex64(value: bigint): string {
  return value.toString(16).padStart(16, "0");
}

/** Canonical form of an xxh32 value: 8 lowercase hex digits. */
export function toHex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

/** Parse the canonical 16-digit form; anything else (wrong length, case, sign) is an error. */
export function fromHex64(text: string): bigint {
  if (!HEX64.test(text)) throw new ChecksumError(`not a 16-digit lowercase hex xxh64: ${JSON.stringify(text)}`);
  return BigInt(`0x${text}`);
}

/** Parse the canonical 8-digit form of an xxh32 value. */
export function fromHex32(text: string): number {
  if (!HEX32.test(text)) throw new ChecksumError(`not an 8-digit lowercase hex xxh32: ${JSON.stringify(text)}`);
  return Number.parseInt(text, 16);
}
