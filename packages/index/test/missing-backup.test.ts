import { access, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compareStates, MailboxIndex, verify } from "../src/index.js";
import { message, tempFolder } from "./helpers/mailbox.js";

/*
 * Defect 3 of the review: verify reported a mailbox clean when `index.backup` was missing
 * although the log starts after it (the log keeps only what the backup lacks, so without
 * the backup a damaged snapshot could no longer be rebuilt).
 */

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempFolder()));
afterEach(() => cleanup());

describe("a missing index.backup", () => {
  it("is reported by verify and written again by open", async () => {
    const index = await MailboxIndex.open(dir, { create: true, autoCheckpointBytes: 0 });
    for (let i = 1; i <= 4; i++) await index.transaction().append(message(i)).commit();
    await index.checkpoint();
    await index.transaction().store("1:2", "add", ["\\Seen"]).commit();
    await index.checkpoint();
    await index.transaction().append(message(5)).commit();
    const state = index.state;
    await index.close();
    await rm(join(dir, "index.backup"));

    const report = await verify(dir);
    expect(report.ok).toBe(false);
    expect(report.problems.join(" ")).toContain("index.backup is missing");

    const reopened = await MailboxIndex.open(dir);
    expect(reopened.readOnly).toBe(false);
    expect(reopened.recovery.actions).toContain("write the missing backup");
    expect(compareStates(reopened.state, state)).toEqual([]);
    await reopened.close();
    await access(join(dir, "index.backup"));
    const after = await verify(dir);
    expect(after.ok).toBe(true);
    expect(after.backupReproducesSnapshot).toBe(true);
  });
});
