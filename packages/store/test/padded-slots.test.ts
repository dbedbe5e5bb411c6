import { randomBytes } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { copyFile, mkdir, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { text } from "node:stream/consumers";
import { xxh64 } from "@holdfast/checksum";
import { describe, expect, it } from "vitest";
import {
  BLOB_SLOT_SIZE,
  BlobDamagedError,
  decodeBlobHeader,
  nodeStoreFs,
  Store,
  type StoreFs,
  WRITER_MARKER,
} from "../src/index.js";
import { message, TEST_SCRYPT, tempDir } from "./helpers/store.js";

/*
 * Pre-sized slots: with fsync on, a slot is BLOB_SLOT_SIZE zero bytes (written and synced
 * when it is made), and a blob that fits is written over them in place, so that its
 * fdatasync changes no file metadata. The file is then longer than the blob until the
 * padding is cut off after the rename — or for good, if a crash loses that truncate, or if
 * the blob is put back from its slot after a crash. Readers use the header's size.
 */

/** The real sync layer; copies each blob slot aside just before (`before`) and after (`after`) its fdatasync. */
class SnapshotFs implements StoreFs {
  readonly before: string[] = [];
  readonly after: string[] = [];
  constructor(private readonly dir: string) {}
  async datasync(file: FileHandle, path: string): Promise<void> {
    const isSlot = path.includes(`${sep}blobs${sep}tmp${sep}`);
    if (isSlot) {
      const copy = join(this.dir, `before-${this.before.length}`);
      await copyFile(path, copy);
      this.before.push(copy);
    }
    await nodeStoreFs.datasync(file, path);
    if (isSlot) {
      const copy = join(this.dir, `after-${this.after.length}`);
      await copyFile(path, copy);
      this.after.push(copy);
    }
  }
  fsyncDir(path: string, handle?: FileHandle): Promise<void> {
    return nodeStoreFs.fsyncDir(path, handle);
  }
}

/** A message of about `size` bytes (random text lines, so that a torn region changes it). */
function sized(tag: string, size: number): Buffer {
  const head = message(tag, { body: "" });
  const lines: string[] = [];
  let n = head.byteLength;
  while (n < size) {
    const line = randomBytes(30).toString("base64");
    lines.push(line);
    n += line.length + 2;
  }
  return Buffer.concat([head, Buffer.from(`${lines.join("\r\n")}\r\n`)]);
}

const waitFor = async (what: () => Promise<boolean>) => {
  for (let i = 0; i < 200 && !(await what()); i++) await new Promise((r) => setTimeout(r, 10));
};

async function setup() {
  const dataDir = await tempDir("holdfast-padded-");
  const snaps = join(dataDir, "..", `${dataDir.split(sep).pop()}-snaps`);
  await mkdir(snaps, { recursive: true });
  const fs = new SnapshotFs(snaps);
  const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT, fs });
  await store.users.add("alice", "pw");
  const mb = await store.mailboxes("alice");
  const home = store.userDir(store.users.get("alice")!.folder);
  // The first batch of slots, which the first append waits for, is made empty at once; the
  // batch made meanwhile in the background (pre-sized) serves the appends after these.
  for (let i = 0; i < 16; i++) await mb.append("Archive", message(`warm-${i}`));
  const cleanup = async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(snaps, { recursive: true, force: true });
  };
  return { dataDir, fs, store, mb, home, cleanup };
}

