import { ChecksumError, FrameEncodeError } from "./errors.js";
import { checkSeed64, wasm, xxh64 } from "./xxhash.js";

/*
 * Checksummed record framing. One record on disk:
 *
 *   offset  size  field
 *   0       4     payload length n, u32 little-endian
 *   4       1     type, 1..255 (0 is reserved so zero-filled space never looks like a record)
 *   5       3     header check: low 24 bits of xxh32(bytes 0..4), little-endian
 *   8       n     payload
 *   8+n     8     record checksum: xxh64(bytes 0..8+n-1), u64 little-endian
 *
 * Invariants:
 * - No payload byte is handed to a caller before the record checksum over header and
 *   payload has been verified.
 * - The header check is verified before the length is believed, so a damaged length in
 *   the middle of a file is reported as corruption, not mistaken for a torn tail that a
 *   caller would truncate (losing every record after it).
 * - Both checks are seeded from the codec's seed, so records of one file kind (one seed)
 *   are not accepted as records of another.
 */

export const FRAME_HEADER_SIZE = 8;
export const FRAME_TRAILER_SIZE = 8;
export const FRAME_OVERHEAD = FRAME_HEADER_SIZE + FRAME_TRAILER_SIZE;
export const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;
const ABSOLUTE_MAX_PAYLOAD = 0xffffffff - FRAME_OVERHEAD;
const HEADER_SEED_SALT = 0x48464652; // "HFFR"

export interface FrameCodecOptions {
  /** Domain separator: use a different seed for each kind of file. Default 0. */
  seed?: bigint;
  /** Largest payload accepted by encode and believed by decode. Default 64 MiB. */
  maxPayload?: number;
}

/** A verified record. `payload` is a view into the caller's buffer (no copy). */
export interface FrameRecord {
  kind: "record";
  offset: number;
  /** Offset of the byte after this record: where the next one starts. */
  end: number;
  type: number;
  payload: Uint8Array;
}

/** Exactly at the end of the data: no more records, nothing left over. */
export interface FrameEnd {
  kind: "end";
  offset: number;
}

/**
 * The data ends inside a record: the header is incomplete, or a valid header announces
 * more bytes than remain, or only zero bytes remain (space allocated but never written).
 * This is what a crash during an append leaves behind.
 */
export interface FrameTorn {
  kind: "torn";
  offset: number;
  reason: "header incomplete" | "record extends past end of data" | "zero-filled tail";
}

/** Bytes that cannot be a record written by this codec. Nothing in them is returned. */
export interface FrameCorrupt {
  kind: "corrupt";
  offset: number;
  reason: "header check mismatch" | "reserved type 0" | "length exceeds maximum" | "record checksum mismatch";
}

export type FrameResult = FrameRecord | FrameEnd | FrameTorn | FrameCorrupt;

/** Total bytes a record with a payload of `payloadLength` bytes takes on disk. */
export function frameSize(payloadLength: number): number {
  return payloadLength + FRAME_OVERHEAD;
}

function allZero(data: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (data[i] !== 0) return false;
  return true;
}

export class FrameCodec {
  readonly seed: bigint;
  readonly maxPayload: number;
  private readonly headerSeed: number;

  constructor(options: FrameCodecOptions = {}) {
    this.seed = checkSeed64(options.seed ?? 0n);
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    if (!Number.isInteger(this.maxPayload) || this.maxPayload < 0 || this.maxPayload > ABSOLUTE_MAX_PAYLOAD) {
      throw new ChecksumError(`maxPayload must be an integer in [0, ${ABSOLUTE_MAX_PAYLOAD}]`);
    }
    this.headerSeed = (Number(this.seed & 0xffffffffn) ^ HEADER_SEED_SALT) >>> 0;
  }

  private headerCheck(data: Uint8Array, offset: number): number {
    return wasm().h32Raw(data.subarray(offset, offset + 5), this.headerSeed) & 0xffffff;
  }

