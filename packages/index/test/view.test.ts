import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IndexClosedError, MailboxIndex, ViewExpiredError } from "../src/index.js";
import { message, tempFolder } from "./helpers/mailbox.js";

let dir: string;
let cleanup: () => Promise<void>;
let index: MailboxIndex;
beforeEach(async () => {
  ({ dir, cleanup } = await tempFolder());
  index = await MailboxIndex.open(dir, { create: true, uidValidity: 9 });
  await index
    .transaction()
    .append(message(1))
    .append(message(2, ["\\Seen"]))
    .append(message(3))
    .commit();
});
afterEach(async () => {
  await index.close();
  await cleanup();
});

describe("read views", () => {
  it("keep their message list, counters and flags until they sync", async () => {
    const view = await index.view();
    const before = { count: view.count, uidNext: view.uidNext, highestModseq: view.highestModseq };
    const flags2 = view.get(2)!.flags;
    await index.transaction().append(message(4)).commit();
    await index.transaction().expunge([1]).commit();
    await index.transaction().store([2], "replace", ["\\Flagged"]).commit();
    // Nothing moved: sequence numbers stay valid until the session syncs.
    expect({ count: view.count, uidNext: view.uidNext, highestModseq: view.highestModseq }).toEqual(before);
    expect([...view.uids()]).toEqual([1, 2, 3]);
    expect(view.seqOf(2)).toBe(2);
    expect(view.uidAt(1)).toBe(1);
    expect(view.get(2)!.flags).toEqual(flags2);
    expect(view.get(1)).toBeDefined(); // expunged since, still visible here
    expect(view.get(4)).toBeUndefined(); // appended since, not visible yet
    const listing = view.listing();
    expect([...listing.uids]).toEqual([1, 2, 3]);
    expect(listing.flags[1]).toBe(1); // \Seen
    // The listing (one pass over the changes) agrees with get() message by message.
    await index.transaction().store([3], "add", ["$Late", "\\Answered"]).commit();
    const again = view.listing();
    for (const [k, uid] of [...again.uids].entries()) {
      const m = view.get(uid)!;
      expect([again.flags[k], again.modseqs[k]]).toEqual([m.systemFlags, m.modseq]);
    }
    view.close();
  });

  it("sync returns expunges, appends and flag changes, then shows the new state", async () => {
    const view = await index.view();
    await index.transaction().append(message(4)).append(message(5)).commit();
    await index.transaction().expunge([1, 5]).commit();
    const r = await index.transaction().store([2, 3], "add", ["$Done"]).commit();
    const changes = view.sync();
    expect(changes.expunged).toEqual([1]); // 5 came and went between syncs: never shown
    expect(changes.appended).toEqual([4]);
    expect(changes.changed).toEqual([
      { uid: 2, modseq: r.highestModseq },
      { uid: 3, modseq: r.highestModseq },
    ]);
    expect(changes).toMatchObject({ uidNext: 6, highestModseq: r.highestModseq, count: 3 });
    expect([...view.uids()]).toEqual([2, 3, 4]);
    expect(view.get(2)!.flags).toEqual(["\\Seen", "$Done"]);
    expect(view.sync()).toMatchObject({ expunged: [], appended: [], changed: [] });
    view.close();
  });

  it("two views sync independently", async () => {
    const a = await index.view();
    const b = await index.view();
    await index.transaction().append(message(4)).commit();
    expect(a.sync().appended).toEqual([4]);
    await index.transaction().append(message(5)).commit();
    expect(b.sync().appended).toEqual([4, 5]);
    expect(a.sync().appended).toEqual([5]);
    a.close();
    b.close();
  });

  it("never show a commit before it is durable", async () => {
    const pending = index.transaction().append(message(4)).commit();
    const view = await index.view(); // waits for the commit in flight
    await pending;
    expect(view.count).toBe(4);
    view.close();
  });

  it("a closed view refuses work; a view left too far behind expires", async () => {
    const view = await index.view();
    view.close();
    expect(() => view.sync()).toThrow(IndexClosedError);
    await index.close();
    index = await MailboxIndex.open(dir, { maxJournal: 5 });
    const slow = await index.view();
    for (let i = 0; i < 10; i++)
      await index
        .transaction()
        .append(message(10 + i))
        .commit();
    expect(() => slow.sync()).toThrow(ViewExpiredError);
    slow.close();
  });
});
