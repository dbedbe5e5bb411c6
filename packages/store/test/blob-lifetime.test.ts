import { describe, expect, it } from "vitest";
import { message, withStore } from "./helpers/store.js";

describe("blob lifetime under concurrency", () => {
  it("keeps a blob that a copy in flight has read, even when its last committed reference is expunged meanwhile", async () => {
    await withStore(async (store) => {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      await mb.create("B");
      const { guid } = await mb.append("INBOX", message("precious"));
      await mb.storeFlags("INBOX", 1, "add", ["\\Deleted"]);
      // An append to B holds B's UID lane while its (large) blob is made durable...
      const appending = mb.append("B", Buffer.alloc(8 * 1024 * 1024, 0x61));
      while (mb.blobs.activeTemps.size === 0) await new Promise((r) => setImmediate(r));
      // ...so this copy has read UID 1 of INBOX but cannot commit yet.
      const copying = mb.copy("INBOX", 1, "B");
      await new Promise((r) => setImmediate(r));
      // Meanwhile the only committed reference goes, and a sweep runs.
      expect(await mb.expunge("INBOX")).toEqual([1]);
      await mb.sweep([guid]);
      const copied = await copying;
      await appending;
      const uid = copied.pairs[0]![1];
      expect((await mb.readMessage("B", uid)).toString()).toContain("test precious");
    });
  });

  it("never deletes a blob an index refers to while copies, moves, expunges and reclaims race", async () => {
    await withStore(
      async (store) => {
        await store.users.add("alice", "pw");
        const mb = await store.mailboxes("alice");
        await mb.create("B");
        for (let i = 0; i < 30; i++) await mb.append("INBOX", message(`x${i}`));
        let seed = 7;
        const rnd = (n: number) => {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          return seed % n;
        };
        const uidsOf = async (name: string) => (await mb.search(name, { type: "all" })).uids;
        const tasks: Promise<unknown>[] = [];
        for (let round = 0; round < 60; round++) {
          const from = rnd(2) === 0 ? "INBOX" : "B";
          const to = from === "INBOX" ? "B" : "INBOX";
          const uids = await uidsOf(from);
          const some = uids.filter(() => rnd(4) === 0);
          if (some.length === 0) continue;
          switch (rnd(5)) {
            case 0:
              tasks.push(mb.copy(from, some, to));
              break;
            case 1:
              tasks.push(mb.move(from, some, to));
              break;
            case 2:
              tasks.push(mb.storeFlags(from, some, "add", ["\\Deleted"]).then(() => mb.expunge(from, some)));
              break;
            case 3:
              tasks.push(store.reclaim("alice"));
              break;
            default:
              tasks.push(mb.append(to, message(`y${round}`)));
          }
          if (round % 10 === 9) await Promise.all(tasks.splice(0));
        }
        await Promise.all(tasks);
        await store.reclaim("alice");
        for (const name of ["INBOX", "B"]) {
          for (const uid of await uidsOf(name)) {
            const bytes = await mb.readMessage(name, uid);
            expect(bytes.toString()).toMatch(/Subject: test [xy]\d+/);
          }
        }
        const v = await store.verify("alice");
        expect(v.users[0]!.damagedBlobs).toEqual([]);
        expect(v.users[0]!.leakedBlobs).toEqual([]);
      },
      { fsync: false },
    );
  });
});
