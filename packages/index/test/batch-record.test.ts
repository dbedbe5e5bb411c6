import { initChecksum } from "@holdfast/checksum";
import { beforeAll, describe, expect, it } from "vitest";
import { BatchRecordEncoder } from "../src/batch-record.js";
import { LogRecordType } from "../src/format.js";
import { decodeBatch, encodeBatch, logCodec, type Transaction } from "../src/index.js";
import { prng } from "./helpers/mailbox.js";

beforeAll(() => initChecksum());

/** Byte equality (toEqual walks large arrays slowly). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Random transactions of every operation kind (sizes vary, so reused bytes are stale). */
function randomBatch(random: () => number, count: number, appendsEach = 1, onlyAppends = false): Transaction[] {
  const txns: Transaction[] = [];
  for (let k = 0; k < count; k++) {
    const ops: Transaction["ops"] = [];
    const kind = onlyAppends ? 0 : Math.floor(random() * 6);
    const keywords = Uint32Array.from({ length: 8 }, () => (random() < 0.3 ? (random() * 2 ** 32) >>> 0 : 0));
    if (kind === 0)
      for (let a = 0; a < appendsEach; a++)
        ops.push({
          op: "append",
          record: {
            uid: k * 1000 + a + 1,
            flags: 31,
            keywords,
            modseq: 2 ** 40 + k,
            size: 0xffff_ffff,
            internalDate: -5,
            guid: Uint8Array.from({ length: 16 }, () => 255),
            contentHash: (1n << 64n) - 1n,
          },
        });
    else if (kind === 1) ops.push({ op: "setFlags", uid: k + 1, flags: 21, keywords, modseq: k + 2 });
    else if (kind === 2) ops.push({ op: "expunge", uid: 0xffff_ffff, modseq: 2 ** 52 });
    else if (kind === 3) ops.push({ op: "defineKeyword", id: k, name: "$x".repeat(1 + Math.floor(random() * 20)) });
    else if (kind === 4) ops.push({ op: "trimTombstones", floor: 2 ** 50 + 3 });
    else ops.push({ op: "setFirstRecent", uid: 7 }, { op: "setUidValidity", uidValidity: 0xffff_ffff });
    txns.push({ seq: k + 1, uidNext: 0xffff_ffff, highestModseq: 2 ** 52 + k, ops });
  }
  return txns;
}

describe("batch records in reused buffers", () => {
  it("are byte-identical to a record encoded into new buffers, batch after batch of varied sizes", () => {
    const random = prng(42);
    const encoder = new BatchRecordEncoder();
    for (let round = 0; round < 300; round++) {
      // Large batches first now and then, so that smaller ones land on stale bytes.
      const count = round % 7 === 0 ? 60 : 1 + Math.floor(random() * 16);
      const txns = randomBatch(random, count);
      const reference = logCodec.encode(LogRecordType.batch, encodeBatch(txns));
      const record = encoder.encode(txns);
      expect(sameBytes(record, reference)).toBe(true);
      const decoded = logCodec.decodeAt(record, 0);
      expect(decoded.kind).toBe("record");
      if (decoded.kind === "record") expect(decodeBatch(decoded.payload)).toHaveLength(count);
    }
  });

  it("encodes a batch too large to keep into a buffer of its own, leaving the reused one intact", () => {
    const random = prng(7);
    const encoder = new BatchRecordEncoder();
    const small = randomBatch(random, 4);
    const first = encoder.encode(small);
    const kept = first.slice();
    const large = randomBatch(random, 40, 200, true); // 8,000 appends: ~770 KB
    const big = encoder.encode(large);
    expect(sameBytes(big, logCodec.encode(LogRecordType.batch, encodeBatch(large)))).toBe(true);
    expect(big.buffer).not.toBe(first.buffer);
    expect(sameBytes(first, kept)).toBe(true);
  });
});
