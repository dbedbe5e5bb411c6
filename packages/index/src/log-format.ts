import { FORMAT_VERSION, KEYWORD_WORDS, LOG_MAGIC, MESSAGE_RECORD_SIZE, Op } from "./format.js";
import type { MessageRecord } from "./message-table.js";
import type { Operation, Transaction } from "./operations.js";

/*
 * Payloads of the log's framed records (the framing itself — length, type, header check,
 * xxh64 — is @holdfast/checksum's FrameCodec). Layouts: docs/index-format.md.
 *
 * A batch record holds every transaction written by one group commit. A batch is one
 * frame, so it reaches the disk whole or is recognised as torn: transactions are atomic
 * and a torn batch is always the last thing in the file (the next batch is written only
 * after this one's fdatasync).
 */

export interface LogHeader {
  version: number;
  uidValidity: number;
  /** The log holds the transactions after this sequence number. */
  baseSeq: number;
  createdAt: number;
}

export const LOG_HEADER_SIZE = 32;

export function encodeLogHeader(h: LogHeader): Uint8Array {
  const out = new Uint8Array(LOG_HEADER_SIZE);
  const v = new DataView(out.buffer);
  out.set(LOG_MAGIC, 0);
  v.setUint32(8, h.version, true);
  v.setUint32(12, h.uidValidity, true);
  setU64(v, 16, h.baseSeq);
  setU64(v, 24, h.createdAt);
  return out;
}

