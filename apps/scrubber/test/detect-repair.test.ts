import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Damage, ScrubReport } from "../src/index.js";
import { corruptByte, populatedStore, runScrubber, shardedFile, USER } from "./helpers.js";

/**
 * One byte corrupted in each kind of file of a populated store: the index of INBOX (id 1),
 * the backup of Sent (2), the log of Drafts (3), the mailbox list, one structure cache entry
 * and one blob. --once --json finds each at its place; --repair fixes all but the blob; a
 * second pass reports only the blob, untouched.
 */
describe("holdfast-scrubber --once on a damaged store", () => {
  let root: string;
  let dataDir: string;
  let home: string;
  let blobPath: string;
  let cachePath: string;
  let blobBytes: Buffer;

  beforeAll(async () => {
    ({ root, dataDir, home } = await populatedStore());
    // the first blob and the last cache entry: two different messages
    blobPath = shardedFile(join(home, "blobs"));
    cachePath = shardedFile(join(home, "cache"), true);
    corruptByte(join(home, "mailboxes", "1", "index"), 16384 + 200); // a message block
    corruptByte(join(home, "mailboxes", "2", "index.backup"), 16384 + 200);
    // an early log record: one the snapshot also covers (later records exist only in the log)
    corruptByte(join(home, "mailboxes", "3", "log"), -20);
    corruptByte(join(home, "mailboxes.list"), 60);
    corruptByte(cachePath, 40);
    corruptByte(blobPath, -10);
    blobBytes = readFileSync(blobPath);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const args = () => [
    "--once",
    "--json",
    "--data-dir",
    dataDir,
    "--rate",
    "0",
    "--files-per-second",
    "0",
    "--no-checkpoint",
  ];
  const find = (r: ScrubReport, kind: string) => r.damage.filter((d: Damage) => d.kind === kind);

  it("finds every damaged file with its location and exits 1", async () => {
    const run = await runScrubber(args());
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const r = JSON.parse(run.stdout) as ScrubReport;
    expect(r.complete).toBe(true);
    const rel = (p: string) => p.slice(dataDir.length + 1);
    expect(find(r, "index")).toMatchObject([
      { path: rel(join(home, "mailboxes/1/index")), mailbox: "INBOX", mailboxId: 1, user: USER, repairable: true },
    ]);
    expect(find(r, "index-backup")).toMatchObject([
      { path: rel(join(home, "mailboxes/2/index.backup")), mailbox: "Sent", repairable: true },
    ]);
    expect(find(r, "log")).toMatchObject([
      { path: rel(join(home, "mailboxes/3/log")), mailbox: "Drafts", repairable: true },
    ]);
    expect(find(r, "mailbox-list")).toMatchObject([
      { path: rel(join(home, "mailboxes.list")), user: USER, repairable: true },
    ]);
    expect(find(r, "structure-cache")).toMatchObject([{ path: rel(cachePath), repairable: true }]);
    const blob = find(r, "blob");
    expect(blob).toMatchObject([{ path: rel(blobPath), repairable: false, repaired: false }]);
    expect(blob[0]!.mailbox).toBeDefined();
    expect(blob[0]!.uids?.length).toBe(1);
    expect(r.damage).toHaveLength(6);
    const user = r.users.find((u) => u.user === USER)!;
    expect(user.damaged).toBe(6);
    expect(user.files).toBeGreaterThan(40);
    // per mailbox: every damage entry that names a mailbox is counted there
    for (const m of user.mailboxes) {
      const mine = r.damage.filter((x) => x.mailboxId === m.id);
      expect({ id: m.id, damaged: m.damaged, unrepairable: m.unrepairable }).toEqual({
        id: m.id,
        damaged: mine.length,
        unrepairable: mine.filter((x) => !x.repairable).length,
      });
    }
    expect(user.mailboxes.find((m) => m.id === 1)).toMatchObject({ name: "INBOX" });
    expect(user.mailboxes.find((m) => m.id === blob[0]!.mailboxId)!.unrepairable).toBe(1);
  });

  it("--repair fixes everything a copy covers; the second pass reports only the blob", async () => {
    const run = await runScrubber([...args(), "--repair"]);
    expect(run.code).toBe(1); // the blob stays damaged
    const r = JSON.parse(run.stdout) as ScrubReport;
    for (const d of r.damage) {
      if (d.kind === "blob") expect(d.repaired).toBe(false);
      else
        expect({ kind: d.kind, repaired: d.repaired, action: d.action }).toMatchObject({
          kind: d.kind,
          repaired: true,
        });
    }
    expect(r.damage).toHaveLength(6);

    const again = await runScrubber(args());
    const r2 = JSON.parse(again.stdout) as ScrubReport;
    expect(r2.damage.map((d) => d.kind)).toEqual(["blob"]);
    expect(again.code).toBe(1);
    expect(readFileSync(blobPath).equals(blobBytes)).toBe(true);
    // the cache entry was re-parsed by the store (data folder free)
    expect(existsSync(cachePath)).toBe(true);
  });

  it("prints a human summary without --json", async () => {
    const run = await runScrubber(["--once", "--data-dir", dataDir, "--rate", "0", "--no-checkpoint"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/pass complete/);
    expect(run.stdout).toMatch(/UNREPAIRABLE blob/);
  });
});
