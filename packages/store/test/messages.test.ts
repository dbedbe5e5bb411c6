import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { BlobDamagedError, MessageTooLargeError, type Store, StoreInputError, type UserStore } from "../src/index.js";
import { message, withStore } from "./helpers/store.js";

async function withUser(fn: (mb: UserStore, store: Store, dir: string) => Promise<void>, options = {}): Promise<void> {
  await withStore(async (store, dir) => {
    await store.users.add("alice", "pw");
    await fn(await store.mailboxes("alice"), store, dir);
  }, options);
}

async function blobFiles(dir: string): Promise<string[]> {
  const root = join(dir, "users", "alice", "blobs");
  const out: string[] = [];
  for (const shard of await readdir(root)) {
    if (shard === "tmp") continue;
    for (const f of await readdir(join(root, shard))) out.push(join(root, shard, f));
  }
  return out;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("append and read", () => {
  it("appends from bytes, a string, a Readable and an async iterable; reads back byte for byte", async () => {
    await withUser(async (mb) => {
      const a = message("bytes");
      const big = Buffer.alloc(3 * 1024 * 1024 + 17, 0x61);
      const r1 = await mb.append("INBOX", a, { flags: ["\\Seen", "$Label"], internalDate: Date.UTC(2024, 0, 2) });
      const r2 = await mb.append("INBOX", a.toString("latin1"));
      const r3 = await mb.append("INBOX", Readable.from([big.subarray(0, 1000), big.subarray(1000)]));
      const r4 = await mb.append(
        "INBOX",
        (async function* () {
          yield Buffer.from("Subject: it\r\n\r\n");
          yield "body\r\n";
        })(),
      );
      expect([r1.uid, r2.uid, r3.uid, r4.uid]).toEqual([1, 2, 3, 4]);
      const status = await mb.status("INBOX");
      expect(r1.uidValidity).toBe(status.uidValidity);
      expect(await mb.readMessage("INBOX", 1)).toEqual(a);
      expect(await mb.readMessage("INBOX", 2)).toEqual(a);
      expect((await mb.readMessage("INBOX", 3)).equals(big)).toBe(true);
      expect((await mb.readMessage("INBOX", 4)).toString()).toBe("Subject: it\r\n\r\nbody\r\n");
      expect((await collect(await mb.openMessage("INBOX", 3))).equals(big)).toBe(true);
      const info = await mb.messageInfo("INBOX", 1);
      expect(info).toMatchObject({
        flags: ["\\Seen", "$Label"],
        size: a.byteLength,
        internalDate: Date.UTC(2024, 0, 2),
      });
      expect(r1.guid).not.toBe(r2.guid);
    });
  });

  it("refuses bad flags and oversized messages without leaving files behind", async () => {
    await withUser(
      async (mb, _store, dir) => {
        await expect(mb.append("INBOX", message(), { flags: ["\\Recent"] })).rejects.toThrow(StoreInputError);
        await expect(mb.append("INBOX", message(), { flags: ["bad flag"] })).rejects.toThrow(StoreInputError);
        await expect(mb.append("INBOX", Buffer.alloc(5000))).rejects.toThrow(MessageTooLargeError);
        await expect(mb.append("INBOX", Readable.from([Buffer.alloc(3000), Buffer.alloc(3000)]))).rejects.toThrow(
          MessageTooLargeError,
        );
        expect(await blobFiles(dir)).toEqual([]);
        // Only the pool's empty slots are left in tmp/ (made ahead of the next append).
        const tmp = join(dir, "users/alice/blobs/tmp");
        for (const f of await readdir(tmp)) {
          expect(f).toMatch(/^[0-9a-f]{32}\.slot$/);
          expect((await stat(join(tmp, f))).size).toBe(0);
        }
        // Closed, the user leaves nothing in tmp/.
        await _store.close();
        expect(await readdir(tmp)).toEqual([]);
        return;
      },
      { maxMessageSize: 4096 },
    );
  });

  it("reports a damaged blob instead of serving it", async () => {
    await withUser(async (mb, _store, dir) => {
      await mb.append("INBOX", message("rot"));
      const [file] = await blobFiles(dir);
      const bytes = await readFile(file!);
      bytes[bytes.length - 5]! ^= 0x01;
      await writeFile(file!, bytes);
      await expect(mb.readMessage("INBOX", 1)).rejects.toThrow(BlobDamagedError);
      await expect(mb.openMessage("INBOX", 1)).rejects.toThrow(BlobDamagedError);
      await expect(mb.structure("INBOX", 1)).rejects.toThrow(BlobDamagedError);
    });
  });
});

describe("flags, expunge, status", () => {
  it("stores flags by UID set with add/remove/replace and UNCHANGEDSINCE", async () => {
    await withUser(async (mb) => {
      for (let i = 0; i < 4; i++) await mb.append("INBOX", message());
      const r = await mb.storeFlags("INBOX", "1:2", "add", ["\\Seen", "$A"]);
      expect(r.modified.map((m) => m.uid)).toEqual([1, 2]);
      expect(r.modified[0]!.flags).toEqual(["\\Seen", "$A"]);
      const modseq1 = r.modified[0]!.modseq;
      await mb.storeFlags("INBOX", [2], "remove", ["$A"]);
      const cond = await mb.storeFlags("INBOX", "1:2", "replace", ["\\Flagged"], { unchangedSince: modseq1 });
      expect(cond.modified.map((m) => m.uid)).toEqual([1]);
      expect(cond.failedUnchangedSince).toEqual([2]);
      expect((await mb.messageInfo("INBOX", 1))!.flags).toEqual(["\\Flagged"]);
      expect((await mb.messageInfo("INBOX", 2))!.flags).toEqual(["\\Seen"]);
      // a no-op change gets no new MODSEQ
      const noop = await mb.storeFlags("INBOX", 2, "add", ["\\Seen"]);
      expect(noop.modified).toEqual([]);
      await expect(mb.storeFlags("INBOX", "0", "add", ["\\Seen"])).rejects.toThrow(StoreInputError);
    });
  });

  it("expunges \\Deleted messages (all, or within a UID set) and counts STATUS items", async () => {
    await withUser(async (mb) => {
      for (let i = 0; i < 5; i++) await mb.append("INBOX", message(), { flags: i < 2 ? ["\\Seen"] : [] });
      await mb.storeFlags("INBOX", "2:4", "add", ["\\Deleted"]);
      const s = await mb.status("INBOX");
      expect(s).toMatchObject({ messages: 5, uidNext: 6, unseen: 3, deleted: 3, recent: 5 });
      expect(s.size).toBeGreaterThan(0);
      expect(await mb.expunge("INBOX", "3:5")).toEqual([3, 4]);
      expect(await mb.expunge("INBOX")).toEqual([2]);
      const after = await mb.status("INBOX");
      expect(after).toMatchObject({ messages: 2, uidNext: 6, deleted: 0 });
      expect(after.highestModseq).toBeGreaterThan(s.highestModseq);
      // SELECT claims \Recent: later sessions see none.
      const first = await mb.select("INBOX");
      expect(first.recentUids()).toEqual([1, 5]);
      expect((await mb.status("INBOX")).recent).toBe(0);
      const second = await mb.select("INBOX");
      expect(second.recentUids()).toEqual([]);
      first.close();
      second.close();
    });
  });
});

describe("copy and move", () => {
  it("copies without duplicating data and deletes a blob only when its last reference goes", async () => {
    await withUser(async (mb, _store, dir) => {
      await mb.append("INBOX", message("a"), { flags: ["\\Flagged", "$K"] });
      await mb.append("INBOX", message("b"));
      const copy = await mb.copy("INBOX", "1:*", "Archive");
      const archive = await mb.status("Archive");
      expect(copy).toEqual({
        uidValidity: archive.uidValidity,
        pairs: [
          [1, 1],
          [2, 2],
        ],
      });
      expect(await blobFiles(dir)).toHaveLength(2);
      expect((await mb.messageInfo("Archive", 1))!.flags).toEqual(["\\Flagged", "$K"]);
      // expunge from INBOX: Archive still refers to both blobs
      await mb.storeFlags("INBOX", "1:2", "add", ["\\Deleted"]);
      await mb.expunge("INBOX");
      await mb.sweep([]);
      expect(await blobFiles(dir)).toHaveLength(2);
      expect((await mb.readMessage("Archive", 2)).toString()).toContain("test b");
      // expunge from Archive too: now the blob of UID 1 goes
      await mb.storeFlags("Archive", 1, "add", ["\\Deleted"]);
      await mb.expunge("Archive");
      await waitFor(async () => (await blobFiles(dir)).length === 1);
      // deleting the mailbox drops the last reference of the other
      await mb.delete("Archive");
      await waitFor(async () => (await blobFiles(dir)).length === 0);
    });
  });

  it("moves messages (COPYUID pairs, source expunged, same blob)", async () => {
    await withUser(async (mb, _store, dir) => {
      for (let i = 0; i < 3; i++) await mb.append("INBOX", message(`m${i}`));
      const moved = await mb.move("INBOX", [1, 3], "Trash");
      expect(moved.pairs).toEqual([
        [1, 1],
        [3, 2],
      ]);
      expect(moved.expunged).toEqual([1, 3]);
      expect((await mb.status("INBOX")).messages).toBe(1);
      expect((await mb.status("Trash")).messages).toBe(2);
      expect((await mb.readMessage("Trash", 2)).toString()).toContain("test m2");
      await new Promise((r) => setTimeout(r, 50));
      expect(await blobFiles(dir)).toHaveLength(3);
      const none = await mb.copy("INBOX", "100:200", "Trash");
      expect(none.pairs).toEqual([]);
    });
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("bad input", () => {
  it("gets typed errors, never crashes", async () => {
    await withUser(async (mb) => {
      const junk = [123, null, undefined, {}, Symbol("x")] as unknown[];
      for (const j of junk) await expect(mb.append("INBOX", j as never)).rejects.toThrow(StoreInputError);
      await expect(mb.append("INBOX", [Buffer.from("a"), 7] as never)).rejects.toThrow(StoreInputError);
      await expect(mb.storeFlags("INBOX", "1", "bogus" as never, ["\\Seen"])).rejects.toThrow(StoreInputError);
      await expect(mb.storeFlags("INBOX", "abc", "add", ["\\Seen"])).rejects.toThrow(StoreInputError);
      await expect(mb.copy("INBOX", "x:y", "Sent")).rejects.toThrow(StoreInputError);
      await expect(mb.expunge("INBOX", [0])).rejects.toThrow(StoreInputError);
      await expect(mb.search("INBOX", null as never)).rejects.toThrow(StoreInputError);
      await expect(mb.status(42 as never)).rejects.toThrow(StoreInputError);
      await expect(mb.append("INBOX", "x", { internalDate: Number.NaN })).rejects.toThrow(StoreInputError);
      await expect(mb.create("X", { specialUse: "\\Bogus" as never })).rejects.toThrow(StoreInputError);
      expect((await mb.status("INBOX")).messages).toBe(0);
    });
  });
});
