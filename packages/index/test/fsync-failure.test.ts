import { initChecksum } from "@holdfast/checksum";
import { beforeAll, describe, expect, it } from "vitest";
import { IndexClosedError, MailboxIndex } from "../src/index.js";
import { FaultFs } from "./helpers/fault-fs.js";
import { message, prng } from "./helpers/mailbox.js";

/*
 * Defect 5 of the review: after a failed fdatasync, a reopen appended to the same log
 * inode, whose page cache may hold the failed batch as clean pages that will never reach
 * the disk — so the refused commits came back (read from the cache) and everything appended
 * after them sat behind a hole that a power cut would expose. The fault layer fails a sync
 * the way Linux does (dirty pages marked clean, disk keeps the old bytes).
 */

const DIR = "/mbox";
const LOG = `${DIR}/log`;
beforeAll(() => initChecksum());

async function uids(index: MailboxIndex): Promise<number[]> {
  const view = await index.view();
  try {
    return [...view.uids()];
  } finally {
    view.close();
  }
}

describe("a failed fdatasync", () => {
  it("refuses its commits; a reopen writes a new log file; nothing lost or resurrected, even after a power cut", async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const fs = new FaultFs();
      const index = await MailboxIndex.open(DIR, { fs, create: true, uidValidity: 9, autoCheckpointBytes: 0 });
      for (let i = 1; i <= 3; i++) await index.transaction().append(message(i)).commit();
      fs.failSyncAfter(1);
      const refused = [
        index.transaction().append(message(4)).commit(),
        index.transaction().append(message(5)).commit(),
      ];
      for (const r of await Promise.allSettled(refused)) expect(r.status).toBe("rejected");
      await expect(index.transaction().append(message(6)).commit()).rejects.toBeInstanceOf(IndexClosedError);
      const failedInode = fs.inodeOf(LOG);
      await index.close();

      // Same boot: the page cache still has whatever the failed batch left.
      const reopened = await MailboxIndex.open(DIR, { fs, autoCheckpointBytes: 0 });
      expect(reopened.readOnly).toBe(false);
      expect(fs.inodeOf(LOG)).not.toBe(failedInode);
      expect(await uids(reopened)).toEqual([1, 2, 3]);
      const { appended } = await reopened.transaction().append(message(7)).commit();
      expect(appended[0]).toBeGreaterThanOrEqual(4);
      await reopened.transaction().store([1], "add", ["\\Seen"]).commit();

      // Power cut now: the acknowledged commits are on disk, the refused ones are not.
      const image = fs.crashImage(prng(seed));
      const after = await MailboxIndex.open(DIR, { fs: new FaultFs(image) });
      expect(after.readOnly, JSON.stringify(after.recovery)).toBe(false);
      expect(await uids(after)).toEqual([1, 2, 3, appended[0]]);
      expect((await after.view()).get(1)!.flags).toEqual(["\\Seen"]);
      await after.close();
    }
  });

  it("a failed sync while recovering leaves the mailbox to the next open, which still writes new files", async () => {
    const fs = new FaultFs();
    const index = await MailboxIndex.open(DIR, { fs, create: true, uidValidity: 9 });
    await index.transaction().append(message(1)).commit();
    fs.failSyncAfter(1);
    await expect(index.transaction().append(message(2)).commit()).rejects.toThrow();
    await index.close();
    fs.failSyncAfter(1); // the reopen's first sync (its rewrite of the log) fails too
    await expect(MailboxIndex.open(DIR, { fs })).rejects.toThrow(/EIO/);
    const inode = fs.inodeOf(LOG);
    const reopened = await MailboxIndex.open(DIR, { fs });
    expect(fs.inodeOf(LOG)).not.toBe(inode);
    expect(await uids(reopened)).toEqual([1]);
    await reopened.close();
  });
});
