import { describe, expect, it } from "vitest";
import {
  MailboxExistsError,
  MailboxNotFoundError,
  MailboxOperationError,
  Store,
  UserExistsError,
  type UserStore,
} from "../src/index.js";
import { message, TEST_SCRYPT, tempDir, withStore } from "./helpers/store.js";

async function withUser(fn: (mb: UserStore, store: Store) => Promise<void>): Promise<void> {
  await withStore(async (store) => {
    await store.users.add("alice", "pw");
    await fn(await store.mailboxes("alice"), store);
  });
}

const names = (mb: UserStore) => mb.listMailboxes().map((m) => m.name);
const entry = (mb: UserStore, name: string) => mb.listMailboxes().find((m) => m.name === name);

describe("mailbox list", () => {
  it("creates missing parents as \\Noselect and turns one into a mailbox when created", async () => {
    await withUser(async (mb) => {
      await mb.create("Work/Projects/2026");
      expect(entry(mb, "Work")?.attributes).toEqual(["\\Noselect", "\\HasChildren"]);
      expect(entry(mb, "Work/Projects")?.selectable).toBe(false);
      expect(entry(mb, "Work/Projects/2026")?.attributes).toEqual(["\\HasNoChildren"]);
      await expect(mb.create("Work/Projects/2026")).rejects.toThrow(MailboxExistsError);
      await expect(mb.select("Work")).rejects.toThrow(MailboxNotFoundError);
      await mb.create("Work");
      expect(entry(mb, "Work")?.selectable).toBe(true);
      await mb.append("Work", message());
      expect((await mb.status("Work")).messages).toBe(1);
      await expect(mb.create("inbox")).rejects.toThrow(MailboxExistsError);
    });
  });

  it("gives every incarnation of a name a new UIDVALIDITY", async () => {
    await withUser(async (mb) => {
      const seen = new Set(mb.listMailboxes().map((m) => m.uidValidity));
      for (let i = 0; i < 5; i++) {
        const created = await mb.create("Temp");
        expect(seen.has(created.uidValidity)).toBe(false);
        seen.add(created.uidValidity);
        expect((await mb.status("Temp")).uidValidity).toBe(created.uidValidity);
        await mb.delete("Temp");
      }
    });
  });

  it("follows RFC 9051 DELETE rules", async () => {
    await withUser(async (mb) => {
      await expect(mb.delete("INBOX")).rejects.toThrow(MailboxOperationError);
      await expect(mb.delete("inbox")).rejects.toThrow(MailboxOperationError);
      await mb.create("A/B");
      await mb.create("A");
      await mb.append("A", message());
      // A has a child: it loses its messages and becomes \Noselect.
      await mb.delete("A");
      expect(entry(mb, "A")?.attributes).toContain("\\Noselect");
      expect(entry(mb, "A/B")?.selectable).toBe(true);
      // Deleting a \Noselect name that has children fails.
      await expect(mb.delete("A")).rejects.toThrow(MailboxOperationError);
      await mb.delete("A/B");
      await mb.delete("A");
      expect(names(mb)).not.toContain("A");
      await expect(mb.delete("Nope")).rejects.toThrow(MailboxNotFoundError);
    });
  });

  it("renames a mailbox with its children and subscriptions, keeping ids and messages", async () => {
    await withUser(async (mb) => {
      await mb.create("Old/Child");
      await mb.create("Old");
      await mb.subscribe("Old/Child");
      const { uid } = await mb.append("Old/Child", message("kept"));
      const before = entry(mb, "Old/Child")!;
      await mb.rename("Old", "New/Place");
      expect(names(mb)).toEqual(expect.arrayContaining(["New", "New/Place", "New/Place/Child"]));
      expect(names(mb)).not.toContain("Old");
      expect(entry(mb, "New")?.selectable).toBe(false);
      const after = entry(mb, "New/Place/Child")!;
      expect(after.id).toBe(before.id);
      expect(after.uidValidity).toBe(before.uidValidity);
      expect(after.subscribed).toBe(true);
      expect((await mb.readMessage("New/Place/Child", uid)).toString()).toContain("test kept");
      await expect(mb.rename("Sent", "Drafts")).rejects.toThrow(MailboxExistsError);
      await expect(mb.rename("Sent", "INBOX")).rejects.toThrow(MailboxExistsError);
      await expect(mb.rename("Sent", "Sent/Sub")).rejects.toThrow(MailboxOperationError);
      await expect(mb.rename("Missing", "X")).rejects.toThrow(MailboxNotFoundError);
    });
  });

  it("renaming INBOX moves its messages to the new mailbox and leaves INBOX empty", async () => {
    await withUser(async (mb) => {
      await mb.append("INBOX", message("one"), { flags: ["\\Seen"] });
      await mb.append("INBOX", message("two"), { flags: ["$Work"] });
      const inboxBefore = await mb.status("INBOX");
      await mb.rename("INBOX", "Old Inbox");
      const inbox = await mb.status("INBOX");
      expect(inbox.messages).toBe(0);
      expect(inbox.uidValidity).toBe(inboxBefore.uidValidity);
      const moved = await mb.select("Old Inbox");
      const msgs = moved.messages();
      expect(msgs.map((m) => m.flags)).toEqual([["\\Seen"], ["$Work"]]);
      expect((await mb.readMessage("Old Inbox", msgs[1]!.uid)).toString()).toContain("test two");
      moved.close();
      expect(names(mb)).toContain("INBOX");
    });
  });

  it("subscribes and unsubscribes, including names that do not exist", async () => {
    await withUser(async (mb) => {
      await mb.unsubscribe("Junk");
      await mb.subscribe("Ghost");
      await mb.subscribe("Ghost");
      expect(mb.subscriptions()).toEqual(["Archive", "Drafts", "Ghost", "INBOX", "Sent", "Trash"]);
      expect(entry(mb, "Junk")?.subscribed).toBe(false);
      await mb.setSpecialUse("Archive", undefined);
      expect(entry(mb, "Archive")?.specialUse).toBeUndefined();
    });
  });

  it("keeps the list across reopen and reads the backup when the primary is damaged", async () => {
    const dir = await tempDir();
    let store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    await store.users.add("bob", "pw");
    let mb = await store.mailboxes("bob");
    await mb.create("Keep/Me");
    await store.close();
    const { readFile, writeFile } = await import("node:fs/promises");
    const path = `${dir}/users/bob/mailboxes.list`;
    const bytes = await readFile(path);
    bytes[30]! ^= 1;
    await writeFile(path, bytes);
    store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    mb = await store.mailboxes("bob");
    expect(names(mb)).toContain("Keep/Me");
    const v = await store.verify("bob");
    expect(v.users[0]!.mailboxList.join()).toMatch(/damaged/);
    const r = await store.repair("bob");
    expect(r.users[0]!.actions).toContain("rewrote the mailbox list and its backup");
    expect((await store.verify("bob")).ok).toBe(true);
    await store.close();
  });
});

