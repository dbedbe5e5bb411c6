import { FrameCodec, frameSize } from "@holdfast/checksum";
import { LOG_MAX_PAYLOAD, LOG_SEED, LogRecordType } from "./format.js";
import { decodeBatch, decodeLogHeader, type LogHeader } from "./log-format.js";
import type { Transaction } from "./operations.js";

export const logCodec = new FrameCodec({ seed: LOG_SEED, maxPayload: LOG_MAX_PAYLOAD });

/**
 * Bytes of the log that are not a valid record and cannot be a torn tail: damage in the
 * middle (valid records follow), or a whole record that fails its check with more bytes
 * after it (a batch is appended only after the previous one's fdatasync returned, so a
 * record followed by anything was acknowledged: its loss is corruption, never a crash).
 */
export interface LogDamage {
  offset: number;
  /** Offset of the next valid record (the log size when nothing valid follows). */
  resumesAt: number;
  reason: string;
}

/** How the log ends. */
export type LogTail =
  | { kind: "clean" }
  /** What a crash during an append leaves: truncated at `offset` on open. */
  | { kind: "torn"; offset: number; reason: string }
  /**
   * The last record runs to the end of the file but fails its check (or its header is
   * unreadable and nothing valid follows): an unacknowledged batch torn by a power cut
   * (sectors written out of order, the new size kept) — or a bit flip in an acknowledged
   * last batch, which looks the same. Truncated like a torn tail, reported, and since the
   * batch may have been acknowledged, recovery moves UIDNEXT and HIGHESTMODSEQ past
   * anything `bytes` bytes of transactions could have assigned (unless a snapshot covers it).
   */
  | { kind: "corrupt-tail"; offset: number; reason: string; bytes: number };

export interface LogScan {
  header: LogHeader | undefined;
  /** Every transaction in a valid record, in file order. */
  txns: Transaction[];
  /** Offset just past the last valid record: where appends continue. */
  validEnd: number;
  tail: LogTail;
  damage: LogDamage[];
  size: number;
}

/**
 * Walk the whole log, verifying every record. Damage followed by valid records is
 * reported as damage (never skipped silently); a torn or unreadable tail is reported as
 * the tail, for the caller to truncate.
 */
export function scanLog(data: Uint8Array | undefined): LogScan {
  const scan: LogScan = {
    header: undefined,
    txns: [],
    validEnd: 0,
    tail: { kind: "clean" },
    damage: [],
    size: data?.byteLength ?? 0,
  };
  if (!data) return scan;
  let at = 0;
  for (;;) {
    const r = logCodec.decodeAt(data, at);
    if (r.kind === "end") break;
    if (r.kind === "torn") {
      scan.tail = { kind: "torn", offset: at, reason: r.reason };
      break;
    }
    let problem: string | undefined;
    if (r.kind === "corrupt") problem = r.reason;
    else if (r.type === LogRecordType.header) {
      const h = at === 0 ? decodeLogHeader(r.payload) : "log header record not at offset 0";
      if (typeof h === "string") problem = h;
      else scan.header = h;
    } else if (r.type === LogRecordType.batch) {
      try {
        for (const t of decodeBatch(r.payload)) scan.txns.push(t);
      } catch (error) {
        problem = `batch does not parse: ${(error as Error).message}`;
      }
    } else {
      problem = `unknown record type ${r.type}`;
    }
    if (problem === undefined && r.kind === "record") {
      at = r.end;
      scan.validEnd = at;
      continue;
    }
    const next = logCodec.findNext(data, at + 1);
    if (next < 0) {
      // Only a record that runs to the end of the file can be a torn write. A record whose
      // own length ends before the end of the file is whole: something was written after
      // it, so it had been made durable and acknowledged (corruption, not a crash). A
      // record whose checksum holds but whose contents are wrong is corruption too.
      const extent = r.kind === "corrupt" ? recordEnd(data, at, r.reason) : r.end;
      const runsToEnd = r.kind === "corrupt" && (extent === undefined || extent === data.byteLength);
      if (runsToEnd) {
        scan.tail = { kind: "corrupt-tail", offset: at, reason: problem ?? "unreadable", bytes: data.byteLength - at };
      } else {
        scan.damage.push({
          offset: at,
          resumesAt: data.byteLength,
          reason: `${problem ?? "unreadable"} (a whole record${extent === undefined || extent >= data.byteLength ? "" : ` with ${data.byteLength - extent} bytes after it`}: it was acknowledged)`,
        });
      }
      break;
    }
    scan.damage.push({ offset: at, resumesAt: next, reason: problem ?? "unreadable" });
    at = next;
  }
  return scan;
}

/**
 * Where a corrupt record ends by its own length field, when that field can be trusted (its
 * header check holds); undefined when the record's extent is unknown.
 */
function recordEnd(data: Uint8Array, at: number, reason: string): number | undefined {
  if (reason !== "record checksum mismatch") return undefined;
  const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(at, true);
  return at + frameSize(n);
}
