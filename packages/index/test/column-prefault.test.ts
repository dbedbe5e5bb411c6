import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ColumnPrefault } from "../src/column-prefault.js";
import { loadSnapshotFile, MailboxIndex, nodeFs } from "../src/index.js";
import { MessageTable } from "../src/message-table.js";
import { message, tempFolder } from "./helpers/mailbox.js";

/*
 * Open faults the message columns in by reading /dev/zero into them on an I/O thread
 * (column-prefault.ts). The danger is ordering: a read of zeros that lands after the decoder
 * wrote a range would wipe those records. These tests decode a mailbox large enough for the
 * prefault to run and check every field of every message against what was appended.
 */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const COUNT = 70_000; // above the prefault's lower bound (65,536 messages)
const flagsOf = (n: number): string[] => (n % 3 === 0 ? ["\\Seen"] : n % 7 === 0 ? ["\\Flagged", "$Label1"] : []);

describe("column prefault", () => {
  it("open with and without prefault yields every message exactly as appended", async () => {
    let dir: string;
    ({ dir, cleanup } = await tempFolder());
    const writer = await MailboxIndex.open(dir, { create: true, uidValidity: 9, fsync: "never" });
    for (let first = 1; first <= COUNT; first += 10_000) {
      const tx = writer.transaction();
      for (let n = first; n < first + 10_000 && n <= COUNT; n++) tx.append(message(n, flagsOf(n)));
      await tx.commit();
    }
    await writer.checkpoint();
    await writer.close();

    for (const prefaultColumns of [true, false]) {
      const index = await MailboxIndex.open(dir, { readOnly: true, prefaultColumns });
      const view = await index.view();
      try {
        expect(view.count).toBe(COUNT);
        let wrong = 0;
        for (let n = 1; n <= COUNT; n++) {
          const got = view.get(n);
          const want = message(n, flagsOf(n));
          if (
            got === undefined ||
            got.size !== want.size ||
            got.internalDate !== want.internalDate ||
            got.contentHash !== want.contentHash ||
            Buffer.compare(Buffer.from(got.guid), Buffer.from(want.guid)) !== 0 ||
            got.flags.slice().sort().join(" ") !== (want.flags ?? []).slice().sort().join(" ") ||
            got.modseq === 0
          )
            wrong++;
        }
        expect(wrong, `prefaultColumns ${prefaultColumns}`).toBe(0);
      } finally {
        view.close();
        await index.close();
      }
    }
  });

  it("the decoder waits for the zeros: a filler that lands late wipes nothing", async () => {
    let dir: string;
    ({ dir, cleanup } = await tempFolder());
    const count = 40_000; // three ranges
    const writer = await MailboxIndex.open(dir, { create: true, uidValidity: 9, fsync: "never" });
    const tx = writer.transaction();
    for (let n = 1; n <= count; n++) tx.append(message(n, flagsOf(n)));
    await tx.commit();
    await writer.checkpoint();
    await writer.close();
    // Zeros written 3 ms after they were asked for: long after the decoder could have
    // written the range, had it not waited.
    let fills = 0;
    const lateFill = (views: Uint8Array[]) =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          for (const v of views) v.fill(0);
          fills++;
          resolve();
        }, 3),
      );
    const loaded = await loadSnapshotFile(nodeFs, join(dir, "index"), { columnFill: lateFill });
    expect(loaded).toBeDefined();
    expect(fills).toBe(3);
    const t = loaded!.state.messages;
    expect(t.count).toBe(count);
    let wrong = 0;
    for (let i = 0; i < count; i++) {
      const want = message(i + 1);
      if (t.uids[i] !== i + 1 || t.sizes[i] !== want.size || t.dates[i] !== want.internalDate || t.modseqs[i] === 0)
        wrong++;
    }
    expect(wrong).toBe(0);
  });

  it("a range is ready only once its zeros have landed, and settled() waits for every read", async () => {
    const count = 200_000;
    const table = new MessageTable(count);
    const columns = table.columns();
    // Non-zero everywhere, so a range the reads have not reached yet is visible.
    for (const c of columns) new Uint8Array(c.buffer, c.byteOffset, c.byteLength).fill(0xee);
    const prefault = new ColumnPrefault(table, count);
    const zeroUpTo = (upTo: number): boolean =>
      columns.every((c) => {
        const width = c.byteLength / count;
        return new Uint8Array(c.buffer, c.byteOffset, upTo * width).every((b) => b === 0);
      });
    for (const upTo of [1, 16_384, 16_385, 100_000, count]) {
      await prefault.ready(upTo);
      expect(prefault.isReady(upTo)).toBe(true);
      expect(zeroUpTo(upTo), `positions below ${upTo}`).toBe(true);
    }
    await prefault.settled();
    expect(zeroUpTo(count)).toBe(true);
  });

  it("below the lower bound nothing is read and everything is ready at once", async () => {
    const table = new MessageTable(1000);
    table.uids.fill(7);
    const prefault = new ColumnPrefault(table, 1000);
    expect(prefault.isReady(1000)).toBe(true);
    await prefault.settled();
    expect(table.uids.every((u) => u === 7)).toBe(true);
  });
});
