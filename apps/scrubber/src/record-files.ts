/**
 * Checks of the store's small checksummed files, from their documented formats
 * (docs/store-layout.md): record files (user database, mailbox list) and structure cache
 * entries are each one @holdfast/checksum frame with their own seed. Only the frame and the
 * payload header are checked here; the document inside is the store's business.
 */
import { FrameCodec } from "@holdfast/checksum";

const RECORD_FILE_SEED = 0x4846_5354_4f52_0001n;
const STRUCTURE_CACHE_SEED = 0x4846_4353_5452_0001n;
const recordCodec = new FrameCodec({ seed: RECORD_FILE_SEED, maxPayload: 64 * 1024 * 1024 });
const cacheCodec = new FrameCodec({ seed: STRUCTURE_CACHE_SEED, maxPayload: 64 * 1024 * 1024 });

export type RecordCheck = { ok: true; generation: number; value: unknown } | { ok: false; reason: string };

export const USER_DB = { type: 1, magic: "HFUSERDB" } as const;
export const MAILBOX_LIST = { type: 2, magic: "HFMBLIST" } as const;

/** Check a record file copy (`users.db`, `mailboxes.list` and their backups). */
export function checkRecordFile(kind: { type: number; magic: string }, bytes: Uint8Array): RecordCheck {
  const r = recordCodec.decodeAt(bytes, 0);
  if (r.kind !== "record") return { ok: false, reason: r.kind === "end" ? "empty file" : `${r.kind}: ${r.reason}` };
  if (r.type !== kind.type) return { ok: false, reason: `record type ${r.type}, expected ${kind.type}` };
  if (r.end !== bytes.byteLength) return { ok: false, reason: "trailing bytes after the record" };
  const p = Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
  if (p.byteLength < 24 || p.toString("latin1", 0, 8) !== kind.magic) return { ok: false, reason: "bad magic" };
  if (p.readUInt32LE(8) !== 1) return { ok: false, reason: `unknown format version ${p.readUInt32LE(8)}` };
  try {
    return { ok: true, generation: Number(p.readBigUInt64LE(16)), value: JSON.parse(p.toString("utf8", 24)) };
  } catch (error) {
    return { ok: false, reason: `bad JSON: ${(error as Error).message}` };
  }
}

/** Check a structure cache entry (`cache/<aa>/<guid>`). */
export function checkCacheEntry(bytes: Uint8Array): { ok: true } | { ok: false; reason: string } {
  const r = cacheCodec.decodeAt(bytes, 0);
  if (r.kind !== "record") return { ok: false, reason: r.kind === "end" ? "empty file" : `${r.kind}: ${r.reason}` };
  if (r.type !== 1) return { ok: false, reason: `record type ${r.type}, expected 1` };
  if (r.end !== bytes.byteLength) return { ok: false, reason: "trailing bytes after the record" };
  const p = Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
  if (p.byteLength < 4 || p.readUInt32LE(0) !== 1) return { ok: false, reason: "unknown entry version" };
  try {
    JSON.parse(p.toString("utf8", 4));
  } catch (error) {
    return { ok: false, reason: `bad JSON: ${(error as Error).message}` };
  }
  return { ok: true };
}
