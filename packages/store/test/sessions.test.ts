import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MailboxDamagedError, MessageExpungedError, Store, StoreClosedError } from "../src/index.js";
import { message, TEST_SCRYPT, tempDir, withStore } from "./helpers/store.js";

describe("sessions", () => {
  it("EXAMINE refuses changes; SELECT sessions make them", async () => {
    await withStore(async (store) => {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      await mb.append("INBOX", message());
      const ro = await mb.select("INBOX", { readOnly: true });
      expect(ro.readOnly).toBe(true);
      await expect(ro.storeFlags(1, "add", ["\\Seen"])).rejects.toThrow(StoreClosedError);
      await expect(ro.expunge()).rejects.toThrow(StoreClosedError);
      await expect(ro.append(message())).rejects.toThrow(StoreClosedError);
      expect((await ro.readMessage(1)).toString()).toContain("Subject");
      const rw = await mb.select("INBOX");
      await rw.storeFlags(1, "add", ["\\Seen"]);
      expect(ro.sync().changed.map((c) => c.uid)).toEqual([1]);
    });
  });

  it("a session that has not synced yet gets MessageExpungedError for a message expunged elsewhere", async () => {
    await withStore(async (store) => {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      await mb.append("INBOX", message("gone"));
      const slow = await mb.select("INBOX");
      await mb.storeFlags("INBOX", 1, "add", ["\\Deleted"]);
      await mb.expunge("INBOX");
      await mb.sweep([]);
      // wait for the background sweep of the expunge
      for (let i = 0; i < 100 && (await mb.blobs.list()).guids.length > 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(slow.uids()).toEqual([1]);
      await expect(slow.readMessage(1)).rejects.toThrow(MessageExpungedError);
      await expect(slow.structure(1)).rejects.toThrow(MessageExpungedError);
      expect(slow.sync().expunged).toEqual([1]);
    });
  });

  it("a listener that throws does not stop the feed of the others", async () => {
    await withStore(async (store) => {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      const a = await mb.select("INBOX");
      const b = await mb.select("INBOX");
      a.subscribe(() => {
        throw new Error("listener bug");
      });
      const got: number[] = [];
      b.subscribe((r) => got.push(...r.appended));
      await mb.append("INBOX", message());
      await mb.append("INBOX", message());
      await new Promise((r) => setImmediate(r));
      expect(got).toEqual([1, 2]);
      expect(a.uids()).toEqual([1, 2]);
    });
  });

  it("serves a mailbox whose index damage no copy covers read-only, and repair salvages it", async () => {
    const dir = await tempDir();
    let store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    await store.users.add("alice", "pw");
    let mb = await store.mailboxes("alice");
    for (let i = 0; i < 3; i++) await mb.append("INBOX", message(`d${i}`));
    const id = mb.listMailboxes().find((m) => m.name === "INBOX")!.id!;
    await store.close();
    // Only a log exists (no checkpoint yet): damage in its middle is covered by no copy.
    const log = join(dir, "users/alice/mailboxes", String(id), "log");
    const bytes = await readFile(log);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x55;
    await writeFile(log, bytes);
    store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    mb = await store.mailboxes("alice");
    const s = await mb.select("INBOX");
    expect(s.readOnly).toBe(true);
    await expect(mb.append("INBOX", message())).rejects.toThrow(MailboxDamagedError);
    const v = await store.verify("alice");
    expect(v.ok).toBe(false);
    const r = await store.repair("alice");
    expect(r.users[0]!.salvaged.map((x) => x.mailbox)).toEqual(["INBOX"]);
    expect((await store.verify("alice")).users[0]!.mailboxes.every((m) => m.ok)).toBe(true);
    const after = await mb.append("INBOX", message("after repair"));
    expect(after.uid).toBeGreaterThan(0);
    await store.close();
  });
});
