import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Store, StoreLockedError, UserExistsError, UserNotFoundError } from "../src/index.js";
import { TEST_SCRYPT, tempDir, withStore } from "./helpers/store.js";

describe("users", () => {
  it("adds, lists, authenticates, changes passwords and removes", async () => {
    await withStore(async (store) => {
      await store.users.add("Alice", "secret one");
      await store.users.add("bob", "hunter2");
      expect(store.users.list().map((u) => u.name)).toEqual(["alice", "bob"]);
      await expect(store.users.add("ALICE", "x")).rejects.toThrow(UserExistsError);
      expect(await store.users.authenticate("alice", "secret one")).toBe(true);
      expect(await store.users.authenticate("ALICE", "secret one")).toBe(true);
      expect(await store.users.authenticate("alice", "secret two")).toBe(false);
      expect(await store.users.authenticate("nobody", "secret one")).toBe(false);
      expect(await store.users.authenticate("../etc", "x")).toBe(false);
      await store.users.passwd("alice", "secret two");
      expect(await store.users.authenticate("alice", "secret one")).toBe(false);
      expect(await store.users.authenticate("alice", "secret two")).toBe(true);
      await store.users.remove("bob");
      expect(store.users.list().map((u) => u.name)).toEqual(["alice"]);
      await expect(store.users.remove("bob")).rejects.toThrow(UserNotFoundError);
      await expect(store.mailboxes("bob")).rejects.toThrow(UserNotFoundError);
    });
  });

  it("stores scrypt parameters with the hash and never the password", async () => {
    const dir = await tempDir();
    const store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    await store.users.add("carol", "plain-text-password");
    await store.close();
    const raw = await readFile(join(dir, "users.db"));
    expect(raw.includes(Buffer.from("plain-text-password"))).toBe(false);
    const json = JSON.parse(raw.subarray(8 + 24, raw.length - 8).toString("utf8"));
    expect(json.users[0].password).toMatchObject({ algorithm: "scrypt", N: 1024, r: 8, p: 1, keyLength: 32 });
  });

  it("survives a damaged primary copy by reading the backup, and repair rewrites it", async () => {
    const dir = await tempDir();
    let store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    await store.users.add("dave", "pw");
    await store.close();
    const path = join(dir, "users.db");
    const bytes = await readFile(path);
    bytes[bytes.length - 20]! ^= 0x40;
    await writeFile(path, bytes);
    store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    expect(store.users.list().map((u) => u.name)).toEqual(["dave"]);
    const v = await store.verify();
    expect(v.ok).toBe(false);
    expect(v.problems.join()).toMatch(/user database/);
    await store.repair();
    expect((await store.verify()).ok).toBe(true);
    expect(await store.users.authenticate("dave", "pw")).toBe(true);
    await store.close();
  });

  it("lays out a new user with the default mailboxes and special-use attributes", async () => {
    await withStore(async (store) => {
      await store.users.add("erin", "pw");
      const mb = await store.mailboxes("erin");
      const list = mb.listMailboxes();
      expect(list.map((m) => m.name)).toEqual(["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]);
      const uses = Object.fromEntries(list.map((m) => [m.name, m.specialUse]));
      expect(uses).toEqual({
        Archive: "\\Archive",
        Drafts: "\\Drafts",
        INBOX: undefined,
        Junk: "\\Junk",
        Sent: "\\Sent",
        Trash: "\\Trash",
      });
      expect(list.every((m) => m.subscribed && m.selectable)).toBe(true);
      const validities = list.map((m) => m.uidValidity);
      expect(new Set(validities).size).toBe(validities.length);
    });
  });

  it("allows only one process (store) per data folder", async () => {
    const dir = await tempDir();
    const store = await Store.open(dir, { scrypt: TEST_SCRYPT });
    await expect(Store.open(dir, { scrypt: TEST_SCRYPT })).rejects.toThrow(StoreLockedError);
    await store.close();
    const again = await Store.open(dir, { scrypt: TEST_SCRYPT });
    await again.close();
  });
});
