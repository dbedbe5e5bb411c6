import { readdirSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { access, mkdir, readdir, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { basename, dirname, join, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeStoreFs, Store, type StoreFs, WRITER_MARKER } from "../src/index.js";
import { message, TEST_SCRYPT, tempDir } from "./helpers/store.js";

/*
 * The store's durability points, observed through its sync layer (StoreFs) wrapped around
 * the real node:fs one: every sync really happens; the wrapper records the order of events,
 * holds a sync back, or makes it fail with EIO the way a dying disk does.
 */

type Event = { kind: "datasync-start" | "datasync-done" | "dirsync-start" | "dirsync-done"; path: string };

class RecordingFs implements StoreFs {
  readonly events: Event[] = [];
  /** Blob datasyncs wait for this while it is set. */
  gate: Promise<void> | undefined;
  /** Fsyncs of blob shard folders wait for this while it is set. */
  shardGate: Promise<void> | undefined;
  /** Slot names made durable: present in `blobs/tmp/` when an fsync of it started that has completed. */
  readonly durableSlots = new Set<string>();
  /** Blob datasyncs issued on a file whose name was not durable (must stay empty). */
  readonly notDurableNames: string[] = [];
  /** Fail blob datasyncs (EIO) while true, or for the blobs this returns true for. */
  failData: boolean | ((path: string) => boolean) = false;

  async datasync(file: FileHandle, path: string): Promise<void> {
    this.events.push({ kind: "datasync-start", path });
    const isBlob = path.includes(`${sep}blobs${sep}`);
    if (isBlob && !this.durableSlots.has(path)) this.notDurableNames.push(path);
    if (this.gate && isBlob) await this.gate;
    const fail = typeof this.failData === "function" ? this.failData(path) : this.failData;
    if (fail && isBlob) {
      const error = new Error(`EIO: i/o error, fdatasync '${path}'`) as NodeJS.ErrnoException;
      error.code = "EIO";
      throw error;
    }
    await nodeStoreFs.datasync(file, path);
    this.events.push({ kind: "datasync-done", path });
  }

  async fsyncDir(path: string, handle?: FileHandle): Promise<void> {
    this.events.push({ kind: "dirsync-start", path });
    // The names this fsync covers: those present when it starts.
    const covered = path.endsWith(`${sep}blobs${sep}tmp`) ? readdirSync(path).map((f) => join(path, f)) : [];
    if (this.shardGate && /[/\\]blobs[/\\][0-9a-f]{2}$/.test(path)) await this.shardGate;
    await nodeStoreFs.fsyncDir(path, handle);
    for (const p of covered) this.durableSlots.add(p);
    this.events.push({ kind: "dirsync-done", path });
  }

  /** Events about blob files (the writer marker is synced through the layer too). */
  blob(kind: Event["kind"]): Event[] {
    return this.events.filter((e) => e.kind === kind && e.path.includes(`${sep}blobs${sep}`));
  }

  dirsDone(): string[] {
    return this.events.filter((e) => e.kind === "dirsync-done").map((e) => e.path);
  }
}

const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

async function openWith(fs: StoreFs, dir?: string) {
  const dataDir = dir ?? (await tempDir("holdfast-durable-"));
  const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT, fs });
  return { dataDir, store };
}

