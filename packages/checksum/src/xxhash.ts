import xxhash, { type XXHashAPI } from "xxhash-wasm";
import { ChecksumError, ChecksumNotReadyError } from "./errors.js";

/**
 * Largest slice of input ever copied into WASM memory in one go.
 *
 * Invariant: xxhash-wasm copies each input into its linear memory and that memory only
 * grows, never shrinks. Every path in this package therefore feeds at most this many
 * bytes per call, so the WASM memory stays at about this size for the life of the process
 * whatever the size of the data hashed.
 */
export const MAX_WASM_INPUT = 1024 * 1024;

const U64_MASK = (1n << 64n) - 1n;

let api: XXHashAPI | undefined;
let loading: Promise<XXHashAPI> | undefined;

/**
 * Load the WASM module. Lazy (nothing happens at import) and shared: every call in the
 * process returns the same instance. Safe to call any number of times.
 */
export function initChecksum(): Promise<void> {
  if (api) return Promise.resolve();
  loading ??= xxhash().then((loaded) => {
    api = loaded;
    return loaded;
  });
  return loading.then(() => undefined);
}

/** True once `initChecksum()` has resolved and the synchronous functions may be called. */
export function isChecksumReady(): boolean {
  return api !== undefined;
}

/** The loaded API; throws a clear error instead of a TypeError when used too early. */
export function wasm(): XXHashAPI {
  if (!api) throw new ChecksumNotReadyError();
  return api;
}

function checkSeed64(seed: bigint): bigint {
  if (typeof seed !== "bigint" || seed < 0n || seed > U64_MASK) {
    throw new ChecksumError(`xxh64 seed must be a bigint in [0, 2^64): got ${String(seed)}`);
  }
  return seed;
}

function checkSeed32(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ChecksumError(`xxh32 seed must be an integer in [0, 2^32): got ${String(seed)}`);
  }
  return seed;
}

/** XXH64 of `data`. Inputs over MAX_WASM_INPUT are fed in slices (same result, bounded memory). */
export function xxh64(data: Uint8Array, seed = 0n): bigint {
  const x = wasm();
  if (seed !== 0n) checkSeed64(seed);
  if (data.byteLength <= MAX_WASM_INPUT) return x.h64Raw(data, seed);
  const state = x.create64(seed);
  for (let at = 0; at < data.byteLength; at += MAX_WASM_INPUT) {
    state.update(data.subarray(at, at + MAX_WASM_INPUT));
  }
  return state.digest();
}

/** XXH32 of `data`, as an unsigned 32-bit number. Bounded like xxh64. */
export function xxh32(data: Uint8Array, seed = 0): number {
  const x = wasm();
  if (seed !== 0) checkSeed32(seed);
  if (data.byteLength <= MAX_WASM_INPUT) return x.h32Raw(data, seed);
  const state = x.create32(seed);
  for (let at = 0; at < data.byteLength; at += MAX_WASM_INPUT) {
    state.update(data.subarray(at, at + MAX_WASM_INPUT));
  }
  return state.digest();
}

export { checkSeed32, checkSeed64 };
