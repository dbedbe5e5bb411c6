/**
 * The part tree as a plain JSON-able record, so a store can cache it beside the message
 * and answer FETCH BODYSTRUCTURE / BODY[section] without parsing again. The record holds
 * offsets only (no message bytes); restoring checks it against the message it is given
 * (version, size, and every range inside the message) and refuses a record that does not
 * fit with a typed error, so a stale or damaged cache is never used silently.
 */
import { MimeError } from "./errors.js";
import type { MimePart, ParsedMessage } from "./part.js";

export const STRUCTURE_CACHE_VERSION = 1;

export interface StructureCacheRecord {
  version: number;
  /** Message length in bytes: a record is only valid for a message of this length. */
  length: number;
  root: MimePart;
  size: ParsedMessage["size"];
}

/** A cached structure does not belong to the message (or is not a structure record). */
export class StructureCacheError extends MimeError {
  override name = "StructureCacheError";
}

export function toStructureCache(msg: ParsedMessage): StructureCacheRecord {
  return { version: STRUCTURE_CACHE_VERSION, length: msg.bytes.length, root: msg.root, size: msg.size };
}

function checkPart(p: MimePart, length: number, depth: number): void {
  const ok =
    typeof p === "object" &&
    p !== null &&
    Number.isInteger(p.headerStart) &&
    p.headerStart >= 0 &&
    p.headerStart <= p.headerEnd &&
    p.headerEnd <= p.bodyStart &&
    p.bodyStart <= p.bodyEnd &&
    p.bodyEnd <= length &&
    Array.isArray(p.children) &&
    Array.isArray(p.header?.fields) &&
    depth < 10_000;
  if (!ok) throw new StructureCacheError("cached structure has a part that does not fit the message");
  for (const f of p.header.fields) {
    if (!(f.start >= 0 && f.start <= f.valueStart && f.valueStart <= f.valueEnd && f.end <= length)) {
      throw new StructureCacheError("cached structure has a header field that does not fit the message");
    }
  }
  for (const c of p.children) checkPart(c, length, depth + 1);
}

/** Rebuilds a ParsedMessage from the message bytes and a cached record (e.g. after JSON.parse). */
export function fromStructureCache(bytes: Uint8Array, record: unknown): ParsedMessage {
  const r = record as StructureCacheRecord;
  if (typeof r !== "object" || r === null || r.version !== STRUCTURE_CACHE_VERSION) {
    throw new StructureCacheError("not a structure cache record of this version");
  }
  if (r.length !== bytes.byteLength) {
    throw new StructureCacheError(`cached structure is for ${r.length} bytes, the message has ${bytes.byteLength}`);
  }
  checkPart(r.root, r.length, 0);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { bytes: buf, root: r.root, size: r.size };
}