describe("durability points", () => {
  it("makes every new folder durable in its parent: data, users/, the user's folder, mailboxes/, blobs/ and its shards", async () => {
    const fs = new RecordingFs();
    const { dataDir, store } = await openWith(fs);
    try {
      expect(fs.dirsDone()).toContain(dataDir); // users/ in the data folder
      await store.users.add("alice", "pw");
      const home = store.userDir(store.users.get("alice")!.folder);
      const mb = await store.mailboxes("alice");
      await mb.create("Work");
      await mb.append("Work", message("first"));
      const dirs = fs.dirsDone();
      expect(dirs).toContain(join(dataDir, "users")); // users/<user>
      expect(dirs).toContain(home); // mailboxes/, blobs/ and the writer marker
      expect(dirs).toContain(join(home, "mailboxes")); // each mailbox folder, also Work's
      expect(dirs).toContain(join(home, "blobs")); // the shard folders
      const blob = fs.blob("datasync-done")[0]!.path;
      expect(dirs).toContain(join(blob, "..")); // the blob's name in its shard
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("acknowledges an append, and shows it to other sessions, only after its blob's fdatasync, and finds it at its final name", async () => {
    const fs = new RecordingFs();
    const { dataDir, store } = await openWith(fs);
    try {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      const watcher = await mb.select("INBOX");
      const seen: number[] = [];
      watcher.subscribe((c) => seen.push(...c.appended));
      const handle = watcher.handle;
      const syncsBefore = handle.index.stats().fdatasyncs;
      let release!: () => void;
      fs.gate = new Promise<void>((r) => {
        release = r;
      });
      let acked = false;
      const appending = mb.append("INBOX", message("held")).then((r) => {
        acked = true;
        return r;
      });
      // The blob's fdatasync has started and is held; the index commit is not held.
      while (fs.blob("datasync-start").length === 0) await turns(1);
      await handle.index.flush();
      expect(handle.index.stats().fdatasyncs).toBeGreaterThan(syncsBefore); // index entry durable
      await turns();
      await new Promise((r) => setTimeout(r, 30));
      expect(acked).toBe(false);
      // The rename to the final name ran beside the held sync: the name is there before the
      // bytes are durable, and still nothing shows the message.
      const guid = handle.index.state.messages.guids.subarray(0, 16);
      expect(await exists(mb.blobs.pathOf(Buffer.from(guid).toString("hex")))).toBe(true);
      // Nobody sees the message yet: not the subscribed session, not a sync, not a new view.
      expect(seen).toEqual([]);
      expect(watcher.sync().appended).toEqual([]);
      expect(watcher.count).toBe(0);
      let selected = false;
      const selecting = mb.select("INBOX", { readOnly: true }).then((s) => {
        selected = true;
        return s;
      });
      await turns();
      expect(selected).toBe(false);
      fs.gate = undefined;
      release();
      const result = await appending;
      const done = fs.blob("datasync-done");
      expect(done).toHaveLength(1);
      // The fdatasync was of a slot whose name was durable before it was used; the blob is
      // under its final name by the acknowledgement.
      expect(done[0]!.path).toMatch(/[/\\]blobs[/\\]tmp[/\\][0-9a-f]{32}\.slot$/);
      expect(fs.notDurableNames).toEqual([]);
      expect(await exists(mb.blobs.pathOf(result.guid))).toBe(true);
      expect(await exists(done[0]!.path)).toBe(false);
      const late = await selecting;
      expect(late.uids()).toEqual([result.uid]);
      await turns();
      expect(seen).toEqual([result.uid]);
      late.close();
      watcher.close();
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("writes every blob into a slot whose name was durable before it was handed out (bytes and streams, 8 in flight)", async () => {
    const fs = new RecordingFs();
    const { dataDir, store } = await openWith(fs);
    try {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      const acked: string[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 5; i++) {
            const bytes = message(`w${w}-${i}`);
            // Every other append streams its message (written into the slot as it comes).
            const source =
              i % 2 === 0
                ? bytes
                : (async function* () {
                    yield bytes.subarray(0, 10);
                    yield bytes.subarray(10);
                  })();
            acked.push((await mb.append("INBOX", source)).guid);
          }
        }),
      );
      const synced = fs.blob("datasync-done").map((e) => e.path);
      expect(synced).toHaveLength(40);
      for (const p of synced) expect(p).toMatch(/[/\\]blobs[/\\]tmp[/\\][0-9a-f]{32}\.slot$/);
      // The check itself: no fdatasync was ever issued on a name that was not durable yet.
      expect(fs.notDurableNames).toEqual([]);
      // Slots are made in batches: far fewer tmp/ fsyncs than appends.
      const tmpSyncs = fs.dirsDone().filter((d) => d === mb.blobs.tempDir).length;
      expect(tmpSyncs).toBeGreaterThan(0);
      expect(tmpSyncs).toBeLessThanOrEqual(8);
      for (const g of acked) expect(await exists(mb.blobs.pathOf(g))).toBe(true);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("has no folder fsync on the acknowledgement path: renames are made durable in the background and at close", async () => {
    const fs = new RecordingFs();
    const { dataDir, store } = await openWith(fs);
    let released = false;
    try {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      await mb.append("INBOX", message("warm")); // shards of this process made durable, first slots made
      let release!: () => void;
      fs.shardGate = new Promise<void>((r) => {
        release = r;
      });
      // Shard folder fsyncs are held; the appends are acknowledged all the same.
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await mb.append("INBOX", message(`held ${i}`)));
      expect(results.map((r) => r.uid)).toEqual([2, 3, 4]);
      const shardOf = (g: string) => dirname(mb.blobs.pathOf(g));
      const renamedAt = fs.events.length;
      fs.shardGate = undefined;
      release();
      released = true;
      await store.close();
      // Close flushed the renames: each shard folder, then tmp/, fsynced after the renames.
      const after = fs.events
        .slice(renamedAt)
        .filter((e) => e.kind === "dirsync-done")
        .map((e) => e.path);
      for (const r of results) expect(after).toContain(shardOf(r.guid));
      expect(after).toContain(mb.blobs.tempDir);
      expect(after.lastIndexOf(mb.blobs.tempDir)).toBeGreaterThan(after.indexOf(shardOf(results[0]!.guid)));
    } finally {
      if (!released) fs.shardGate = undefined;
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("a failed blob fdatasync (EIO) rejects the append, withdraws its entry unseen, and keeps UIDs unique", async () => {
    const fs = new RecordingFs();
    const { dataDir, store } = await openWith(fs);
    try {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      const watcher = await mb.select("INBOX");
      const feed: string[] = [];
      watcher.subscribe((c) => feed.push(JSON.stringify({ a: c.appended, e: c.expunged })));
      fs.failData = true;
      await expect(mb.append("INBOX", message("lost"))).rejects.toThrow(/EIO/);
      fs.failData = false;
      await turns();
      expect(feed).toEqual([]);
      const status = await mb.status("INBOX");
      expect(status.messages).toBe(0);
      expect(status.uidNext).toBe(2); // UID 1 was used by the withdrawn entry: never reused
      const next = await mb.append("INBOX", message("kept"));
      expect(next.uid).toBe(2);
      await turns();
      expect(watcher.uids()).toEqual([2]);
      // The failed blob is referenced by nothing and goes with a reclaim; verify is clean.
      await store.reclaim("alice");
      const v = await store.verify("alice");
      expect(v.ok).toBe(true);
      expect(v.users[0]!.leakedBlobs).toEqual([]);
      watcher.close();
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("with 8 appends in flight and some blob syncs failing, sessions see exactly the acknowledged ones, in UID order", async () => {
    const fs = new RecordingFs();
    const { dataDir, store } = await openWith(fs);
    try {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      const pushed = await mb.select("INBOX");
      const polled = await mb.select("INBOX");
      const seen: number[] = [];
      const takenBack: number[] = [];
      pushed.subscribe((c) => {
        seen.push(...c.appended);
        takenBack.push(...c.expunged);
      });
      let n = 0;
      fs.failData = () => ++n % 5 === 0; // every fifth blob sync fails with EIO
      const acked: number[] = [];
      let failed = 0;
      const polledSeen: number[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 12; i++) {
            try {
              acked.push((await mb.append("INBOX", message(`w${w}-${i}`))).uid);
            } catch (error) {
              expect(String(error)).toMatch(/EIO/);
              failed++;
            }
            const c = polled.sync();
            expect(c.expunged).toEqual([]);
            polledSeen.push(...c.appended);
          }
        }),
      );
      fs.failData = false;
      await turns();
      polledSeen.push(...polled.sync().appended);
      expect(failed).toBeGreaterThan(0);
      expect(takenBack).toEqual([]); // a withdrawn append is never shown, so never taken back
      acked.sort((a, b) => a - b);
      expect(seen).toEqual(acked); // each acknowledged append once, ascending; nothing else
      expect(polledSeen).toEqual(acked);
      expect(pushed.uids()).toEqual(acked);
      expect((await mb.status("INBOX")).uidNext).toBe(97); // withdrawn UIDs are not reused
      pushed.close();
      polled.close();
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("a copy of a message whose append is still settling waits for its blob to be durable", async () => {
    const fs = new RecordingFs();
    const { dataDir, store } = await openWith(fs);
    try {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      let release!: () => void;
      fs.gate = new Promise<void>((r) => {
        release = r;
      });
      const appending = mb.append("INBOX", message("copied early"));
      while (fs.blob("datasync-start").length === 0) await turns(1);
      let copied = false;
      // The entry is in the index's memory (UID 1), its blob not durable: the copy waits.
      const copying = mb.copy("INBOX", "1:*", "Archive").then((r) => {
        copied = true;
        return r;
      });
      await turns();
      expect(copied).toBe(false);
      fs.gate = undefined;
      release();
      const { uid } = await appending;
      const c = await copying;
      expect(c.pairs).toEqual([[uid, 1]]);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("open after an unclean shutdown", () => {
  async function setup() {
    const dataDir = await tempDir("holdfast-unclean-");
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    await store.users.add("alice", "pw");
    const mb = await store.mailboxes("alice");
    const a = await mb.append("INBOX", message("a"), { flags: ["\\Seen"] });
    const b = await mb.append("INBOX", message("b"));
    const c = await mb.append("INBOX", message("c"));
    const home = store.userDir(store.users.get("alice")!.folder);
    const blobPath = (guid: string) => mb.blobs.pathOf(guid);
    await store.close();
    expect(await exists(join(home, WRITER_MARKER))).toBe(false); // a clean close removes it
    return { dataDir, home, a, b, c, blobPath };
  }

  it("withdraws entries of the log tail whose blob is missing or torn, keeps UIDNEXT, and verify agrees", async () => {
    const { dataDir, home, a, b, c, blobPath } = await setup();
    // What a power cut can leave of two appends that were in flight: one blob's name never
    // reached the disk, the other's bytes only partly. The writer never closed: its marker stays.
    await writeFile(join(home, WRITER_MARKER), "{}\n");
    await rm(blobPath(b.guid));
    await truncate(blobPath(c.guid), 100);
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      const mb = await store.mailboxes("alice");
      expect(mb.recovery.unclean).toBe(true);
      expect(mb.recovery.checked).toBeGreaterThanOrEqual(3);
      expect(mb.recovery.withdrawn.map((w) => [w.uid, w.guid])).toEqual([
        [b.uid, b.guid],
        [c.uid, c.guid],
      ]);
      expect(mb.recovery.withdrawn[0]!.reason).toMatch(/missing/);
      expect(await exists(blobPath(c.guid))).toBe(false); // the torn file is gone
      const s = await mb.status("INBOX");
      expect(s.messages).toBe(1);
      expect(s.uidNext).toBe(c.uid + 1); // UIDs of withdrawn entries are not reused
      expect((await mb.readMessage("INBOX", a.uid)).toString()).toContain("test a");
      expect((await mb.messageInfo("INBOX", a.uid))!.flags).toEqual(["\\Seen"]);
      const v = await store.verify("alice");
      expect(v.ok).toBe(true);
      expect(v.users[0]!.damagedBlobs).toEqual([]);
      expect(v.users[0]!.leakedBlobs).toEqual([]);
      expect((await mb.append("INBOX", message("d"))).uid).toBe(c.uid + 1);
    } finally {
      await store.close();
    }
    // Checked once: the next open after this clean close finds nothing to do.
    const again = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      const mb = await again.mailboxes("alice");
      expect(mb.recovery.unclean).toBe(false);
      expect((await mb.status("INBOX")).messages).toBe(2);
    } finally {
      await again.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("puts back an acknowledged append whose rename a crash lost (blob intact in its slot); withdraws one whose slot is torn", async () => {
    const { dataDir, home, a, b, c, blobPath } = await setup();
    // What a power cut can leave when the renames out of the slots (not synced on the
    // acknowledgement path) did not reach the disk: b's and c's blobs back under slot names.
    // b's bytes were synced (it was acknowledged); c's slot is also cut short here (as if c
    // had not been acknowledged), so c must be withdrawn, not restored.
    const tmp = join(home, "blobs", "tmp");
    await mkdir(tmp, { recursive: true });
    const slotB = join(tmp, `${"b".repeat(32)}.slot`);
    const slotC = join(tmp, `${"c".repeat(32)}.slot`);
    await rename(blobPath(b.guid), slotB);
    await rename(blobPath(c.guid), slotC);
    await truncate(slotC, 150);
    await writeFile(join(home, WRITER_MARKER), "{}\n");
    // A read-only look (as the CLI or scrubber do beside a crashed writer) says where b is.
    const look = await Store.open(dataDir, { scrypt: TEST_SCRYPT, readOnly: true });
    try {
      const v = await look.verify("alice");
      const missing = v.users[0]!.damagedBlobs.find((d) => d.uid === b.uid)!;
      expect(missing.reason).toContain(`intact copy is in slot ${basename(slotB)}`);
    } finally {
      await look.close();
    }
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      const mb = await store.mailboxes("alice");
      expect(mb.recovery.unclean).toBe(true);
      expect(mb.recovery.restored).toEqual([{ mailbox: "INBOX", uid: b.uid, guid: b.guid }]);
      expect(mb.recovery.withdrawn.map((w) => [w.uid, w.guid])).toEqual([[c.uid, c.guid]]);
      expect((await mb.readMessage("INBOX", b.uid)).toString()).toContain("test b");
      expect((await mb.readMessage("INBOX", a.uid)).toString()).toContain("test a");
      // Nothing left in tmp/: b moved into place, c's torn slot removed.
      expect(await readdir(tmp)).toEqual([]);
      const v = await store.verify("alice");
      expect(v.ok).toBe(true);
      expect(v.users[0]!.leakedBlobs).toEqual([]);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("reclaim leaves no slot behind: empty and torn slots go, an intact unreferenced blob in a slot is reclaimed like a leaked blob", async () => {
    const { dataDir, home, b, blobPath } = await setup();
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      const mb = await store.mailboxes("alice");
      const tmp = join(home, "blobs", "tmp");
      await mkdir(tmp, { recursive: true });
      // Left by an earlier process: empty slots, a torn slot, a temp file of an older
      // version, and an intact blob in a slot that no index refers to (an append cut short
      // after its blob sync).
      await writeFile(join(tmp, `${"1".repeat(32)}.slot`), "");
      await writeFile(join(tmp, `${"2".repeat(32)}.slot`), "");
      await writeFile(join(tmp, `${"3".repeat(32)}.slot`), "HFBLOB01 torn");
      await writeFile(join(tmp, `${"4".repeat(32)}.tmp`), "older temp");
      const pending = await mb.blobs.begin(message("unreferenced"), Date.now(), {
        mailboxId: 1,
        mailboxName: "INBOX",
        uidValidity: 1,
      });
      const orphan = await pending.commit(9);
      const orphanHex = Buffer.from(orphan.guid).toString("hex");
      await rename(mb.blobs.pathOf(orphanHex), join(tmp, `${"5".repeat(32)}.slot`));
      // And a referenced blob (b) whose copy sits in a slot: reclaim must put it back, not delete it.
      await rename(blobPath(b.guid), join(tmp, `${"6".repeat(32)}.slot`));
      const r = await store.reclaim("alice");
      expect(r.removed).toEqual([orphanHex]);
      expect(r.temps).toBe(4);
      // Only the pool's own empty slots (made for this process's appends) may remain.
      for (const f of await readdir(tmp)) expect(mb.blobs.isActiveTemp(join(tmp, f))).toBe(true);
      expect((await mb.readMessage("INBOX", b.uid)).toString()).toContain("test b");
      const v = await store.verify("alice");
      expect(v.ok).toBe(true);
      expect(v.users[0]!.leakedBlobs).toEqual([]);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("a damaged blob an index refers to, found in a slot, is put in place and reported, never deleted", async () => {
    const { dataDir, home, c, blobPath } = await setup();
    const tmp = join(home, "blobs", "tmp");
    await mkdir(tmp, { recursive: true });
    const slot = join(tmp, `${"8".repeat(32)}.slot`);
    await rename(blobPath(c.guid), slot);
    const bytes = await readFile(slot);
    bytes[bytes.byteLength - 3] ^= 0x20; // bit rot in the body, header intact
    await writeFile(slot, bytes);
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      const r = await store.reclaim("alice");
      expect(r.removed).toEqual([]);
      expect(await readdir(tmp)).toEqual([]);
      expect(await exists(blobPath(c.guid))).toBe(true);
      const v = await store.verify("alice");
      expect(v.users[0]!.damagedBlobs.map((d) => [d.uid, d.reason])).toEqual([
        [c.uid, "message bytes fail their xxh64"],
      ]);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("repair puts slot blobs back before rebuilding: a lost index is rebuilt with a message whose rename was lost", async () => {
    const { dataDir, home, a, b, blobPath } = await setup();
    const tmp = join(home, "blobs", "tmp");
    await mkdir(tmp, { recursive: true });
    await rename(blobPath(b.guid), join(tmp, `${"7".repeat(32)}.slot`));
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      const mb = await store.mailboxes("alice");
      const inbox = mb.listMailboxes().find((m) => m.name === "INBOX")!;
      await store.close();
      for (const f of ["index", "index.backup", "log"])
        await rm(join(home, "mailboxes", String(inbox.id), f), { force: true });
      const again = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
      try {
        const report = await again.repair("alice");
        const u = report.users[0]!;
        expect(u.actions.join("; ")).toMatch(/1 blobs found in slots back in place/);
        expect(u.rebuilt[0]!.messages).toBe(3);
        const mb2 = await again.mailboxes("alice");
        const s = await mb2.select("INBOX", { readOnly: true });
        expect(s.messages().map((m) => Buffer.from(m.guid).toString("hex"))).toContain(b.guid);
        expect(s.uids()).toContain(a.uid);
        s.close();
      } finally {
        await again.close();
      }
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("after a clean close nothing is withdrawn: a missing blob is damage that verify reports", async () => {
    const { dataDir, b, blobPath } = await setup();
    await rm(blobPath(b.guid));
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      const mb = await store.mailboxes("alice");
      expect(mb.recovery.unclean).toBe(false);
      expect((await mb.status("INBOX")).messages).toBe(3);
      const v = await store.verify("alice");
      expect(v.users[0]!.damagedBlobs.map((d) => [d.uid, d.reason])).toEqual([[b.uid, "blob file is missing"]]);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("keeps (and reports as damage) a copied message whose blob names another origin", async () => {
    const { dataDir, home, b, blobPath } = await setup();
    const first = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    let copiedUid: number;
    try {
      const mb = await first.mailboxes("alice");
      copiedUid = (await mb.copy("INBOX", b.uid, "Archive")).pairs[0]![1];
    } finally {
      await first.close();
    }
    await writeFile(join(home, WRITER_MARKER), "{}\n");
    // Bit rot in the body of b's blob (header intact): b's own entry in INBOX is withdrawn
    // as an append cut short... but its copy in Archive is an acknowledged copy: kept.
    const bytes = await readFile(blobPath(b.guid));
    bytes[bytes.byteLength - 3] ^= 0x20;
    await writeFile(blobPath(b.guid), bytes);
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      const mb = await store.mailboxes("alice");
      expect(mb.recovery.withdrawn.map((w) => [w.mailbox, w.uid])).toEqual([["INBOX", b.uid]]);
      expect(mb.recovery.damaged.map((w) => [w.mailbox, w.uid])).toEqual([["Archive", copiedUid]]);
      expect((await mb.status("Archive")).messages).toBe(1);
      const v = await store.verify("alice");
      expect(v.users[0]!.damagedBlobs.map((d) => [d.mailbox, d.uid])).toEqual([["Archive", copiedUid]]);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("folders that may hold mail", () => {
  it("reclaim removes a folder with no index at all but keeps one whose index cannot be read", async () => {
    const dataDir = await tempDir("holdfast-orphans-");
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      await store.users.add("alice", "pw");
      const home = store.userDir(store.users.get("alice")!.folder);
      const empty = join(home, "mailboxes", "900");
      const unreadable = join(home, "mailboxes", "901");
      await mkdir(empty, { recursive: true });
      await mkdir(unreadable, { recursive: true });
      // An index whose every copy is garbage: it may have held mail, nobody can tell.
      for (const f of ["index", "index.backup", "log"]) await writeFile(join(unreadable, f), "not an index at all");
      const r = await store.reclaim("alice");
      expect(r.orphanFolders).toEqual(["900"]);
      expect(r.orphanFoldersKept).toEqual(["901"]);
      expect(await exists(empty)).toBe(false);
      expect(await exists(join(unreadable, "log"))).toBe(true);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
