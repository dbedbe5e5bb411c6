import { FrameCodec } from "@holdfast/checksum";
import { LOG_MAX_PAYLOAD, LOG_SEED, LogRecordType } from "./format.js";
import { decodeBatch, decodeLogHeader, type LogHeader } from "./log-format.js";
import type { Transaction } from "./operations.js";

export const logCodec = new FrameCodec({ seed: LOG_SEED, maxPayload: LOG_MAX_PAYLOAD });

/** Bytes in the middle of the log that are not a valid record, with valid records after. */
export interface LogDamage {
  offset: number;
  /** Offset of the next valid record. */
  resumesAt: number;
  reason: string;
}

/** How the log ends. */
export type LogTail =
  | { kind: "clean" }
  /** What a crash during an append leaves: truncated at `offset` on open. */
  | { kind: "torn"; offset: number; reason: string }
  /**
   * Bytes that fail their checksum with no valid record anywhere after them: an
   * unacknowledged batch torn by a power cut (sectors written out of order). Truncated
   * like a torn tail, but reported, since a bit flip in the last record looks the same.
   */
  | { kind: "corrupt-tail"; offset: number; reason: string };

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
      scan.tail = { kind: "corrupt-tail", offset: at, reason: problem ?? "unreadable" };
      break;
    }
    scan.damage.push({ offset: at, resumesAt: next, reason: problem ?? "unreadable" });
    at = next;
  }
  return scan;
}
