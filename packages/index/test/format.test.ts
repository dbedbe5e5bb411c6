import { initChecksum } from "@holdfast/checksum";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BLOCK_SIZE,
  compareStates,
  decodeBatch,
  encodeBatch,
  encodeSnapshot,
  loadSnapshotFile,
  MailboxIndex,
  readSnapshot,
  readSnapshotHeader,
} from "../src/index.js";
import { FaultFs } from "./helpers/fault-fs.js";
import { message, prng } from "./helpers/mailbox.js";
import { Model, randomTransaction } from "./helpers/model.js";

beforeAll(() => initChecksum());

/** A mailbox built by random transactions over the in-memory file layer. */
async function randomMailbox(seed: number, rounds: number) {
  const random = prng(seed);
  const fs = new FaultFs();
  const index = await MailboxIndex.open("/m", { fs, create: true, uidValidity: seed + 1, autoCheckpointBytes: 0 });
  const model = new Model();
  for (let r = 0; r < rounds; r++) await randomTransaction(index, model, random).commit();
  if (random() < 0.5)
    await index
      .transaction()
      .store(
        "1:*",
        "add",
        Array.from({ length: 40 }, (_, i) => `$k${i}`),
      )
      .commit();
  return { fs, index };
}

describe("snapshot encoding", () => {
  it("decodes to exactly the encoded state, whole-file and streamed (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 60 }),
        async (seed, rounds) => {
          const { fs, index } = await randomMailbox(seed, rounds);
          const bytes = encodeSnapshot(index.state);
          expect(bytes.byteLength % BLOCK_SIZE).toBe(0);
          const read = readSnapshot(bytes);
          expect(read.kind).toBe("ok");
          if (read.kind === "ok") expect(compareStates(read.state, index.state)).toEqual([]);
          const file = await fs.open("/snap", "replace");
          await file.write(bytes, 0);
          await file.close();
          const streamed = await loadSnapshotFile(fs, "/snap");
          expect(streamed).toBeDefined();
          expect(compareStates(streamed!.state, index.state)).toEqual([]);
          await index.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it("refuses a header with a wrong version, block size or section sizes even with a valid checksum", async () => {
    const { index } = await randomMailbox(5, 10);
    const bytes = encodeSnapshot(index.state);
    await index.close();
    const { sealBlock } = await import("@holdfast/checksum");
    const { SNAPSHOT_SEED } = await import("../src/index.js");
    for (const [offset, value] of [
      [8, 2],
      [12, 1],
      [92, 7],
    ] as const) {
      const copy = bytes.slice();
      new DataView(copy.buffer).setUint32(offset, value, true);
      sealBlock(copy.subarray(0, BLOCK_SIZE), 0, SNAPSHOT_SEED);
      expect(typeof readSnapshotHeader(copy)).toBe("string");
    }
  });
});

describe("log batches", () => {
  it("decode gives back the encoded transactions", async () => {
    const { index } = await randomMailbox(9, 0);
    const txns = [
      {
        seq: 2,
        uidNext: 2,
        highestModseq: 2,
        ops: [
          { op: "defineKeyword" as const, id: 0, name: "$Work" },
          {
            op: "append" as const,
            record: {
              ...message(1),
              uid: 1,
              flags: 3,
              modseq: 2,
              keywords: Uint32Array.from([1, 0, 0, 0, 0, 0, 0, 9]),
            },
          },
        ],
      },
      {
        seq: 3,
        uidNext: 2,
        highestModseq: 3,
        ops: [
          {
            op: "setFlags" as const,
            uid: 1,
            flags: 16,
            keywords: Uint32Array.from([0, 5, 0, 0, 0, 0, 0, 0]),
            modseq: 3,
          },
          { op: "expunge" as const, uid: 1, modseq: 3 },
          { op: "trimTombstones" as const, floor: 1 },
          { op: "setFirstRecent" as const, uid: 2 },
          { op: "setUidValidity" as const, uidValidity: 12 },
        ],
      },
    ];
    const decoded = decodeBatch(encodeBatch(txns));
    expect(decoded).toEqual(
      txns.map((t) => ({
        ...t,
        ops: t.ops.map((o) => (o.op === "append" ? { ...o, record: { ...o.record, guid: o.record.guid } } : o)),
      })),
    );
    expect(() => decodeBatch(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]))).toThrow();
    await index.close();
  });
});
