import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initChecksum, xxh64 } from "@holdfast/checksum";
import { decodeBlobHeader, encodeBlobHeader } from "@holdfast/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScrubReport, scrub, writeCheckpoint } from "../src/index.js";
import { newReport } from "../src/report.js";
import { populatedStore, runScrubber } from "./helpers.js";

/**
 * A blob that is consistent in itself (valid header checksum, bytes matching its own content
 * hash) but is not the message the index recorded: caught by comparing with the index's
 * content hash, also when a resumed pass starts after the mailboxes.
 */
describe("blob vs index content hash", () => {
  let root: string;
  let dataDir: string;
  let blobPath: string;
  beforeAll(async () => {
    await initChecksum();
    ({ root, dataDir } = await populatedStore(2));
    const blobs = join(dataDir, "users", "alice@example.org", "blobs");
    const aa = readdirSync(blobs)
      .filter((x) => /^[0-9a-f]{2}$/.test(x))
      .sort()[0]!;
    blobPath = join(blobs, aa, readdirSync(join(blobs, aa)).sort()[0]!);
    const head = decodeBlobHeader(readFileSync(blobPath));
    if (head.kind !== "ok") throw new Error("fixture blob unreadable");
    const forged = Buffer.from("Subject: not the original\r\n\r\nswapped\r\n");
    const { headerSize: _, ...h } = head.header;
    writeFileSync(
      blobPath,
      Buffer.concat([encodeBlobHeader({ ...h, contentHash: xxh64(forged, 0n), size: forged.length }), forged]),
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("is reported as a damaged blob with its mailbox and UID", async () => {
    const run = await runScrubber(["--once", "--json", "-d", dataDir, "--rate", "0", "--no-checkpoint"]);
    expect(run.code).toBe(1);
    const r = JSON.parse(run.stdout) as ScrubReport;
    expect(r.damage).toHaveLength(1);
    expect(r.damage[0]).toMatchObject({ kind: "blob", path: blobPath.slice(dataDir.length + 1), repairable: false });
    expect(r.damage[0]!.detail).toMatch(/content hash differs from the one the mailbox index stores/);
    expect(r.damage[0]!.uids).toHaveLength(1);
  });

  it("is caught by a pass resumed after the mailboxes (expected hashes read again)", async () => {
    const checkpointPath = join(root, "checkpoint");
    // a checkpoint that says every unit up to the mailboxes (key rank 2) was done
    await writeCheckpoint(checkpointPath, {
      version: 1,
      complete: false,
      lastKey: "alice@example.org\u00012~",
      report: newReport(dataDir, false),
      pending: [],
    });
    const r = await scrub(dataDir, { checkpointPath, limits: { bytesPerSecond: 0, filesPerSecond: 0 } });
    expect(r.resumed).toBe(true);
    // no mailbox index was read as a checked file by this run
    expect(r.users[0]!.mailboxes.map((m) => m.files)).toEqual([0]);
    expect(r.damage.map((d) => [d.kind, d.detail])).toEqual([
      ["blob", "content hash differs from the one the mailbox index stores"],
    ]);
  });
});
