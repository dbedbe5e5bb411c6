import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IndexInputError, MAX_KEYWORDS, MailboxIndex, verify } from "../src/index.js";
import { message, tempFolder } from "./helpers/mailbox.js";

let dir: string;
let cleanup: () => Promise<void>;
let index: MailboxIndex;
beforeEach(async () => {
  ({ dir, cleanup } = await tempFolder());
  index = await MailboxIndex.open(dir, { create: true, uidValidity: 500 });
});
afterEach(async () => {
  await index.close();
  await cleanup();
});

async function flagsOf(uid: number): Promise<string[] | undefined> {
  const view = await index.view();
  try {
    return view.get(uid)?.flags;
  } finally {
    view.close();
  }
}

describe("a new mailbox", () => {
  it("starts empty with the given UIDVALIDITY", () => {
    expect(index.status()).toMatchObject({ uidValidity: 500, uidNext: 1, messages: 0, firstRecentUid: 1 });
  });

  it("refuses to open a folder without an index unless asked to create one", async () => {
    const other = await tempFolder();
    await expect(MailboxIndex.open(other.dir)).rejects.toThrow("no mailbox index");
    await other.cleanup();
  });
});

describe("append", () => {
  it("assigns increasing UIDs, returned in order, and one MODSEQ per transaction", async () => {
    const a = await index.transaction().append(message(1)).append(message(2)).commit();
    const b = await index.transaction().append(message(3)).commit();
    expect(a.appended).toEqual([1, 2]);
    expect(b.appended).toEqual([3]);
    expect(b.highestModseq).toBe(a.highestModseq + 1);
    const view = await index.view();
    expect(view.get(1)!.modseq).toBe(a.highestModseq);
    expect(view.get(3)).toMatchObject({ uid: 3, size: 1003, internalDate: 1_700_000_003_000, modseq: b.highestModseq });
    expect(view.get(3)!.guid).toEqual(message(3).guid);
    expect(view.get(3)!.contentHash).toBe(message(3).contentHash);
    view.close();
  });

  it("never reuses a UID, even after expunging the last message", async () => {
    await index.transaction().append(message(1)).append(message(2)).commit();
    await index.transaction().expunge([2]).commit();
    const r = await index.transaction().append(message(3)).commit();
    expect(r.appended).toEqual([3]);
  });

  it("validates message descriptions with typed errors", () => {
    const tx = index.transaction();
    expect(() => tx.append({ ...message(1), guid: new Uint8Array(15) })).toThrow(IndexInputError);
    expect(() => tx.append({ ...message(1), size: -1 })).toThrow(IndexInputError);
    expect(() => tx.append({ ...message(1), size: 2 ** 32 })).toThrow(IndexInputError);
    expect(() => tx.append({ ...message(1), size: 1.5 })).toThrow(IndexInputError);
    expect(() => tx.append({ ...message(1), internalDate: Number.NaN })).toThrow(IndexInputError);
    expect(() => tx.append({ ...message(1), contentHash: -1n })).toThrow(IndexInputError);
    expect(() => tx.append({ ...message(1), contentHash: 1 as unknown as bigint })).toThrow(IndexInputError);
    expect(() => tx.append({ ...message(1), flags: ["\\Recent"] })).toThrow(IndexInputError);
    expect(tx.size).toBe(0);
  });
});

describe("store", () => {
  beforeEach(async () => {
    await index
      .transaction()
      .append(message(1, ["\\Seen"]))
      .append(message(2))
      .append(message(3, ["$Junk"]))
      .commit();
  });

  it("adds, removes and replaces flags and keywords", async () => {
    await index.transaction().store([1, 2], "add", ["\\Flagged", "$Label1"]).commit();
    expect(await flagsOf(1)).toEqual(["\\Seen", "\\Flagged", "$Label1"]);
    await index.transaction().store("1", "remove", ["\\Seen", "$label1"]).commit();
    expect(await flagsOf(1)).toEqual(["\\Flagged"]);
    await index.transaction().store([3], "replace", ["\\Draft"]).commit();
    expect(await flagsOf(3)).toEqual(["\\Draft"]);
    expect(await flagsOf(2)).toEqual(["\\Flagged", "$Label1"]);
  });

  it("gives each changed message the transaction's new MODSEQ and leaves no-ops alone", async () => {
    const before = index.status().highestModseq;
    const r = await index.transaction().store("1:3", "add", ["\\Seen"]).commit();
    expect(r.modified).toEqual([
      { uid: 2, modseq: before + 1 },
      { uid: 3, modseq: before + 1 },
    ]);
    const again = await index.transaction().store("1:3", "add", ["\\Seen"]).commit();
    expect(again.modified).toEqual([]);
    expect(again.seq).toBe(0);
    expect(index.status().highestModseq).toBe(before + 1);
  });

  it("reports the UIDs that fail UNCHANGEDSINCE and changes only the others (RFC 7162)", async () => {
    const m0 = index.status().highestModseq;
    await index.transaction().store([2], "add", ["\\Answered"]).commit(); // UID 2 now at m0 + 1
    const r = await index.transaction().store("1:3", "add", ["\\Deleted"], { unchangedSince: m0 }).commit();
    expect(r.failedUnchangedSince).toEqual([2]);
    expect(r.modified.map((m) => m.uid)).toEqual([1, 3]);
    expect(await flagsOf(2)).toEqual(["\\Answered"]);
    expect(() => index.transaction().store([1], "add", [], { unchangedSince: -1 })).toThrow(IndexInputError);
  });

  it("ignores UIDs that are not in the mailbox", async () => {
    const r = await index.transaction().store([2, 99], "add", ["\\Seen"]).commit();
    expect(r.modified.map((m) => m.uid)).toEqual([2]);
  });

  it("supports keywords past the 32nd and refuses the 257th", async () => {
    // $Junk already holds keyword number 0: 255 more fill the table.
    const names = Array.from({ length: MAX_KEYWORDS - 1 }, (_, i) => `k${i}`);
    for (let i = 0; i < names.length; i += 50)
      await index
        .transaction()
        .store([1], "add", names.slice(i, i + 50))
        .commit();
    expect((await flagsOf(1))!.length).toBe(MAX_KEYWORDS);
    await index.transaction().store([2], "replace", ["k200", "k31", "k32"]).commit();
    expect(await flagsOf(2)).toEqual(["k31", "k32", "k200"]);
    await expect(index.transaction().store([1], "add", ["one-too-many"]).commit()).rejects.toThrow(IndexInputError);
    // Nothing was half-applied, and everything survives a checkpoint and a reopen.
    await index.checkpoint();
    await index.close();
    index = await MailboxIndex.open(dir);
    expect(await flagsOf(2)).toEqual(["k31", "k32", "k200"]);
    expect((await flagsOf(1))!.length).toBe(MAX_KEYWORDS);
  });

  it("refuses a bad mode", () => {
    expect(() => index.transaction().store([1], "toggle" as "add", ["\\Seen"])).toThrow(IndexInputError);
  });
});

