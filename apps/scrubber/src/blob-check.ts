/**
 * Verify one message blob (docs/blob-format.md): header checksum, GUID = file name, file
 * length = header size + message size, and the message bytes against the content hash —
 * streamed through a reused buffer to the end of the file (so the length is checked without
 * a stat), every read paid for to the rate limiter.
 *
 * The header is decoded by the store's exported `decodeBlobHeader`. The content check stays
 * here: the store exports no whole-blob check, and its internal one reads through its own
 * stream, so it could neither charge each read to the scrubber's rate limiter nor reuse one
 * buffer for the whole pass, nor hand back the content hash that the scrubber then compares
 * with the mailbox index's copy.
 */
import { open } from "node:fs/promises";
import { createXxh64 } from "@holdfast/checksum";
import { decodeBlobHeader, guidToHex } from "@holdfast/store";
import type { RateLimiter } from "./rate-limiter.js";

export const CHUNK = 1024 * 1024;

export type BlobResult =
  | { ok: true; bytes: number; contentHash: bigint }
  | { ok: false; bytes: number; reason: string };

export async function checkBlob(path: string, guidHex: string, limiter: RateLimiter, buf: Buffer): Promise<BlobResult> {
  const fh = await open(path, "r");
  try {
    // Reads are paid for after the fact (the size is not known before the first read): the
    // long-run rate is the same, and a small blob is not charged a whole chunk.
    let filled = (await fh.read(buf, 0, CHUNK, 0)).bytesRead;
    await limiter.takeBytes(filled);
    let read = filled;
    const head = decodeBlobHeader(buf.subarray(0, filled));
    if (head.kind !== "ok") return { ok: false, bytes: read, reason: `header: ${head.reason}` };
    const h = head.header;
    if (guidToHex(h.guid) !== guidHex) return { ok: false, bytes: read, reason: "GUID differs from the file name" };
    const expected = h.headerSize + h.size;
    const hasher = createXxh64(0n);
    hasher.update(buf.subarray(h.headerSize, Math.min(filled, expected)));
    while (filled > 0 && read <= expected) {
      // one byte past the expected end shows a file that is too long
      const want = Math.min(CHUNK, expected - read + 1);
      filled = (await fh.read(buf, 0, want, read)).bytesRead;
      if (filled === 0) break;
      await limiter.takeBytes(filled);
      hasher.update(buf.subarray(0, Math.min(filled, expected - read)));
      read += filled;
    }
    if (read !== expected)
      return {
        ok: false,
        bytes: read,
        reason: `file is ${read > expected ? "longer" : `${read} bytes`}, header says ${expected}`,
      };
    if (hasher.digest() !== h.contentHash)
      return { ok: false, bytes: read, reason: "message bytes do not match the content hash" };
    return { ok: true, bytes: read, contentHash: h.contentHash };
  } finally {
    await fh.close();
  }
}
