import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MailboxSession, SyncResult } from "../src/index.js";
import { message, withStore } from "./helpers/store.js";

/** Apply a session's feed to the UID list it started from. */
function replay(start: number[], feed: SyncResult[]): number[] {
  let uids = [...start];
  for (const r of feed) {
    const gone = new Set(r.expunged);
    uids = uids.filter((u) => !gone.has(u));
    uids.push(...r.appended);
    expect(uids.length).toBe(r.count);
  }
  return uids;
}

describe("change feed", () => {
  it("a flag change by one session reaches another only when it syncs", async () => {
    await withStore(async (store) => {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      await mb.append("INBOX", message());
      const a = await mb.select("INBOX");
      const b = await mb.select("INBOX");
      let woke = 0;
      b.onChange(() => woke++);
      const r = await a.storeFlags(1, "add", ["\\Flagged"]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(woke).toBe(1);
      expect(b.message(1)!.flags).toEqual([]);
      const changes = b.sync();
      expect(changes.changed).toEqual([{ uid: 1, modseq: r.modified[0]!.modseq }]);
      expect(b.message(1)!.flags).toEqual(["\\Flagged"]);
      // an append and an expunge by b reach a in order
      const waiting = a.waitForChange();
      await b.append(message());
      await waiting;
      await b.storeFlags(1, "add", ["\\Deleted"]);
      await b.expunge();
      const seen = a.sync();
      expect(seen.appended).toEqual([2]);
      expect(seen.expunged).toEqual([1]);
      expect(a.uids()).toEqual([2]);
      a.close();
      b.close();
    });
  });

  it("several sessions working at once each receive every change, in commit order", async () => {
    await withStore(
      async (store) => {
        await store.users.add("alice", "pw");
        const mb = await store.mailboxes("alice");
        for (let i = 0; i < 5; i++) await mb.append("INBOX", message());
        const sessions: MailboxSession[] = [];
        const feeds: SyncResult[][] = [];
        const starts: number[][] = [];
        for (let i = 0; i < 4; i++) {
          const s = await mb.select("INBOX");
          sessions.push(s);
          starts.push(s.uids());
          const feed: SyncResult[] = [];
          feeds.push(feed);
          s.subscribe((r) => feed.push(r));
        }
        const ops = fc.sample(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 9 })), {
          numRuns: 120,
          seed: 42,
        });
        await Promise.all(
          ops.map(async ([who, what], n) => {
            const s = sessions[who]!;
            const uids = s.uids();
            const pick = uids[n % Math.max(uids.length, 1)];
            if (what < 4 || pick === undefined) await s.append(message(`c${n}`));
            else if (what < 7) await s.storeFlags(pick, "add", [`$k${what}`]).catch(() => undefined);
            else if (what < 9) await s.storeFlags(pick, "add", ["\\Deleted"]).catch(() => undefined);
            else await s.expunge();
          }),
        );
        await new Promise((resolve) => setImmediate(resolve));
        const final = (await mb.select("INBOX", { readOnly: true })).uids();
        const appendedOrder: number[][] = [];
        const expungedOrder: number[][] = [];
        for (let i = 0; i < sessions.length; i++) {
          const feed = feeds[i]!;
          expect(replay(starts[i]!, feed)).toEqual(final);
          expect(sessions[i]!.uids()).toEqual(final);
          const appended = feed.flatMap((r) => r.appended);
          // UIDs arrive ascending: commit order
          expect([...appended].sort((x, y) => x - y)).toEqual(appended);
          appendedOrder.push(appended);
          expungedOrder.push(feed.flatMap((r) => r.expunged).sort((x, y) => x - y));
          // MODSEQs never go backwards along the feed
          const highs = feed.map((r) => r.highestModseq);
          expect([...highs].sort((x, y) => x - y)).toEqual(highs);
        }
        for (const a of appendedOrder) expect(a).toEqual(appendedOrder[0]);
        for (const e of expungedOrder) expect(e).toEqual(expungedOrder[0]);
        // the flags each session shows are the committed ones
        for (const uid of final) {
          const committed = (await mb.messageInfo("INBOX", uid))!.flags;
          for (const s of sessions) expect(s.message(uid)!.flags).toEqual(committed);
        }
      },
      { fsync: true },
    );
  });

  it("closes sessions of a deleted mailbox and tells their waiters", async () => {
    await withStore(async (store) => {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      await mb.create("Tmp");
      const s = await mb.select("Tmp");
      const waiting = s.waitForChange();
      await mb.delete("Tmp");
      await waiting;
      expect(s.isClosed).toBe(true);
      expect(() => s.uids()).toThrow(/closed/);
    });
  });
});