describe("pre-sized blob slots", () => {
  it("writes a blob that fits in place into a slot of BLOB_SLOT_SIZE zeros, and cuts the padding off after the rename", async () => {
    const { fs, store, mb, cleanup } = await setup();
    try {
      const small = sized("small", 10 * 1024);
      const large = sized("large", BLOB_SLOT_SIZE + 5000);
      const a = await mb.append("INBOX", small);
      const b = await mb.append("INBOX", large);
      // At its fdatasync the small blob sat in place in its slot: header + message, then zeros.
      const synced = await readFile(fs.after[16]!);
      expect(synced.byteLength).toBe(BLOB_SLOT_SIZE);
      const h = decodeBlobHeader(synced);
      if (h.kind !== "ok") throw new Error(h.reason);
      expect(synced.subarray(h.header.headerSize, h.header.headerSize + h.header.size).equals(small)).toBe(true);
      expect(synced.subarray(h.header.headerSize + small.byteLength).every((x) => x === 0)).toBe(true);
      // The large one grew its slot: no padding.
      expect((await stat(fs.after[17]!)).size).toBe(h.header.headerSize + large.byteLength);
      // After the acknowledgement, in the background, the small blob loses its padding.
      const path = mb.blobs.pathOf(a.guid);
      await waitFor(async () => (await stat(path)).size < BLOB_SLOT_SIZE);
      expect((await stat(path)).size).toBe(h.header.headerSize + small.byteLength);
      expect((await mb.readMessage("INBOX", a.uid)).equals(small)).toBe(true);
      expect((await mb.readMessage("INBOX", b.uid)).equals(large)).toBe(true);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it("a padded blob (its truncate lost) reads, streams and verifies clean; any other extra length is damage", async () => {
    const { store, mb, cleanup } = await setup();
    try {
      const body = sized("padded", 12 * 1024);
      const { uid, guid } = await mb.append("INBOX", body);
      const path = mb.blobs.pathOf(guid);
      await waitFor(async () => (await stat(path)).size < BLOB_SLOT_SIZE);
      const exact = (await stat(path)).size;
      const parsed = await mb.structure("INBOX", uid);
      // What a crash that lost the truncate leaves: the slot's length, zeros after the message.
      await truncate(path, BLOB_SLOT_SIZE);
      expect((await mb.readMessage("INBOX", uid)).equals(body)).toBe(true);
      expect(await text(await mb.openMessage("INBOX", uid))).toBe(body.toString("latin1"));
      // Parsed again from the padded blob: the same structure as from the exact one.
      mb.structures.clearMemory();
      await mb.structures.remove(guid);
      expect(await mb.structure("INBOX", uid)).toEqual(parsed);
      let v = await store.verify("alice");
      expect(v.users[0]!.damagedBlobs).toEqual([]);
      expect(v.ok).toBe(true);
      // The padding is not part of the blob: bytes there (a crash on a file system without a
      // journal may leave any) do not make the intact message damaged.
      const file = await readFile(path);
      file[BLOB_SLOT_SIZE - 1] = 0x41;
      await writeFile(path, file);
      expect((await mb.readMessage("INBOX", uid)).equals(body)).toBe(true);
      // Any other length is damage: never served.
      for (const length of [BLOB_SLOT_SIZE + 1, BLOB_SLOT_SIZE - 1, exact + 1, exact - 1]) {
        await truncate(path, length);
        await expect(mb.readMessage("INBOX", uid)).rejects.toThrow(BlobDamagedError);
        await expect(mb.openMessage("INBOX", uid)).rejects.toThrow(BlobDamagedError);
        v = await store.verify("alice");
        expect(v.users[0]!.damagedBlobs.map((d) => [d.uid, d.reason])).toEqual([
          [uid, `file is ${length} bytes, header says ${exact}`],
        ]);
      }
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it("a crash after the in-place write and its fdatasync but before the rename: the next open restores the blob exactly", async () => {
    const { dataDir, fs, store, mb, home, cleanup } = await setup();
    try {
      await mb.append("INBOX", message("first"));
      const body = sized("in-place", 20 * 1024);
      const { uid, guid } = await mb.append("INBOX", body);
      const contentHash = (await mb.messageInfo("INBOX", uid))!.contentHash;
      await store.close();
      // The power cut: the rename never reached the disk, nor the truncate. The slot holds
      // what its fdatasync made durable: the blob in place, padded with zeros.
      const slot = join(home, "blobs", "tmp", `${"d".repeat(32)}.slot`);
      await rm(mb.blobs.pathOf(guid));
      await copyFile(fs.after[17]!, slot);
      expect((await stat(slot)).size).toBe(BLOB_SLOT_SIZE);
      await writeFile(join(home, WRITER_MARKER), "{}\n");
      const again = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
      try {
        const mb2 = await again.mailboxes("alice");
        expect(mb2.recovery.restored).toEqual([{ mailbox: "INBOX", uid, guid }]);
        expect(mb2.recovery.withdrawn).toEqual([]);
        expect(await readdir(join(home, "blobs", "tmp"))).toEqual([]);
        // Restored as it was in its slot (padded): length and hash right, verified clean.
        const read = await mb2.readMessage("INBOX", uid);
        expect(read.equals(body)).toBe(true);
        expect(xxh64(read)).toBe(contentHash);
        expect(await text(await mb2.openMessage("INBOX", uid))).toBe(body.toString("latin1"));
        const v = await again.verify("alice");
        expect(v.ok).toBe(true);
        expect(v.users[0]!.damagedBlobs).toEqual([]);
        expect(v.users[0]!.leakedBlobs).toEqual([]);
      } finally {
        await again.close();
      }
    } finally {
      await cleanup();
    }
  });

  it("a torn in-place write (a crash before the fdatasync) is detected: the entry is withdrawn, the bytes never served", async () => {
    const { dataDir, fs, store, mb, home, cleanup } = await setup();
    try {
      const keep = await mb.append("INBOX", message("kept"));
      const body = sized("torn", 20 * 1024);
      const { uid, guid } = await mb.append("INBOX", body);
      await store.close();
      // The power cut: the index entry reached the disk, the slot's bytes only partly — the
      // header did, one 4 KiB block of the message is still the slot's zeros.
      const slot = join(home, "blobs", "tmp", `${"e".repeat(32)}.slot`);
      await rm(mb.blobs.pathOf(guid));
      const torn = await readFile(fs.before[17]!);
      expect(torn.byteLength).toBe(BLOB_SLOT_SIZE);
      torn.fill(0, 8192, 12288);
      expect(decodeBlobHeader(torn).kind).toBe("ok");
      await writeFile(slot, torn);
      await writeFile(join(home, WRITER_MARKER), "{}\n");
      // A read-only look finds the slot copy damaged too, and serves nothing.
      const look = await Store.open(dataDir, { scrypt: TEST_SCRYPT, readOnly: true });
      try {
        const lookMb = await look.mailboxes("alice");
        await expect(lookMb.readMessage("INBOX", uid)).rejects.toThrow(BlobDamagedError);
      } finally {
        await look.close();
      }
      const again = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
      try {
        const mb2 = await again.mailboxes("alice");
        expect(mb2.recovery.restored).toEqual([]);
        expect(mb2.recovery.withdrawn.map((w) => [w.uid, w.guid])).toEqual([[uid, guid]]);
        expect((await again.verify("alice")).ok).toBe(true);
        const s = await mb2.select("INBOX", { readOnly: true });
        expect(s.uids()).toEqual([keep.uid]);
        s.close();
        await expect(mb2.readMessage("INBOX", uid)).rejects.toThrow();
        expect(await readdir(join(home, "blobs", "tmp"))).toEqual([]);
      } finally {
        await again.close();
      }
    } finally {
      await cleanup();
    }
  });

  it("without fsync, slots are empty files and blobs are written at their exact length", async () => {
    const dataDir = await tempDir("holdfast-padded-");
    const store = await Store.open(dataDir, { scrypt: TEST_SCRYPT, fsync: false });
    try {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      const body = message("no-fsync");
      const { guid } = await mb.append("INBOX", body);
      const h = decodeBlobHeader(await readFile(mb.blobs.pathOf(guid)));
      if (h.kind !== "ok") throw new Error(h.reason);
      expect((await stat(mb.blobs.pathOf(guid))).size).toBe(h.header.headerSize + body.byteLength);
      const tmp = mb.blobs.tempDir;
      for (const f of await readdir(tmp)) expect((await stat(join(tmp, f))).size).toBe(0);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