  /** Encode one record into a new buffer. */
  encode(type: number, payload: Uint8Array): Uint8Array {
    const out = new Uint8Array(frameSize(payload.byteLength));
    this.encodeInto(out, 0, type, payload);
    return out;
  }

  /**
   * Encode one record into `target` at `offset` (for batching several records into one
   * write). Returns the offset just past the record.
   */
  encodeInto(target: Uint8Array, offset: number, type: number, payload: Uint8Array): number {
    if (!Number.isInteger(type) || type < 1 || type > 255) {
      throw new FrameEncodeError(`record type must be an integer in 1..255: got ${String(type)}`);
    }
    const n = payload.byteLength;
    if (n > this.maxPayload)
      throw new FrameEncodeError(`payload of ${n} bytes exceeds the maximum of ${this.maxPayload}`);
    const end = offset + frameSize(n);
    if (offset < 0 || end > target.byteLength) throw new FrameEncodeError("target buffer too small for the record");
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    view.setUint32(offset, n, true);
    target[offset + 4] = type;
    const hc = this.headerCheck(target, offset);
    target[offset + 5] = hc & 0xff;
    target[offset + 6] = (hc >>> 8) & 0xff;
    target[offset + 7] = (hc >>> 16) & 0xff;
    target.set(payload, offset + FRAME_HEADER_SIZE);
    const sum = xxh64(target.subarray(offset, offset + FRAME_HEADER_SIZE + n), this.seed);
    view.setBigUint64(offset + FRAME_HEADER_SIZE + n, sum, true);
    return end;
  }

  /** Classify the bytes at `offset` of `data` (see FrameResult). Never throws on any input. */
  decodeAt(data: Uint8Array, offset: number): FrameResult {
    const total = data.byteLength;
    if (offset >= total) return { kind: "end", offset };
    if (total - offset < FRAME_HEADER_SIZE) {
      return { kind: "torn", offset, reason: allZero(data, offset, total) ? "zero-filled tail" : "header incomplete" };
    }
    const hc = data[offset + 5]! | (data[offset + 6]! << 8) | (data[offset + 7]! << 16);
    if (hc !== this.headerCheck(data, offset)) {
      if (allZero(data, offset, total)) return { kind: "torn", offset, reason: "zero-filled tail" };
      return { kind: "corrupt", offset, reason: "header check mismatch" };
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const n = view.getUint32(offset, true);
    const type = data[offset + 4]!;
    if (type === 0) return { kind: "corrupt", offset, reason: "reserved type 0" };
    if (n > this.maxPayload) return { kind: "corrupt", offset, reason: "length exceeds maximum" };
    const end = offset + frameSize(n);
    if (end > total) return { kind: "torn", offset, reason: "record extends past end of data" };
    const bodyEnd = offset + FRAME_HEADER_SIZE + n;
    const stored = view.getBigUint64(bodyEnd, true);
    if (stored !== xxh64(data.subarray(offset, bodyEnd), this.seed)) {
      return { kind: "corrupt", offset, reason: "record checksum mismatch" };
    }
    return { kind: "record", offset, end, type, payload: data.subarray(offset + FRAME_HEADER_SIZE, bodyEnd) };
  }

  /**
   * Walk records from `offset`. Yields every valid record, then exactly one final result
   * that is not a record (end, torn or corrupt) and stops.
   */
  *walk(data: Uint8Array, offset = 0): Generator<FrameResult, void, undefined> {
    let at = offset;
    for (;;) {
      const result = this.decodeAt(data, at);
      yield result;
      if (result.kind !== "record") return;
      at = result.end;
    }
  }

  /**
   * The first offset at or after `from` where a valid record starts, or -1. Used to
   * measure the extent of damage: if a valid record follows a bad spot, the bad spot is
   * damage in the middle, not a torn tail.
   */
  findNext(data: Uint8Array, from: number): number {
    const last = data.byteLength - FRAME_OVERHEAD;
    for (let at = Math.max(0, from); at <= last; at++) {
      if (this.decodeAt(data, at).kind === "record") return at;
    }
    return -1;
  }
}
