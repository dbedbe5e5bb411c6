import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { ChecksumError } from "./errors.js";
import { createXxh64 } from "./streaming.js";
import { initChecksum, MAX_WASM_INPUT } from "./xxhash.js";

/** The digest of a whole file or stream: its xxh64 and how many bytes went into it. */
export interface Digest {
  xxh64: bigint;
  size: number;
}

/**
 * Hash a file by reading it through one reused buffer of MAX_WASM_INPUT bytes: memory use
 * is that buffer plus the WASM state, whatever the file size.
 */
export async function hashFile(path: string, seed = 0n): Promise<Digest> {
  await initChecksum();
  const hasher = createXxh64(seed);
  const handle = await open(path, "r");
  try {
    const buffer = new Uint8Array(MAX_WASM_INPUT);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, null);
      if (bytesRead === 0) break;
      hasher.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return { xxh64: hasher.digest(), size: hasher.length };
}

/**
 * Hash everything a readable stream yields. Chunks are hashed as they arrive and not kept;
 * the stream's own highWaterMark bounds what is buffered upstream.
 */
export async function hashStream(stream: Readable | AsyncIterable<Uint8Array | string>, seed = 0n): Promise<Digest> {
  await initChecksum();
  const hasher = createXxh64(seed);
  for await (const chunk of stream as AsyncIterable<unknown>) {
    if (chunk instanceof Uint8Array) hasher.update(chunk);
    else if (typeof chunk === "string") hasher.update(Buffer.from(chunk, "utf8"));
    else throw new ChecksumError("hashStream: the stream yielded something that is neither bytes nor a string");
  }
  return { xxh64: hasher.digest(), size: hasher.length };
}