describe("expunge and tombstones", () => {
  it("removes messages, records tombstones and answers VANISHED (EARLIER) exactly", async () => {
    await index.transaction().append(message(1)).append(message(2)).append(message(3)).append(message(4)).commit();
    const m = index.status().highestModseq;
    const r = await index.transaction().expunge("2:3").commit();
    expect(r.expunged).toEqual([2, 3]);
    expect(index.status().messages).toBe(2);
    expect(index.expungedSince(m)).toEqual({ exact: true, uids: [2, 3] });
    expect(index.expungedSince(m + 1)).toEqual({ exact: true, uids: [] });
  });

  it("keeps at most maxTombstones and then answers with every missing UID", async () => {
    await index.close();
    index = await MailboxIndex.open(dir, { maxTombstones: 3 });
    const tx = index.transaction();
    for (let i = 1; i <= 10; i++) tx.append(message(i));
    await tx.commit();
    const m = index.status().highestModseq;
    await index.transaction().expunge([1, 2]).commit();
    await index.transaction().expunge([5]).commit();
    await index.transaction().expunge([7]).commit(); // 4 tombstones: the oldest goes
    const late = index.expungedSince(m + 2);
    expect(late).toEqual({ exact: true, uids: [7] });
    const early = index.expungedSince(m);
    expect(early.exact).toBe(false);
    expect(early.uids).toEqual([1, 2, 5, 7]);
  });
});

describe("counters and digest", () => {
  it("claims \\Recent for one session", async () => {
    await index.transaction().append(message(1)).append(message(2)).commit();
    let view = await index.view();
    expect(view.get(1)!.recent).toBe(true);
    view.close();
    await index.transaction().claimRecent().commit();
    expect(index.status().firstRecentUid).toBe(3);
    view = await index.view();
    expect(view.get(1)!.recent).toBe(false);
    view.close();
  });

  it("keeps the incremental digest equal to one computed from scratch, across reopen", async () => {
    await index
      .transaction()
      .append(message(1, ["$A"]))
      .append(message(2))
      .append(message(3, ["\\Seen"]))
      .commit();
    await index.transaction().store("1:*", "add", ["$B"]).commit();
    await index.transaction().expunge([2]).commit();
    expect(index.state.digest).toBe(index.state.computeDigest());
    const digest = index.status().digest;
    await index.checkpoint();
    await index.close();
    index = await MailboxIndex.open(dir);
    expect(index.status().digest).toBe(digest);
    expect((await verify(dir)).digestOk).toBe(true);
  });

  it("gives the same digest to two mailboxes with the same messages, whatever the keyword numbering", async () => {
    const other = await tempFolder();
    const twin = await MailboxIndex.open(other.dir, { create: true, uidValidity: 500 });
    await index
      .transaction()
      .append(message(1, ["$A", "$B"]))
      .commit();
    await twin
      .transaction()
      .append(message(1, ["$B", "$A"]))
      .commit();
    expect(twin.status().keywords).toEqual(["$B", "$A"]);
    expect(twin.status().digest).toBe(index.status().digest);
    await twin.close();
    await other.cleanup();
  });

  it("never moves UIDNEXT or HIGHESTMODSEQ backwards over commits, checkpoints and reopen", async () => {
    let last = { uidNext: 0, highestModseq: 0 };
    for (let i = 0; i < 20; i++) {
      const tx = index.transaction().append(message(i));
      if (i % 3 === 2) tx.expunge([i]);
      await tx.commit();
      if (i % 5 === 0) await index.checkpoint();
      if (i % 7 === 0) {
        await index.close();
        index = await MailboxIndex.open(dir);
      }
      const s = index.status();
      expect(s.uidNext).toBeGreaterThan(last.uidNext);
      expect(s.highestModseq).toBeGreaterThan(last.highestModseq);
      last = s;
    }
  });
});
