import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Store } from "@holdfast/store";
import { freePort } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScrubReport } from "../src/index.js";
import { BIN, corruptByte, populatedStore, runScrubber } from "./helpers.js";

/** A child process that keeps a mailbox index open for writing (holds its lock) until killed. */
function holdIndex(folder: string): Promise<ChildProcess> {
  const code = `import { MailboxIndex } from "@holdfast/index";
const index = await MailboxIndex.open(${JSON.stringify(folder)}, { fsync: "never" });
process.stdout.write("ready\\n");
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
    cwd: import.meta.dirname,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", () => resolve(child));
    child.once("exit", (c) => reject(new Error(`holder exited ${c}`)));
  });
}

describe("beside a running writer", () => {
  let root: string;
  let dataDir: string;
  let home: string;
  beforeAll(async () => {
    ({ root, dataDir, home } = await populatedStore(3));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const base = () => ["--once", "--json", "-d", dataDir, "--rate", "0", "--no-checkpoint", "--busy-retry-delay", "100"];

  it("a mailbox whose index is locked by a live writer and inconsistent is retried and reported busy, not damaged", async () => {
    const folder = join(home, "mailboxes", "4");
    const holder = await holdIndex(folder);
    try {
      corruptByte(join(folder, "index"), 16384 + 300);
      const run = await runScrubber(base());
      const r = JSON.parse(run.stdout) as ScrubReport;
      expect(r.damage).toEqual([]);
      expect(r.busy).toEqual([join("users", "alice@example.org", "mailboxes", "4")]);
      expect(r.users[0]!.mailboxes.find((m) => m.id === 4)?.busy).toBe(true);
      expect(run.code).toBe(0);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((r) => holder.once("exit", r));
    }
    // the writer is gone: now it is damage
    const r = JSON.parse((await runScrubber(base())).stdout) as ScrubReport;
    expect(r.damage.map((d) => [d.kind, d.mailboxId])).toEqual([["index", 4]]);
    expect(r.busy).toEqual([]);
  });

  it("checks while the store is open elsewhere; repairs a mailbox list only when the data folder is free", async () => {
    corruptByte(join(home, "mailboxes.list.backup"), 50);
    const store = await Store.open(dataDir);
    try {
      const run = await runScrubber([...base(), "--repair"]);
      const r = JSON.parse(run.stdout) as ScrubReport;
      const list = r.damage.find((d) => d.kind === "mailbox-list-backup")!;
      expect(list).toMatchObject({ repairable: true, repaired: false });
      expect(list.action).toMatch(/data folder is in use by process \d+/);
      // the index needs no data folder lock: repaired while the store is open
      expect(r.damage.find((d) => d.kind === "index")).toMatchObject({ repaired: true });
      expect(run.code).toBe(1);
    } finally {
      await store.close();
    }
    const run = await runScrubber([...base(), "--repair"]);
    expect(run.code).toBe(0);
    const clean = await runScrubber(base());
    expect(JSON.parse(clean.stdout).damage).toEqual([]);
    expect(clean.code).toBe(0);
  });

  it("daemon mode: a pass, then Prometheus metrics; SIGTERM stops it", async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        BIN,
        "-d",
        dataDir,
        "--state-dir",
        join(root, "daemon"),
        "--interval",
        "1h",
        "--rate",
        "0",
        "--metrics",
        `127.0.0.1:${port}`,
      ],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr!.on("data", (d) => {
      stderr += d;
    });
    try {
      let text = "";
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 200));
        try {
          text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        } catch {
          continue;
        }
        if (/holdfast_scrubber_last_pass_timestamp_seconds [1-9]/.test(text)) break;
      }
      expect(text).toMatch(/holdfast_scrubber_last_pass_timestamp_seconds [1-9]/);
      expect(Number(/holdfast_scrubber_files_checked_total (\d+)/.exec(text)?.[1])).toBeGreaterThan(20);
      expect(text).toMatch(/holdfast_scrubber_last_pass_duration_seconds \d/);
      expect(text).toMatch(/holdfast_scrubber_pass_running 0/);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(0);
    expect(stderr).toMatch(/pass complete/);
  });

  it("bad options are one line and exit 2", async () => {
    const r = await runScrubber(["--once", "--rate", "fast"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    const help = await runScrubber(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--repair/);
  });
});

describe("a missing data folder", () => {
  it("is one line and exit 2", async () => {
    const r = await runScrubber(["--once", "-d", "/nonexistent/holdfast-data", "--no-checkpoint"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("holdfast-scrubber: data folder /nonexistent/holdfast-data cannot be read: ENOENT\n");
  });
});

describe("one pass at a time", () => {
  it("a second scrubber on the same state folder is refused in one line", async () => {
    const { root, dataDir } = await populatedStore(2);
    const state = join(root, "state");
    const slow = spawn(
      process.execPath,
      [BIN, "--once", "-d", dataDir, "--state-dir", state, "--files-per-second", "5"],
      { stdio: "ignore" },
    );
    try {
      // wait until the first one holds the state folder
      for (let i = 0; i < 100 && !existsSync(join(state, "lock")); i++) await new Promise((res) => setTimeout(res, 50));
      const r = await runScrubber(["--once", "-d", dataDir, "--state-dir", state]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `holdfast-scrubber: another holdfast-scrubber (process ${slow.pid}) is running with state folder ${state}\n`,
      );
    } finally {
      slow.kill("SIGKILL");
      await new Promise((res) => slow.once("exit", res));
      rmSync(root, { recursive: true, force: true });
    }
  });
});
