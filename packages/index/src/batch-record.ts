import { frameSize } from "@holdfast/checksum";
import { LogRecordType } from "./format.js";
import { batchSize, encodeBatchInto } from "./log-format.js";
import { logCodec } from "./log-scan.js";
import type { Transaction } from "./operations.js";

/**
 * Batches larger than this are encoded into buffers of their own, not kept for reuse, so
 * one large append batch does not pin megabytes for the life of the index.
 */
const MAX_REUSED_BYTES = 256 * 1024;

/**
 * Encodes group-commit batches into log records (batch payload in a checksummed frame)
 * in two buffers it keeps and reuses, instead of allocating a payload and a frame per
 * batch. The bytes are the same as `logCodec.encode(LogRecordType.batch, encodeBatch(txns))`.
 *
 * Invariant: the record `encode` returns is a view into a buffer that the next `encode`
 * overwrites. The index writes one batch at a time (the next is encoded only after the
 * previous write and fdatasync returned), and the file layer copies written bytes (a
 * pwrite into the page cache; IndexFs.write's contract), so a record is never changed
 * while it is still being written.
 */
export class BatchRecordEncoder {
  private payload = new Uint8Array(0);
  private payloadView = new DataView(this.payload.buffer);
  private frame = new Uint8Array(0);

  encode(txns: readonly Transaction[]): Uint8Array {
    const n = batchSize(txns);
    const size = frameSize(n);
    if (size > MAX_REUSED_BYTES) {
      const payload = new Uint8Array(n);
      encodeBatchInto(payload, new DataView(payload.buffer), 0, txns, n);
      return logCodec.encode(LogRecordType.batch, payload);
    }
    if (this.payload.byteLength < n) {
      this.payload = new Uint8Array(roundUp(n));
      this.payloadView = new DataView(this.payload.buffer);
    }
    if (this.frame.byteLength < size) this.frame = new Uint8Array(roundUp(size));
    encodeBatchInto(this.payload, this.payloadView, 0, txns, n);
    logCodec.encodeInto(this.frame, 0, LogRecordType.batch, this.payload.subarray(0, n));
    return this.frame.subarray(0, size);
  }
}

/** Buffer sizes grow in powers of two from 4 KiB (a batch of 16 flag changes is ~1.4 KiB). */
function roundUp(n: number): number {
  let size = 4096;
  while (size < n) size *= 2;
  return size;
}
