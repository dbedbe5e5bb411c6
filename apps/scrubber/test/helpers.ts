/** A populated store for the scrubber tests, and a runner for the built binary. */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MailboxIndex } from "@holdfast/index";
import { Store } from "@holdfast/store";

export const BIN = join(import.meta.dirname, "..", "dist", "main.js");
export const USER = "alice@example.org";
export const MAILBOXES = ["INBOX", "Sent", "Drafts", "Archive"] as const;

function message(i: number, size = 2000): string {
  const body = `line ${i} ${"x".repeat(60)}\r\n`.repeat(Math.ceil(size / 70));
  return `From: a${i}@example.org\r\nTo: b@example.org\r\nSubject: message ${i}\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m${i}@example.org>\r\n\r\n${body}`;
}

/**
 * Data folder with one user, messages in four mailboxes, each index with a backup (an index
 * checkpoint) and log records after it, and structure cache entries.
 */
export async function populatedStore(perMailbox = 6): Promise<{ root: string; dataDir: string; home: string }> {
  const root = mkdtempSync(join(tmpdir(), "holdfast-scrub-"));
  const dataDir = join(root, "data");
  let store = await Store.open(dataDir, { fsync: false });
  await store.users.add(USER, "pw");
  let mail = await store.mailboxes(USER);
  let n = 0;
  for (const box of MAILBOXES)
    for (let i = 0; i < perMailbox; i++) await mail.append(box, message(n++), { flags: ["\\Seen"] });
  await store.close();
  const home = join(dataDir, "users", USER);
  store = await Store.open(dataDir, { fsync: false });
  mail = await store.mailboxes(USER);
  for (const box of MAILBOXES) {
    await mail.append(box, message(n++), { flags: ["$Important"] });
    await mail.storeFlags(box, "1:2", "add", ["\\Flagged", "$Work"]);
    const session = await mail.select(box, { readOnly: true });
    for (const uid of session.uids()) await session.structure(uid);
    session.close();
  }
  await store.close();
  // (The store checkpoints on close.) One more change and a checkpoint now: the snapshot covers the latest changes, the backup is the state
  // before them and the log holds the transactions between the two (each copy redundant).
  for (const id of await readdir(join(home, "mailboxes"))) {
    const index = await MailboxIndex.open(join(home, "mailboxes", id), { fsync: "never" });
    await index.transaction().store([1], "add", ["$Scrubbed"]).commit();
    await index.checkpoint();
    await index.close();
  }
  return { root, dataDir, home };
}

/** Flip one byte of a file (xor 0x55) at `offset` (negative: from the end). */
export function corruptByte(path: string, offset: number): void {
  const data = readFileSync(path);
  const at = offset < 0 ? data.length + offset : offset;
  data[at] = data[at]! ^ 0x55;
  writeFileSync(path, data);
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runScrubber(args: string[], options: { timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The first (or last) file, in name order, of a folder sharded into two-hex-digit subfolders (blobs/, cache/). */
export function shardedFile(dir: string, last = false): string {
  const subs = readdirSync(dir)
    .filter((x) => /^[0-9a-f]{2}$/.test(x))
    .sort();
  const aa = last ? subs[subs.length - 1]! : subs[0]!;
  const names = readdirSync(join(dir, aa)).sort();
  return join(dir, aa, last ? names[names.length - 1]! : names[0]!);
}
