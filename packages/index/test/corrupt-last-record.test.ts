import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compareStates, IndexReadOnlyError, logCodec, MailboxIndex, type MailboxStatus, verify } from "../src/index.js";
import { logRecords } from "./helpers/log-records.js";
import { message, tempFolder } from "./helpers/mailbox.js";

/*
 * Defect 2 of the review: a corrupt last log record was taken for a torn tail and dropped
 * even when it was whole (or followed by a torn record), so an acknowledged batch vanished,
 * its UIDs were handed out again and verify said clean. Only a record running to the end of
 * the file can be a torn write; a whole record with anything after it was acknowledged
 * (the next batch is written only after its fdatasync), so its loss is corruption. When an
 * unreadable last record is truncated, UIDNEXT and HIGHESTMODSEQ move past anything it
 * could have held.
 */

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempFolder()));
afterEach(() => cleanup());

/** 20 messages in the snapshot, then three single-append batches (UIDs 21-23) in the log only. */
async function build(): Promise<MailboxStatus> {
  const index = await MailboxIndex.open(dir, { create: true, uidValidity: 3, autoCheckpointBytes: 0 });
  const tx = index.transaction();
  for (let i = 1; i <= 20; i++) tx.append(message(i, ["\\Seen"]));
  await tx.commit();
  await index.checkpoint();
  for (let i = 21; i <= 23; i++) await index.transaction().append(message(i)).commit();
  const status = index.status();
  await index.close();
  return status;
}

async function corruptLastRecord(): Promise<{ offset: number; end: number }> {
  const path = join(dir, "log");
  const data = await readFile(path);
  const last = logRecords(data).at(-1)!;
  data[last.offset + 30]! ^= 0x10; // inside the payload: the header check still holds
  await writeFile(path, data);
  return last;
}

describe("a corrupt last log record", () => {
  it("whole and running to the end of the file: truncated, but UIDNEXT and HIGHESTMODSEQ move past it", async () => {
    const before = await build();
    await corruptLastRecord();
    const report = await verify(dir);
    expect(report.ok).toBe(false);
    expect(report.log.tail.kind).toBe("corrupt-tail");

    const index = await MailboxIndex.open(dir);
    expect(index.readOnly).toBe(false);
    expect(index.recovery.clean).toBe(false);
    expect(index.recovery.problems.join(" ")).toContain("may have been acknowledged");
    const after = index.status();
    expect(after.uidValidity).toBe(before.uidValidity);
    expect(after.uidNext).toBeGreaterThanOrEqual(before.uidNext);
    expect(after.highestModseq).toBeGreaterThanOrEqual(before.highestModseq);
    // UID 23 (in the dropped batch) is never handed out again.
    const { appended } = await index.transaction().append(message(99)).commit();
    expect(appended[0]).toBeGreaterThanOrEqual(before.uidNext);
    await index.close();
    expect((await verify(dir)).ok).toBe(true);
    // The counters moved forward for good (every copy holds them).
    const again = await MailboxIndex.open(dir);
    expect(again.status().uidNext).toBeGreaterThan(appended[0]!);
    await again.close();
  });

  it("whole with a torn record after it: corruption (it was acknowledged), read-only, counters not reused", async () => {
    const before = await build();
    await corruptLastRecord();
    // A batch torn by a crash during its append: written only after the one before it was durable.
    await appendFile(join(dir, "log"), logCodec.encode(2, new Uint8Array(200).fill(7)).subarray(0, 90));
    const report = await verify(dir);
    expect(report.ok).toBe(false);
    expect(report.log.damage.length).toBe(1);
    expect(report.log.tail.kind).toBe("clean");

    const index = await MailboxIndex.open(dir);
    expect(index.readOnly).toBe(true);
    expect(index.recovery.lossless).toBe(false);
    expect(index.status().uidNext).toBeGreaterThanOrEqual(before.uidNext);
    expect(index.status().highestModseq).toBeGreaterThanOrEqual(before.highestModseq);
    expect(index.recovery.lostUidRanges.some(([a, b]) => a <= 23 && b >= 23)).toBe(true);
    await expect(index.transaction().append(message(99)).commit()).rejects.toBeInstanceOf(IndexReadOnlyError);
    await index.close();
    // Opening did not "repair" it away.
    expect((await verify(dir)).ok).toBe(false);
  });

  it("whole with a torn record after it, but inside the snapshot: repaired from the snapshot exactly", async () => {
    const index = await MailboxIndex.open(dir, { create: true, uidValidity: 3, autoCheckpointBytes: 0 });
    for (let i = 1; i <= 5; i++) await index.transaction().append(message(i)).commit();
    await index.checkpoint();
    for (let i = 6; i <= 8; i++) await index.transaction().append(message(i)).commit();
    await index.checkpoint(); // the log now ends exactly at the snapshot's transaction
    const state = index.state;
    await index.close();
    await corruptLastRecord();
    await appendFile(join(dir, "log"), logCodec.encode(2, new Uint8Array(200).fill(7)).subarray(0, 90));
    const reopened = await MailboxIndex.open(dir);
    expect(reopened.readOnly).toBe(false);
    expect(reopened.recovery.lossless).toBe(true);
    expect(compareStates(reopened.state, state)).toEqual([]);
    await reopened.close();
    expect((await verify(dir)).ok).toBe(true);
  });
});
