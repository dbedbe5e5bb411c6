import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../src/index.js";

/*
 * Data-loss paths found in review, each reproduced first. A blob that a durable index entry
 * refers to must never be deleted, by a sweep, a reclaim or a repair.
 */

const OPTIONS = { scrypt: { N: 1024, r: 8, p: 1, keyLength: 32 } };
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "holdfast-store-review-"));
  dirs.push(d);
  return d;
}
const message = (subject: string) => Buffer.from(`From: a@example.org\r\nSubject: ${subject}\r\n\r\nhello\r\n`);

async function blobCount(dir: string, user: string): Promise<number> {
  const root = join(dir, "users", user, "blobs");
  let n = 0;
  for (const shard of await readdir(root)) {
    if (shard === "tmp") continue;
    n += (await readdir(join(root, shard))).length;
  }
  return n;
}

describe("blob lifetime (review regressions)", () => {
  it("a sweep racing a MOVE into a mailbox it already read keeps the moved message's blob", async () => {
    const dir = await fresh();
    const store = await Store.open(dir, OPTIONS);
    await store.users.add("alice", "pw");
    const u = await store.mailboxes("alice");
    const a = await u.append("Junk", message("moved"));
    await u.copy("Junk", [a.uid], "Archive"); // the blob is in Junk and Archive
    await u.status("Drafts"); // Drafts open, INBOX not yet
    const inboxId = u.listMailboxes().find((m) => m.name === "INBOX")!.id!;
    // Opening INBOX takes a while (a big snapshot): the sweep's read of references pauses there.
    const slowOpen = u.handleById.bind(u);
    u.handleById = async (id: number) => {
      if (id === inboxId) await new Promise((r) => setTimeout(r, 200));
      return slowOpen(id);
    };
    await u.storeFlags("Archive", [1], "add", ["\\Deleted"]);
    await u.expunge("Archive"); // starts a sweep of the blob in the background
    const moved = await u.move("Junk", [a.uid], "Drafts"); // meanwhile another client moves it
    await new Promise((r) => setTimeout(r, 500));
    expect((await u.readMessage("Drafts", moved.pairs[0]![1])).toString()).toContain("Subject: moved");
    await store.close();
  });

  it("repair that rebuilds a mailbox does not reclaim the blobs of messages moved into it", async () => {
    const dir = await fresh();
    let store = await Store.open(dir, OPTIONS);
    await store.users.add("alice", "pw");
    const u = await store.mailboxes("alice");
    const a = await u.append("INBOX", message("keep me"));
    await u.move("INBOX", [a.uid], "Archive");
    const archive = u.listMailboxes().find((m) => m.name === "Archive")!.id!;
    await store.close();
    for (const f of ["index", "index.backup", "log"]) {
      await rm(join(dir, "users", "alice", "mailboxes", String(archive), f), { force: true });
    }
    store = await Store.open(dir, OPTIONS);
    const report = (await store.repair("alice")).users[0]!;
    // The moved message's blob names INBOX as origin: the rebuilt Archive cannot claim it,
    // so repair adopts it into Recovered (and only then lets reclaim run).
    expect(report.adopted).toMatchObject({ mailbox: "Recovered", messages: 1 });
    expect(report.reclaim.removed).toEqual([]);
    expect(await blobCount(dir, "alice")).toBe(1);
    const recovered = await (await store.mailboxes("alice")).select("Recovered");
    expect(recovered.messages().map((m) => Buffer.from(m.guid).toString("hex"))).toEqual([a.guid]);
    recovered.close();
    await store.close();
  });

  it("reclaim deletes nothing while folders outside the mailbox list hold mail", async () => {
    const dir = await fresh();
    let store = await Store.open(dir, OPTIONS);
    await store.users.add("alice", "pw");
    const u = await store.mailboxes("alice");
    const userDir = join(dir, "users", "alice");
    const oldList = await readFile(join(userDir, "mailboxes.list"));
    await u.create("Projects");
    await u.append("Projects", message("only copy"));
    await store.close();
    // The list falls back one generation: Projects' folder is now outside it.
    await writeFile(join(userDir, "mailboxes.list"), oldList);
    await writeFile(join(userDir, "mailboxes.list.backup"), oldList);
    store = await Store.open(dir, OPTIONS);
    const r = await store.reclaim("alice");
    expect(r.orphanFoldersKept).toHaveLength(1);
    expect(r.removed).toEqual([]);
    expect(await blobCount(dir, "alice")).toBe(1);
    await store.close();
  });
});