describe("stale mailbox list", () => {
  it("never reuses or deletes a folder that holds mail when the list comes from an older generation", async () => {
    const { copyFile, readdir } = await import("node:fs/promises");
    const dir = await tempDir();
    let store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    await store.users.add("bob", "pw");
    let mb = await store.mailboxes("bob");
    const userDir = `${dir}/users/bob`;
    await copyFile(`${userDir}/mailboxes.list`, `${dir}/old.list`);
    const created = await mb.create("New");
    await mb.append("New", message("must survive"));
    await store.close();
    // Both copies of the list roll back one generation (say, restored from a backup).
    await copyFile(`${dir}/old.list`, `${userDir}/mailboxes.list`);
    await copyFile(`${dir}/old.list`, `${userDir}/mailboxes.list.backup`);
    store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    mb = await store.mailboxes("bob");
    expect(names(mb)).not.toContain("New");
    const other = await mb.create("Other");
    expect(other.id).not.toBe(created.id);
    const r = await store.reclaim("bob");
    expect(r.orphanFoldersKept).toEqual([String(created.id)]);
    expect(await readdir(`${userDir}/mailboxes`)).toContain(String(created.id));
    await store.close();
  });

  it("refuses to add a user over a folder that holds mail (a user database from an older generation)", async () => {
    const { copyFile } = await import("node:fs/promises");
    const dir = await tempDir();
    let store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    await store.users.add("someone", "pw");
    await store.close();
    await copyFile(`${dir}/users.db`, `${dir}/old.db`);
    store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    await store.users.add("carol", "pw");
    await (await store.mailboxes("carol")).append("INBOX", message("carol's mail"));
    await store.close();
    await copyFile(`${dir}/old.db`, `${dir}/users.db`);
    await copyFile(`${dir}/old.db`, `${dir}/users.db.backup`);
    store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    expect(store.users.has("carol")).toBe(false);
    await expect(store.users.add("carol", "pw")).rejects.toThrow(UserExistsError);
    const { readdir } = await import("node:fs/promises");
    expect((await readdir(`${dir}/users/carol/blobs`)).length).toBeGreaterThan(0);
    await store.close();
  });
});
