import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IndexLockedError } from "./errors.js";
import { FileName } from "./format.js";
import { errorCode, type IndexFs } from "./fs.js";

/*
 * One writer per mailbox. Inside a process: a registry of folders open for writing (per
 * file layer). Across processes: a lock file created with O_EXCL holding the owner's pid
 * and the owner's start time. A lock is stale when that process no longer exists, or a
 * process with that pid exists but started at another time (the pid was reused), or the
 * pid is this process's own but no writer here holds it (left by an earlier instance that
 * crashed inside this process, as the power-cut tests do).
 */

const registry = new WeakMap<IndexFs, Set<string>>();

interface LockContent {
  pid: number;
  start: string | undefined;
}

/** Start time of a process (clock ticks since boot, Linux), or undefined where unknown. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (comm) may contain spaces and parentheses: fields after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === "EPERM";
  }
}

function parse(data: Uint8Array | undefined): LockContent | undefined {
  if (!data) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as Partial<LockContent>;
    if (typeof value.pid !== "number" || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    return { pid: value.pid, start: typeof value.start === "string" ? value.start : undefined };
  } catch {
    return undefined;
  }
}

export class MailboxLock {
  private released = false;

  private constructor(
    private readonly fs: IndexFs,
    readonly folder: string,
  ) {}

  /** Take the lock of `folder` or throw IndexLockedError naming the holder. */
  static async acquire(fs: IndexFs, folder: string): Promise<MailboxLock> {
    let held = registry.get(fs);
    if (!held) {
      held = new Set();
      registry.set(fs, held);
    }
    if (held.has(folder)) throw new IndexLockedError(folder, process.pid, "already open for writing in this process");
    const path = join(folder, FileName.lock);
    const content = JSON.stringify({ pid: process.pid, start: processStartTime(process.pid) });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const file = await fs.open(path, "create");
        try {
          await file.write(new TextEncoder().encode(content), 0);
        } finally {
          await file.close();
        }
        held.add(folder);
        return new MailboxLock(fs, folder);
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
      }
      let owner = parse(await fs.readFile(path));
      if (!owner) {
        // Unreadable: a crash between creating and writing it, or another process right
        // between those two steps. Give the latter a moment before calling it stale.
        await new Promise((resolve) => setTimeout(resolve, 50));
        owner = parse(await fs.readFile(path));
      }
      if (owner && owner.pid !== process.pid && processAlive(owner.pid)) {
        const start = processStartTime(owner.pid);
        if (owner.start === undefined || start === undefined || start === owner.start) {
          throw new IndexLockedError(folder, owner.pid, `held by process ${owner.pid} (lock file ${path})`);
        }
      }
      // Stale: the owner is gone (or it is an unreadable leftover of a crash): remove it.
      await fs.unlink(path);
    }
    throw new IndexLockedError(folder, undefined, "the lock file keeps reappearing");
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    registry.get(this.fs)?.delete(this.folder);
    await this.fs.unlink(join(this.folder, FileName.lock));
  }

  /** Forget the in-process registration without touching the file (after a fatal I/O error). */
  abandon(): void {
    this.released = true;
    registry.get(this.fs)?.delete(this.folder);
  }
}
