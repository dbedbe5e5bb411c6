import { spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type IndexFs, IndexLockedError, MailboxIndex, MailboxLock, nodeFs, processStartTime } from "../src/index.js";
import { tempFolder } from "./helpers/mailbox.js";
import { transpiledSources } from "./helpers/transpile.js";

/*
 * Defect 4 of the review: taking over a stale lock was not atomic (two writers that both
 * judged the same lock stale could both end up holding the mailbox: the slower one removed
 * the faster one's fresh lock and created its own), and release() removed whatever lock
 * file was there. Two file-layer objects stand in for two processes (the in-process
 * registry is per file layer); a gate stops one of them at the worst moment.
 */

let dir: string;
let cleanup: () => Promise<void>;
/** The sources as JavaScript, for the child processes that play the other writers. */
let entry: string;
beforeAll(async () => {
  entry = await transpiledSources(".lock-build");
});
beforeEach(async () => ({ dir, cleanup } = await tempFolder()));
afterEach(() => cleanup());

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.on("exit", r));
  return child.pid!;
}

/** nodeFs whose first read of the lock file waits, after reading it, until `release` is called. */
function gatedFs(): { fs: IndexFs; reached: Promise<void>; release: () => void } {
  let release!: () => void;
  let reachedResolve!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (reachedResolve = r));
  let first = true;
  const fs: IndexFs = {
    ...nodeFs,
    async readFile(path) {
      const data = await nodeFs.readFile(path);
      if (first && path.endsWith("/lock")) {
        first = false;
        reachedResolve();
        await gate;
      }
      return data;
    },
  };
  return { fs, reached, release };
}

describe("stale-lock takeover", () => {
  it("two writers that both find the same stale lock: exactly one gets the mailbox", async () => {
    const first = await MailboxIndex.open(dir, { create: true });
    await first.close();
    await writeFile(join(dir, "lock"), JSON.stringify({ pid: await deadPid(), start: "1" }));
    const slow = gatedFs();
    const slowOpen = MailboxIndex.open(dir, { fs: slow.fs }).then(
      (index) => index,
      (e: unknown) => e,
    );
    await slow.reached; // the slow writer has read the stale lock and judged it...
    // ...and another process takes the mailbox over meanwhile, and keeps it.
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { MailboxIndex } = await import(${JSON.stringify(entry)});
         const index = await MailboxIndex.open(${JSON.stringify(dir)});
         console.log(index.recovery.actions.join("; "));
         setTimeout(() => {}, 60000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
      const childLock = await readFile(join(dir, "lock"), "utf8");
      expect(JSON.parse(childLock).pid).toBe(child.pid);
      slow.release();
      const outcome = await slowOpen;
      expect(outcome).toBeInstanceOf(IndexLockedError);
      expect((outcome as IndexLockedError).holderPid).toBe(child.pid);
      // The other writer's lock is untouched.
      expect(await readFile(join(dir, "lock"), "utf8")).toBe(childLock);
    } finally {
      child.kill("SIGKILL");
    }
  }, 20_000);

  it("a takeover removes the private lock files of dead processes, not of live ones", async () => {
    const first = await MailboxIndex.open(dir, { create: true });
    await first.close();
    const dead = await deadPid();
    await writeFile(join(dir, "lock"), JSON.stringify({ pid: dead, start: "1", nonce: "00000000000000aa" }));
    await writeFile(
      join(dir, "lock.00000000000000bb"),
      JSON.stringify({ pid: dead, start: "1", nonce: "00000000000000bb" }),
    );
    const live = JSON.stringify({ pid: 1, start: processStartTime(1), nonce: "00000000000000cc" });
    await writeFile(join(dir, "lock.00000000000000cc"), live);
    const index = await MailboxIndex.open(dir);
    expect(index.recovery.actions.join(" ")).toContain("did not close cleanly");
    await index.close();
    const names = await readdir(dir);
    expect(names).not.toContain("lock.00000000000000bb");
    expect(names).toContain("lock.00000000000000cc");
  });

  it("release() never removes a lock that is not its own", async () => {
    const lock = await MailboxLock.acquire({ ...nodeFs }, dir);
    const other = JSON.stringify({ pid: process.pid, start: "x", nonce: "someone-else" });
    await writeFile(join(dir, "lock"), other);
    await lock.release();
    expect(await readFile(join(dir, "lock"), "utf8")).toBe(other);
  });

  it("many processes racing for one stale lock: exactly one writer", async () => {
    const first = await MailboxIndex.open(dir, { create: true });
    await first.close();
    await writeFile(join(dir, "lock"), JSON.stringify({ pid: await deadPid(), start: "1" }));
    const script = `
      const { MailboxIndex } = await import(${JSON.stringify(entry)});
      await new Promise((r) => setTimeout(r, 300 - (Date.now() % 300)));
      try {
        const index = await MailboxIndex.open(${JSON.stringify(dir)});
        console.log("got");
        await new Promise((r) => setTimeout(r, 700));
        await index.close();
      } catch (error) {
        console.log(error.name);
      }`;
    const children = Array.from({ length: 5 }, () =>
      spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      }),
    );
    const outputs = await Promise.all(
      children.map(
        (c) =>
          new Promise<string>((resolve) => {
            let out = "";
            c.stdout!.on("data", (d) => (out += d));
            c.on("exit", () => resolve(out.trim()));
          }),
      ),
    );
    expect(outputs.filter((o) => o === "got")).toHaveLength(1);
    expect(outputs.filter((o) => o === "IndexLockedError")).toHaveLength(4);
  }, 30_000);
});