/** The header, or a reason it cannot be used. */
export function decodeLogHeader(payload: Uint8Array): LogHeader | string {
  if (payload.byteLength !== LOG_HEADER_SIZE) return "log header has the wrong size";
  for (let i = 0; i < 8; i++) if (payload[i] !== LOG_MAGIC[i]) return "bad log magic";
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const version = v.getUint32(8, true);
  if (version !== FORMAT_VERSION) return `unsupported log version ${version}`;
  return {
    version,
    uidValidity: v.getUint32(12, true),
    baseSeq: getU64(v, 16),
    createdAt: getU64(v, 24),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TWO_32 = 4294967296;

/** u64 little-endian from a non-negative safe integer, without a BigInt (hot path). */
function setU64(v: DataView, at: number, n: number): void {
  v.setUint32(at, n >>> 0, true);
  v.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

function getU64(v: DataView, at: number): number {
  return v.getUint32(at, true) + v.getUint32(at + 4, true) * TWO_32;
}

function opSize(op: Operation): number {
  switch (op.op) {
    case "append":
      return 4 + MESSAGE_RECORD_SIZE + 4 * (KEYWORD_WORDS - 1);
    case "setFlags":
      return 16 + 4 * KEYWORD_WORDS;
    case "expunge":
    case "trimTombstones":
      return 16;
    case "defineKeyword":
      return 4 + ((encoder.encode(op.name).length + 3) & ~3);
    case "setUidValidity":
    case "setFirstRecent":
      return 8;
  }
}

/** Message record bytes, shared by the snapshot layout and the append op. */
export function writeMessageRecord(v: DataView, bytes: Uint8Array, at: number, r: MessageRecord): void {
  v.setUint32(at, r.uid, true);
  bytes[at + 4] = r.flags;
  v.setUint32(at + 8, r.keywords[0]!, true);
  v.setUint32(at + 12, r.size, true);
  setU64(v, at + 16, r.modseq);
  v.setBigInt64(at + 24, BigInt(r.internalDate), true);
  bytes.set(r.guid.subarray(0, 16), at + 32);
  v.setBigUint64(at + 48, r.contentHash, true);
}

function readMessageRecord(v: DataView, bytes: Uint8Array, at: number, keywords: Uint32Array): MessageRecord {
  keywords[0] = v.getUint32(at + 8, true);
  return {
    uid: v.getUint32(at, true),
    flags: bytes[at + 4]!,
    keywords,
    size: v.getUint32(at + 12, true),
    modseq: getU64(v, at + 16),
    internalDate: Number(v.getBigInt64(at + 24, true)),
    guid: bytes.slice(at + 32, at + 48),
    contentHash: v.getBigUint64(at + 48, true),
  };
}

export function transactionSize(txn: Transaction): number {
  let n = 24;
  for (const op of txn.ops) n += opSize(op);
  return n;
}

/** Encode one transaction at `at` (`v` views the same bytes); returns the end offset. */
export function encodeTransactionInto(bytes: Uint8Array, v: DataView, at: number, txn: Transaction): number {
  setU64(v, at, txn.seq);
  setU64(v, at + 8, txn.highestModseq);
  v.setUint32(at + 16, txn.uidNext, true);
  v.setUint32(at + 20, txn.ops.length, true);
  at += 24;
  for (const op of txn.ops) {
    switch (op.op) {
      case "append":
        bytes[at] = Op.append;
        writeMessageRecord(v, bytes, at + 4, op.record);
        for (let w = 1; w < KEYWORD_WORDS; w++)
          v.setUint32(at + 4 + MESSAGE_RECORD_SIZE + 4 * (w - 1), op.record.keywords[w]!, true);
        break;
      case "setFlags":
        bytes[at] = Op.setFlags;
        bytes[at + 1] = op.flags;
        v.setUint32(at + 4, op.uid, true);
        setU64(v, at + 8, op.modseq);
        for (let w = 0; w < KEYWORD_WORDS; w++) v.setUint32(at + 16 + 4 * w, op.keywords[w]!, true);
        break;
      case "expunge":
        bytes[at] = Op.expunge;
        v.setUint32(at + 4, op.uid, true);
        setU64(v, at + 8, op.modseq);
        break;
      case "defineKeyword": {
        const name = encoder.encode(op.name);
        bytes[at] = Op.defineKeyword;
        bytes[at + 1] = name.length;
        v.setUint16(at + 2, op.id, true);
        bytes.set(name, at + 4);
        break;
      }
      case "setUidValidity":
        bytes[at] = Op.setUidValidity;
        v.setUint32(at + 4, op.uidValidity, true);
        break;
      case "setFirstRecent":
        bytes[at] = Op.setFirstRecent;
        v.setUint32(at + 4, op.uid, true);
        break;
      case "trimTombstones":
        bytes[at] = Op.trimTombstones;
        setU64(v, at + 8, op.floor);
        break;
    }
    at += opSize(op);
  }
  return at;
}

/** Bytes of the batch payload of `txns`. */
export function batchSize(txns: readonly Transaction[]): number {
  let size = 8;
  for (const t of txns) size += 4 + transactionSize(t);
  return size;
}

/** Batch payload: u32 count, u32 reserved, then per transaction u32 length + bytes. */
export function encodeBatch(txns: readonly Transaction[]): Uint8Array {
  const size = batchSize(txns);
  const out = new Uint8Array(size);
  encodeBatchInto(out, new DataView(out.buffer), 0, txns, size);
  return out;
}

/**
 * Encode the batch payload of `txns` at `at` of `bytes` (`v` views the same bytes from
 * the same start; `size` is batchSize(txns), which the caller has room for). Every byte
 * of the payload is written, the reserved word and padding included, so a reused buffer
 * gives the same bytes as a new one. Returns the end offset.
 */
export function encodeBatchInto(
  bytes: Uint8Array,
  v: DataView,
  at: number,
  txns: readonly Transaction[],
  size: number,
): number {
  // Operations leave reserved bytes and padding unwritten: zero them first.
  bytes.fill(0, at, at + size);
  v.setUint32(at, txns.length, true);
  v.setUint32(at + 4, 0, true);
  at += 8;
  for (const t of txns) {
    const end = encodeTransactionInto(bytes, v, at + 4, t);
    v.setUint32(at, end - at - 4, true);
    at = end;
  }
  return at;
}

/** Thrown for a batch whose checksum held but whose contents do not parse (a bug, not damage). */
export class MalformedBatchError extends Error {
  override name = "MalformedBatchError";
}

export function decodeBatch(payload: Uint8Array): Transaction[] {
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const need = (at: number, n: number) => {
    if (at + n > payload.byteLength) throw new MalformedBatchError("batch ends inside a transaction");
  };
  need(0, 8);
  const count = v.getUint32(0, true);
  const txns: Transaction[] = [];
  let at = 8;
  for (let k = 0; k < count; k++) {
    need(at, 4);
    const len = v.getUint32(at, true);
    at += 4;
    need(at, len);
    const end = at + len;
    need(at, 24);
    const txn: Transaction = {
      seq: getU64(v, at),
      highestModseq: getU64(v, at + 8),
      uidNext: v.getUint32(at + 16, true),
      ops: [],
    };
    const opCount = v.getUint32(at + 20, true);
    at += 24;
    for (let o = 0; o < opCount; o++) {
      need(at, 4);
      const code = payload[at]!;
      let op: Operation;
      switch (code) {
        case Op.append: {
          need(at, 4 + MESSAGE_RECORD_SIZE + 4 * (KEYWORD_WORDS - 1));
          const keywords = new Uint32Array(KEYWORD_WORDS);
          const record = readMessageRecord(v, payload, at + 4, keywords);
          for (let w = 1; w < KEYWORD_WORDS; w++)
            keywords[w] = v.getUint32(at + 4 + MESSAGE_RECORD_SIZE + 4 * (w - 1), true);
          op = { op: "append", record };
          break;
        }
        case Op.setFlags: {
          need(at, 16 + 4 * KEYWORD_WORDS);
          const keywords = new Uint32Array(KEYWORD_WORDS);
          for (let w = 0; w < KEYWORD_WORDS; w++) keywords[w] = v.getUint32(at + 16 + 4 * w, true);
          op = {
            op: "setFlags",
            flags: payload[at + 1]!,
            uid: v.getUint32(at + 4, true),
            modseq: getU64(v, at + 8),
            keywords,
          };
          break;
        }
        case Op.expunge:
          need(at, 16);
          op = { op: "expunge", uid: v.getUint32(at + 4, true), modseq: getU64(v, at + 8) };
          break;
        case Op.defineKeyword: {
          const len = payload[at + 1]!;
          need(at, 4 + len);
          op = {
            op: "defineKeyword",
            id: v.getUint16(at + 2, true),
            name: decoder.decode(payload.subarray(at + 4, at + 4 + len)),
          };
          break;
        }
        case Op.setUidValidity:
          need(at, 8);
          op = { op: "setUidValidity", uidValidity: v.getUint32(at + 4, true) };
          break;
        case Op.setFirstRecent:
          need(at, 8);
          op = { op: "setFirstRecent", uid: v.getUint32(at + 4, true) };
          break;
        case Op.trimTombstones:
          need(at, 16);
          op = { op: "trimTombstones", floor: getU64(v, at + 8) };
          break;
        default:
          throw new MalformedBatchError(`unknown operation ${code}`);
      }
      txn.ops.push(op);
      at += opSize(op);
    }
    if (at !== end) throw new MalformedBatchError("transaction length does not match its operations");
    txns.push(txn);
  }
  return txns;
}
