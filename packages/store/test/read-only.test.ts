import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Store, StoreLockedError, StoreReadOnlyError } from "../src/index.js";
import { message, TEST_SCRYPT, tempDir } from "./helpers/store.js";

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out.sort();
}

describe("read-only open", () => {
  it("reads a store another Store holds for writing, takes no lock, writes nothing and refuses every change", async () => {
    const dataDir = await tempDir("holdfast-readonly-");
    const writer = await Store.open(dataDir, { scrypt: TEST_SCRYPT });
    try {
      await writer.users.add("alice", "pw");
      const w = await writer.mailboxes("alice");
      const { uid } = await w.append("INBOX", message("visible"), { flags: ["\\Seen"] });
      await expect(Store.open(dataDir, { scrypt: TEST_SCRYPT })).rejects.toBeInstanceOf(StoreLockedError);
      const before = await files(dataDir);

      const reader = await Store.open(dataDir, { scrypt: TEST_SCRYPT, readOnly: true });
      try {
        expect(reader.readOnly).toBe(true);
        expect(reader.users.list().map((u) => u.name)).toEqual(["alice"]);
        expect(await reader.users.authenticate("alice", "pw")).toBe(true);
        const r = await reader.mailboxes("alice");
        expect(r.listMailboxes().map((m) => m.name)).toContain("INBOX");
        expect((await r.readMessage("INBOX", uid)).toString()).toContain("test visible");
        expect((await r.structure("INBOX", uid)).envelope).toContain("test visible");
        const session = await r.select("INBOX");
        expect(session.readOnly).toBe(true);
        expect(session.uids()).toEqual([uid]);
        expect((await r.status("INBOX")).messages).toBe(1);
        expect((await reader.verify("alice")).ok).toBe(true);

        await expect(r.append("INBOX", message("no"))).rejects.toBeInstanceOf(StoreReadOnlyError);
        await expect(r.storeFlags("INBOX", uid, "add", ["\\Flagged"])).rejects.toBeInstanceOf(StoreReadOnlyError);
        await expect(r.expunge("INBOX")).rejects.toBeInstanceOf(StoreReadOnlyError);
        await expect(r.copy("INBOX", uid, "Archive")).rejects.toBeInstanceOf(StoreReadOnlyError);
        await expect(r.create("New")).rejects.toBeInstanceOf(StoreReadOnlyError);
        await expect(r.subscribe("Archive")).rejects.toBeInstanceOf(StoreReadOnlyError);
        await expect(reader.users.add("bob", "pw")).rejects.toBeInstanceOf(StoreReadOnlyError);
        await expect(reader.users.passwd("alice", "x")).rejects.toBeInstanceOf(StoreReadOnlyError);
        await expect(reader.repair("alice")).rejects.toBeInstanceOf(StoreReadOnlyError);
        await expect(reader.reclaim("alice")).rejects.toBeInstanceOf(StoreReadOnlyError);
        session.close();
      } finally {
        await reader.close();
      }
      // Nothing was created or changed on disk (no lock, no marker, no cache entry).
      expect(await files(dataDir)).toEqual(before);
      // The writer goes on as before.
      expect((await w.append("INBOX", message("after"))).uid).toBe(uid + 1);
      expect(await writer.users.authenticate("alice", "pw")).toBe(true);
    } finally {
      await writer.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
