import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCheckpoint, type ScrubReport } from "../src/index.js";
import { BIN, populatedStore, runScrubber } from "./helpers.js";

/**
 * Kill the scrubber mid-pass (SIGKILL, no chance to clean up); the restart continues from the
 * checkpoint: it reads only the units after the checkpoint, and the pass totals equal those of
 * an uninterrupted pass.
 */
describe("resume from the checkpoint", () => {
  let root: string;
  let dataDir: string;
  beforeAll(async () => {
    ({ root, dataDir } = await populatedStore(8));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("a killed pass restarts where it stopped, without re-reading finished work", async () => {
    const full = JSON.parse(
      (await runScrubber(["--once", "--json", "-d", dataDir, "--rate", "0", "--no-checkpoint"])).stdout,
    ) as ScrubReport;
    expect(full.files).toBeGreaterThan(60);

    const state = join(root, "state");
    const checkpointPath = join(state, "checkpoint");
    // 25 files/s: the pass takes seconds; a checkpoint after every unit
    const child = spawn(
      process.execPath,
      [
        BIN,
        "--once",
        "--json",
        "-d",
        dataDir,
        "--state-dir",
        state,
        "--files-per-second",
        "25",
        "--checkpoint-interval",
        "0",
      ],
      {
        stdio: "ignore",
      },
    );
    let atKill: Awaited<ReturnType<typeof readCheckpoint>>;
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      atKill = await readCheckpoint(checkpointPath);
      if (atKill && atKill.report.files >= 30) break;
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const cp = (await readCheckpoint(checkpointPath))!;
    expect(cp.complete).toBe(false);
    const doneBefore = cp.report.files;
    expect(doneBefore).toBeGreaterThanOrEqual(30);
    expect(doneBefore).toBeLessThan(full.files);

    const run = await runScrubber([
      "--once",
      "--json",
      "-d",
      dataDir,
      "--state-dir",
      state,
      "--rate",
      "0",
      "--files-per-second",
      "0",
    ]);
    expect(run.code).toBe(0);
    const resumed = JSON.parse(run.stdout) as ScrubReport;
    expect(resumed.resumed).toBe(true);
    expect(resumed.complete).toBe(true);
    expect(resumed.unitsSkipped).toBeGreaterThan(0);
    // only what the checkpoint did not cover was read by the restart
    expect(resumed.filesRead).toBe(full.files - doneBefore);
    expect(resumed.files).toBe(full.files);
    expect(resumed.bytes).toBe(full.bytes);
    expect((await readCheckpoint(checkpointPath))!.complete).toBe(true);

    // the next run starts a new pass and reads everything again
    const next = JSON.parse(
      (await runScrubber(["--once", "--json", "-d", dataDir, "--state-dir", state, "--rate", "0"])).stdout,
    ) as ScrubReport;
    expect(next.resumed).toBe(false);
    expect(next.filesRead).toBe(full.files);
  });
});
