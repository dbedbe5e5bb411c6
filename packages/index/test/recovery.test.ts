import { appendFile, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BLOCK_SIZE,
  compareStates,
  IndexReadOnlyError,
  logCodec,
  MailboxIndex,
  type MailboxState,
  scanLog,
  verify,
} from "../src/index.js";
import { message, tempFolder } from "./helpers/mailbox.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempFolder()));
afterEach(() => cleanup());

/** A mailbox with a backup, a snapshot and log records after the snapshot. */
async function build(): Promise<MailboxState> {
  const index = await MailboxIndex.open(dir, { create: true, uidValidity: 3, autoCheckpointBytes: 0 });
  const tx = index.transaction();
  for (let i = 1; i <= 600; i++) tx.append(message(i, i % 2 ? ["\\Seen"] : ["$Work"]));
  await tx.commit();
  await index.checkpoint();
  await index.transaction().store("1:100", "add", ["\\Flagged"]).commit();
  await index.transaction().expunge("50:60").commit();
  await index.checkpoint();
  await index.transaction().store("200:300", "replace", ["$Late"]).commit();
  await index.transaction().append(message(601)).commit();
  const state = index.state;
  await index.close();
  return state;
}

async function reopen(): Promise<MailboxIndex> {
  return MailboxIndex.open(dir);
}

describe("recovery on open", () => {
  it("a clean mailbox opens clean and verifies, backup + log reproducing the snapshot", async () => {
    const before = await build();
    const index = await reopen();
    expect(index.recovery.clean).toBe(true);
    expect(compareStates(index.state, before)).toEqual([]);
    await index.close();
    const report = await verify(dir);
    expect(report.ok).toBe(true);
    expect(report.backupReproducesSnapshot).toBe(true);
  });

  it("truncates a torn log tail and goes on", async () => {
    const before = await build();
    const log = join(dir, "log");
    const size = (await readFile(log)).byteLength;
    // A real record cut short, as a crash during the append leaves it.
    const record = logCodec.encode(2, new Uint8Array(100).fill(1));
    await appendFile(log, record.subarray(0, 60));
    const index = await reopen();
    expect(index.recovery.log.tail.kind).toBe("torn");
    expect(compareStates(index.state, before)).toEqual([]);
    expect((await readFile(log)).byteLength).toBe(size);
    await index.transaction().append(message(700)).commit();
    await index.close();
    expect((await verify(dir)).ok).toBe(true);
  });

  it("rebuilds a damaged snapshot from backup + log: exactly the same state", async () => {
    const before = await build();
    const path = join(dir, "index");
    const data = await readFile(path);
    data[2 * BLOCK_SIZE + 500]! ^= 0x04;
    await writeFile(path, data);
    const index = await reopen();
    expect(index.recovery.snapshot.ok).toBe(false);
    expect(index.recovery.source).toBe("backup");
    expect(compareStates(index.state, before)).toEqual([]);
    await index.close();
    expect((await verify(dir)).ok).toBe(true);
  });

  it("recovers from a crash between the two renames of a checkpoint (no index, only the backup)", async () => {
    const before = await build();
    await rename(join(dir, "index"), join(dir, "index.backup"));
    const index = await reopen();
    expect(compareStates(index.state, before)).toEqual([]);
    await index.close();
    expect((await verify(dir)).ok).toBe(true);
  });

  it("treats damage followed by valid records as corruption: read-only when no copy covers it", async () => {
    await build();
    const log = join(dir, "log");
    const data = await readFile(log);
    // Damage the first transaction after the snapshot (the store of 200:300); the append of
    // 601 still follows it.
    const scan = scanLog(data);
    const target = scan.txns.find((t) => t.ops.some((o) => o.op === "setFlags" && o.uid === 200))!;
    expect(target).toBeDefined();
    let offset = 48; // past the header record
    for (const r of logCodec.walk(data, 48)) {
      if (r.kind !== "record") break;
      const seqs = scanLog(data.subarray(0, r.end)).txns.map((t) => t.seq);
      if (seqs.includes(target.seq)) {
        offset = r.offset;
        break;
      }
    }
    data[offset + 20]! ^= 0x01;
    await writeFile(log, data);
    const report = await verify(dir);
    expect(report.ok).toBe(false);
    expect(report.log.damage.length).toBe(1);
    const index = await reopen();
    expect(index.readOnly).toBe(true);
    expect(index.recovery.lossless).toBe(false);
    expect(index.recovery.affectedUids).toContain(601); // appended after the damage
    await expect(index.transaction().append(message(1)).commit()).rejects.toBeInstanceOf(IndexReadOnlyError);
    // UIDNEXT and HIGHESTMODSEQ are the largest any copy proves.
    expect(index.status().uidNext).toBe(602);
    await index.close();
  });

  it("re-creates a mailbox whose creation crashed before anything was durable", async () => {
    await writeFile(join(dir, "log"), new Uint8Array(0));
    const index = await MailboxIndex.open(dir, { create: true, uidValidity: 77 });
    expect(index.status().uidValidity).toBe(77);
    await index.close();
  });

  it("never takes a snapshot without its log for the whole mailbox (see missing-log.test.ts)", async () => {
    const before = await build();
    await rm(join(dir, "log"));
    const index = await reopen();
    // The two transactions after the last checkpoint are gone and nothing proves UIDNEXT:
    // read-only until repaired under a new UIDVALIDITY.
    expect(index.state.seq).toBeLessThan(before.seq);
    expect(index.recovery.problems.join(" ")).toContain("log is missing");
    expect(index.readOnly).toBe(true);
    expect(index.recovery.newUidValidity).toBeDefined();
    await index.close();
    expect((await verify(dir)).ok).toBe(false);
  });

  it("detects a truncated snapshot", async () => {
    await build();
    await truncate(join(dir, "index"), BLOCK_SIZE * 2);
    const report = await verify(dir);
    expect(report.ok).toBe(false);
    expect(report.snapshot.ok).toBe(false);
  });
});
