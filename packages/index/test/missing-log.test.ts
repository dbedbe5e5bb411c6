import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  IndexInputError,
  IndexReadOnlyError,
  MailboxIndex,
  type MessageRecord,
  rebuildIndex,
  repair,
  verify,
} from "../src/index.js";
import { message, tempFolder } from "./helpers/mailbox.js";

/*
 * Defect 1 of the review: a missing `log` was accepted as lossless, so a mailbox whose log
 * held commits after the last checkpoint reopened writable with UIDNEXT and HIGHESTMODSEQ
 * moved back under the same UIDVALIDITY (UIDs handed out twice). A snapshot alone never
 * proves the counters: open read-only, propose a new UIDVALIDITY; a deliberate rebuild
 * goes through `rebuildIndex`.
 */

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempFolder()));
afterEach(() => cleanup());

function record(uid: number): MessageRecord {
  const m = message(uid);
  return {
    uid,
    flags: 0,
    keywords: new Uint32Array(8),
    modseq: 1,
    size: m.size,
    internalDate: m.internalDate,
    guid: m.guid,
    contentHash: m.contentHash,
  };
}

describe("a missing log", () => {
  it("opens read-only with a new UIDVALIDITY proposed, never with counters moved back", async () => {
    const index = await MailboxIndex.open(dir, { create: true, uidValidity: 3, autoCheckpointBytes: 0 });
    for (let i = 1; i <= 10; i++) await index.transaction().append(message(i)).commit();
    await index.checkpoint();
    for (let i = 11; i <= 15; i++) await index.transaction().append(message(i)).commit();
    const before = index.status();
    await index.close();
    await rm(join(dir, "log"));

    expect((await verify(dir)).ok).toBe(false);
    const reopened = await MailboxIndex.open(dir);
    expect(reopened.readOnly).toBe(true);
    expect(reopened.recovery.lossless).toBe(false);
    expect(reopened.recovery.problems.join(" ")).toContain("log is missing");
    const fresh = reopened.recovery.newUidValidity;
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(3);
    await expect(reopened.transaction().append(message(16)).commit()).rejects.toBeInstanceOf(IndexReadOnlyError);
    await reopened.close();

    // Salvage keeps the messages the snapshot holds, under the new UIDVALIDITY.
    const fixed = await repair(dir, { salvage: true });
    expect(fixed.salvaged).toBe(true);
    expect(fixed.repaired).toBe(true);
    const after = await MailboxIndex.open(dir);
    expect(after.readOnly).toBe(false);
    expect(after.status().uidValidity).toBe(fresh);
    expect(after.status().messages).toBe(10);
    expect(after.status().uidValidity === before.uidValidity && after.status().uidNext < before.uidNext).toBe(false);
    await after.close();
  });
});

describe("rebuildIndex", () => {
  it("writes snapshot, backup and log from known messages and counters", async () => {
    const result = await rebuildIndex(join(dir, "new", "box"), {
      uidValidity: 99,
      uidNext: 50,
      messages: [record(3), record(7), record(41)],
    });
    expect(result.messages).toBe(3);
    const folder = join(dir, "new", "box");
    for (const name of ["index", "index.backup", "log"])
      expect((await readFile(join(folder, name))).byteLength).toBeGreaterThan(0);
    expect((await verify(folder)).ok).toBe(true);
    const index = await MailboxIndex.open(folder);
    expect(index.readOnly).toBe(false);
    expect(index.recovery.clean).toBe(true);
    expect(index.status()).toMatchObject({ uidValidity: 99, uidNext: 50, messages: 3 });
    const { appended } = await index.transaction().append(message(100)).commit();
    expect(appended).toEqual([50]);
    await index.close();
  });

  it("replaces an existing index and refuses messages that do not form a mailbox", async () => {
    const index = await MailboxIndex.open(dir, { create: true, uidValidity: 5 });
    await index.transaction().append(message(1)).append(message(2)).commit();
    await index.checkpoint();
    await index.transaction().append(message(3)).commit();
    await index.close();
    await rebuildIndex(dir, { uidValidity: 6, uidNext: 10, messages: [record(2)] });
    const rebuilt = await MailboxIndex.open(dir);
    expect(rebuilt.status()).toMatchObject({ uidValidity: 6, uidNext: 10, messages: 1, seq: 1 });
    await rebuilt.close();
    await expect(
      rebuildIndex(dir, { uidValidity: 6, uidNext: 10, messages: [record(4), record(2)] }),
    ).rejects.toBeInstanceOf(IndexInputError);
    await expect(rebuildIndex(dir, { uidValidity: 6, uidNext: 4, messages: [record(4)] })).rejects.toBeInstanceOf(
      IndexInputError,
    );
    await expect(rebuildIndex(dir, { uidValidity: 0, uidNext: 4, messages: [] })).rejects.toBeInstanceOf(
      IndexInputError,
    );
  });
});
