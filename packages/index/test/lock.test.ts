import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IndexLockedError, MailboxIndex, processStartTime } from "../src/index.js";
import { message, tempFolder } from "./helpers/mailbox.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempFolder()));
afterEach(() => cleanup());

describe("one writer per mailbox", () => {
  it("refuses a second writer in the same process; readers are fine", async () => {
    const a = await MailboxIndex.open(dir, { create: true });
    await expect(MailboxIndex.open(dir)).rejects.toBeInstanceOf(IndexLockedError);
    const reader = await MailboxIndex.open(dir, { readOnly: true });
    await reader.close();
    await a.close();
    const b = await MailboxIndex.open(dir);
    await b.close();
  });

  it("refuses a writer while another live process holds the lock, naming it", async () => {
    const first = await MailboxIndex.open(dir, { create: true });
    await first.close();
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const pid = child.pid!;
      await writeFile(join(dir, "lock"), JSON.stringify({ pid, start: processStartTime(pid) }));
      const error = await MailboxIndex.open(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IndexLockedError);
      expect((error as IndexLockedError).holderPid).toBe(pid);
      expect((error as Error).message).toContain(`process ${pid}`);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("takes over a stale lock: dead process, reused pid, or a crashed writer of this process", async () => {
    const first = await MailboxIndex.open(dir, { create: true });
    await first.transaction().append(message(1)).commit();
    await first.close();
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    const deadPid = child.pid!;
    await new Promise((r) => child.on("exit", r));
    for (const content of [
      { pid: deadPid, start: "1" },
      { pid: process.pid, start: processStartTime(process.pid) },
      { pid: 1, start: "no-such-start-time" },
      "garbage",
    ]) {
      await writeFile(join(dir, "lock"), typeof content === "string" ? content : JSON.stringify(content));
      const index = await MailboxIndex.open(dir);
      expect(index.status().messages).toBe(1);
      await index.close();
    }
  });
});
