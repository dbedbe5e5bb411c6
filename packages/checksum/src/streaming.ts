import type { XXHash } from "xxhash-wasm";
import { checkSeed32, checkSeed64, MAX_WASM_INPUT, wasm } from "./xxhash.js";

/**
 * An incremental hasher. `update` takes chunks of any size; a chunk larger than
 * MAX_WASM_INPUT is split before it reaches WASM memory, so memory stays bounded no matter
 * how the caller chunks its data. `digest` may be called more than once and between
 * updates: it does not end the hash.
 */
export interface StreamingHasher<T> {
  update(chunk: Uint8Array): this;
  digest(): T;
  /** Bytes fed so far. */
  readonly length: number;
}

class BoundedHasher<T> implements StreamingHasher<T> {
  length = 0;
  constructor(private readonly state: XXHash<T>) {}

  update(chunk: Uint8Array): this {
    const n = chunk.byteLength;
    if (n <= MAX_WASM_INPUT) {
      this.state.update(chunk);
    } else {
      for (let at = 0; at < n; at += MAX_WASM_INPUT) {
        this.state.update(chunk.subarray(at, at + MAX_WASM_INPUT));
      }
    }
    this.length += n;
    return this;
  }

  digest(): T {
    return this.state.digest();
  }
}

/** Streaming XXH64. Requires `initChecksum()` to have resolved. */
export function createXxh64(seed = 0n): StreamingHasher<bigint> {
  return new BoundedHasher(wasm().create64(checkSeed64(seed)));
}

/** Streaming XXH32. Requires `initChecksum()` to have resolved. */
export function createXxh32(seed = 0): StreamingHasher<number> {
  return new BoundedHasher(wasm().create32(checkSeed32(seed)));
}
