import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MailboxDamagedError, Store } from "../src/index.js";
import { message, TEST_SCRYPT, tempDir } from "./helpers/store.js";

async function setup() {
  const dir = await tempDir();
  const store = await Store.open(dir, { scrypt: TEST_SCRYPT });
  await store.users.add("alice", "pw");
  const mb = await store.mailboxes("alice");
  return { dir, store, mb };
}

describe("verify", () => {
  it("reports a damaged blob with user, mailbox and UID (every mailbox that uses it)", async () => {
    const { dir, store, mb } = await setup();
    await mb.append("INBOX", message("good"));
    const bad = await mb.append("INBOX", message("bad"));
    await mb.copy("INBOX", bad.uid, "Archive");
    expect((await store.verify()).ok).toBe(true);
    const path = join(dir, "users/alice/blobs", bad.guid.slice(0, 2), bad.guid);
    const bytes = await readFile(path);
    bytes[bytes.length - 3]! ^= 0x08;
    await writeFile(path, bytes);
    const v = await store.verify("alice");
    expect(v.ok).toBe(false);
    expect(v.users[0]!.damagedBlobs).toEqual([
      { user: "alice", mailbox: "Archive", uid: 1, guid: bad.guid, reason: "message bytes fail their xxh64" },
      { user: "alice", mailbox: "INBOX", uid: 2, guid: bad.guid, reason: "message bytes fail their xxh64" },
    ]);
    // repair cannot invent the bytes: it still reports the blob
    const r = await store.repair("alice");
    expect(r.users[0]!.damagedBlobs).toHaveLength(2);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("finds leaked blobs and reclaim removes only those", async () => {
    const { dir, store, mb } = await setup();
    await mb.append("INBOX", message("kept"));
    // A crash between "blob durable" and "index commit" leaves a blob nobody refers to.
    const pending = await mb.blobs.begin(message("leak"), Date.now(), {
      mailboxId: 1,
      mailboxName: "INBOX",
      uidValidity: 1,
    });
    const header = await pending.commit(2);
    await writeFile(join(mb.blobs.tempDir, "deadbeef.tmp"), "torn");
    // a cache entry whose blob is gone, and a mailbox folder no list entry names
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(mb.structures.dir, "ab"), { recursive: true });
    await writeFile(join(mb.structures.dir, "ab", "ab".repeat(16)), "stale");
    await mkdir(join(dir, "users/alice/mailboxes/999"));
    const v = await store.verify("alice");
    expect(v.users[0]!.leakedBlobs).toEqual([pending.guidHex]);
    expect(v.ok).toBe(true);
    const r = await store.reclaim("alice");
    expect(r.removed).toEqual([pending.guidHex]);
    expect(r.temps).toBe(1);
    expect(r.cacheEntries).toBe(1);
    expect(r.orphanFolders).toEqual(["999"]);
    expect((await mb.blobs.readHeader(pending.guidHex)).kind).toBe("missing");
    expect((await mb.readMessage("INBOX", 1)).toString()).toContain("test kept");
    expect(header.originUid).toBe(2);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("repairs a damaged index snapshot from its backup and log without loss", async () => {
    const { dir, store, mb } = await setup();
    for (let i = 0; i < 3; i++) await mb.append("INBOX", message(), { flags: ["\\Seen"] });
    const handle = await mb.handleByName("INBOX");
    await handle.index.checkpoint();
    await handle.index.checkpoint();
    await mb.storeFlags("INBOX", 2, "add", ["\\Flagged"]);
    const before = (await mb.select("INBOX", { readOnly: true })).messages();
    const id = mb.listMailboxes().find((m) => m.name === "INBOX")!.id!;
    await store.close();
    const snapshot = join(dir, "users/alice/mailboxes", String(id), "index");
    const bytes = await readFile(snapshot);
    bytes[4096 + 100]! ^= 0xff;
    await writeFile(snapshot, bytes);
    const again = await Store.open(dir, { scrypt: TEST_SCRYPT });
    const v = await again.verify("alice");
    expect(v.ok).toBe(false);
    expect(v.users[0]!.mailboxes.find((m) => m.name === "INBOX")!.ok).toBe(false);
    await again.repair("alice");
    expect((await again.verify("alice")).ok).toBe(true);
    const mb2 = await again.mailboxes("alice");
    expect((await mb2.select("INBOX", { readOnly: true })).messages()).toEqual(before);
    await again.close();
    await rm(dir, { recursive: true, force: true });
  });
});

describe("rebuild from blobs", () => {
  it("recreates every message with the same GUIDs and UIDs when index, backup and log are gone, and reports flag loss", async () => {
    const { dir, store, mb } = await setup();
    const appended = [];
    for (let i = 0; i < 12; i++)
      appended.push(await mb.append("INBOX", message(`r${i}`), { flags: i % 3 === 0 ? ["\\Seen"] : [] }));
    // Expunge two (their blobs go), copy one elsewhere (its blob stays shared).
    await mb.storeFlags("INBOX", [4, 9], "add", ["\\Deleted"]);
    await mb.expunge("INBOX");
    await mb.copy("INBOX", 5, "Archive");
    await mb.sweep([]);
    await new Promise((r) => setTimeout(r, 50));
    const before = await mb.status("INBOX");
    const expected = (await mb.select("INBOX", { readOnly: true })).messages();
    const id = mb.listMailboxes().find((m) => m.name === "INBOX")!.id!;
    await store.close();
    const folder = join(dir, "users/alice/mailboxes", String(id));
    for (const f of ["index", "index.backup", "log"]) await rm(join(folder, f), { force: true });

    const again = await Store.open(dir, { scrypt: TEST_SCRYPT });
    const mb2 = await again.mailboxes("alice");
    await expect(mb2.select("INBOX")).rejects.toThrow(MailboxDamagedError);
    const v = await again.verify("alice");
    expect(v.users[0]!.mailboxes.find((m) => m.name === "INBOX")).toMatchObject({ ok: false, indexMissing: true });
    const r = await again.repair("alice");
    const rebuilt = r.users[0]!.rebuilt;
    expect(rebuilt).toHaveLength(1);
    expect(rebuilt[0]).toMatchObject({
      mailbox: "INBOX",
      messages: 10,
      sameUid: 10,
      flagsLost: 10,
      oldUidValidity: before.uidValidity,
      alsoElsewhere: 1,
    });
    expect(rebuilt[0]!.newUidValidity).toBeGreaterThan(before.uidValidity);
    const session = await mb2.select("INBOX");
    const now = session.messages();
    expect(now.map((m) => m.uid)).toEqual(expected.map((m) => m.uid));
    expect(now.map((m) => Buffer.from(m.guid).toString("hex"))).toEqual(
      expected.map((m) => Buffer.from(m.guid).toString("hex")),
    );
    expect(now.map((m) => m.internalDate)).toEqual(expected.map((m) => m.internalDate));
    expect(now.every((m) => m.flags.length === 0)).toBe(true);
    expect(session.uidValidity).toBe(rebuilt[0]!.newUidValidity);
    for (const m of now) expect((await session.readMessage(m.uid)).toString()).toMatch(/test r\d+/);
    expect(appended.filter((a) => a.uid !== 4 && a.uid !== 9).map((a) => a.guid)).toEqual(
      now.map((m) => Buffer.from(m.guid).toString("hex")),
    );
    // UIDNEXT does not go backwards for new mail
    const next = await session.append(message("after"));
    expect(next.uid).toBe(13);
    expect((await again.verify("alice")).ok).toBe(true);
    await again.close();
    await rm(dir, { recursive: true, force: true });
  });
});

describe("rebuild adopts what it cannot place", () => {
  it("puts messages copied into a lost mailbox (blobs of another origin) into Recovered instead of losing them", async () => {
    const { dir, store, mb } = await setup();
    await mb.create("Lists");
    const kept = await mb.append("INBOX", message("stays in INBOX"));
    const own = await mb.append("Lists", message("appended to Lists"));
    const moved = await mb.append("INBOX", message("moved to Lists"));
    await mb.move("INBOX", moved.uid, "Lists");
    await mb.sweep([moved.guid]);
    const id = mb.listMailboxes().find((m) => m.name === "Lists")!.id!;
    await store.close();
    const folder = join(dir, "users/alice/mailboxes", String(id));
    for (const f of ["index", "index.backup", "log"]) await rm(join(folder, f), { force: true });

    const again = await Store.open(dir, { scrypt: TEST_SCRYPT });
    try {
      const mb2 = await again.mailboxes("alice");
      const r = (await again.repair("alice")).users[0]!;
      // Lists gets back the message whose blob names it as origin...
      expect(r.rebuilt[0]).toMatchObject({ mailbox: "Lists", messages: 1 });
      const lists = await mb2.select("Lists");
      expect(lists.messages().map((m) => Buffer.from(m.guid).toString("hex"))).toEqual([own.guid]);
      // ...and the moved one (its blob names INBOX, which no longer has it) goes to Recovered.
      expect(r.adopted).toEqual({ mailbox: "Recovered", messages: 1, damaged: [] });
      const recovered = await mb2.select("Recovered");
      expect(recovered.messages().map((m) => Buffer.from(m.guid).toString("hex"))).toEqual([moved.guid]);
      expect((await recovered.readMessage(recovered.uids()[0]!)).toString()).toContain("moved to Lists");
      expect(recovered.messages()[0]!.flags).toEqual([]);
      expect((await mb2.status("INBOX")).messages).toBe(1);
      expect((await mb2.readMessage("INBOX", kept.uid)).toString()).toContain("stays in INBOX");
      // Nothing is left unreferenced, so reclaim ran (and deleted nothing); verify is clean.
      expect(r.reclaim.refused).toBeUndefined();
      expect(r.reclaim.removed).toEqual([]);
      const v = await again.verify("alice");
      expect(v.ok).toBe(true);
      expect(v.users[0]!.leakedBlobs).toEqual([]);
      lists.close();
      recovered.close();
    } finally {
      await again.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
