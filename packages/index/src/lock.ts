import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IndexLockedError } from "./errors.js";
import { FileName } from "./format.js";
import { errorCode, type IndexFs } from "./fs.js";

/*
 * One writer per mailbox. Inside a process: a registry of folders open for writing (per
 * file layer). Across processes: a lock file holding the owner's pid, the owner's start
 * time and a random nonce. A lock is stale when that process no longer exists, or a
 * process with that pid exists but started at another time (the pid was reused), or the
 * pid is this process's own but no lock of this process (on the same file layer) has that
 * nonce (left by an earlier instance that crashed inside this process, as the power-cut
 * tests do).
 *
 * Invariants:
 * - The lock file appears whole: it is written under a private name and hard-linked to
 *   `lock` (link fails when `lock` exists), so no reader ever sees it empty or half written.
 * - A stale lock is removed only by the holder of the takeover guard (`lock.takeover`,
 *   created O_EXCL), and only after re-reading `lock` under the guard and finding the very
 *   bytes it judged stale. Nobody else removes a lock (creating one needs `lock` absent),
 *   so two processes can never both remove a lock and both link their own: the second
 *   re-reads, finds the first one's live lock, and gets IndexLockedError.
 * - `release` removes `lock` only when it still holds this lock's own bytes.
 * A guard left by a process that died while holding it (a few system calls long) is
 * itself judged by pid and start time and removed.
 */

const registry = new WeakMap<IndexFs, Set<string>>();
/** Nonces of the locks this process holds now, per file layer (a test's fault-injecting layer is a machine of its own). */
const nonceRegistry = new WeakMap<IndexFs, Set<string>>();

function noncesOf(fs: IndexFs): Set<string> {
  let set = nonceRegistry.get(fs);
  if (!set) {
    set = new Set();
    nonceRegistry.set(fs, set);
  }
  return set;
}

const TAKEOVER = `${FileName.lock}.takeover`;

interface LockContent {
  pid: number;
  start: string | undefined;
  nonce: string | undefined;
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
    return {
      pid: value.pid,
      start: typeof value.start === "string" ? value.start : undefined,
      nonce: typeof value.nonce === "string" ? value.nonce : undefined,
    };
  } catch {
    return undefined;
  }
}

/** The holder of a lock (or guard) when it is alive; undefined when the file is stale. */
function liveHolder(owner: LockContent | undefined, ownFolderHeld: boolean, nonces: Set<string>): number | undefined {
  if (!owner) return undefined; // unreadable: never written whole by this code, a leftover
  if (owner.pid === process.pid) {
    if (owner.nonce !== undefined) return nonces.has(owner.nonce) ? owner.pid : undefined;
    return ownFolderHeld ? owner.pid : undefined;
  }
  if (!processAlive(owner.pid)) return undefined;
  const start = processStartTime(owner.pid);
  if (owner.start === undefined || start === undefined || start === owner.start) return owner.pid;
  return undefined;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Write `content` under a private name (O_EXCL) and return that name. */
async function writePrivate(fs: IndexFs, path: string, content: Uint8Array): Promise<void> {
  const file = await fs.open(path, "create");
  try {
    await file.write(content, 0);
  } finally {
    await file.close();
  }
}

export class MailboxLock {
  private released = false;

  private constructor(
    private readonly fs: IndexFs,
    readonly folder: string,
    private readonly content: Uint8Array,
    private readonly nonce: string,
    /** A stale lock was taken over: the previous writer did not close cleanly. */
    readonly tookOver: boolean,
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
    const nonce = randomBytes(8).toString("hex");
    const content = new TextEncoder().encode(
      JSON.stringify({ pid: process.pid, start: processStartTime(process.pid), nonce }),
    );
    const mine = join(folder, `${FileName.lock}.${nonce}`);
    noncesOf(fs).add(nonce); // from here on, our private file is never taken for a leftover
    try {
      await writePrivate(fs, mine, content);
    } finally {
      noncesOf(fs).delete(nonce);
    }
    let tookOver = false;
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        // Registered before the link, so that another writer of this process never sees
        // this lock as a crashed one's.
        noncesOf(fs).add(nonce);
        try {
          await fs.link(mine, path);
          held.add(folder);
          return new MailboxLock(fs, folder, content, nonce, tookOver);
        } catch (error) {
          noncesOf(fs).delete(nonce);
          if (errorCode(error) !== "EEXIST") throw error;
        }
        const seen = await fs.readFile(path);
        if (seen === undefined) continue; // removed meanwhile: try again
        const owner = parse(seen);
        const holder = liveHolder(owner, held.has(folder), noncesOf(fs));
        if (holder !== undefined)
          throw new IndexLockedError(folder, holder, `held by process ${holder} (lock file ${path})`);
        if (await MailboxLock.removeStale(fs, folder, path, seen)) tookOver = true;
      }
      throw new IndexLockedError(folder, undefined, "the lock file keeps changing");
    } finally {
      await fs.unlink(mine);
    }
  }

  /**
   * Remove `path` if it still holds exactly `seen`, under the takeover guard. False when
   * another process is taking over (or took over) meanwhile.
   */
  private static async removeStale(fs: IndexFs, folder: string, path: string, seen: Uint8Array): Promise<boolean> {
    const guard = join(folder, TAKEOVER);
    const nonce = randomBytes(8).toString("hex");
    const guardContent = new TextEncoder().encode(
      JSON.stringify({ pid: process.pid, start: processStartTime(process.pid), nonce }),
    );
    noncesOf(fs).add(nonce);
    try {
      await writePrivate(fs, guard, guardContent);
    } catch (error) {
      noncesOf(fs).delete(nonce);
      if (errorCode(error) !== "EEXIST") throw error;
      // A guard is held for a few system calls: one whose owner is dead (or that is still
      // unreadable after a moment: a crash between creating and writing it) is stale.
      const other = await fs.readFile(guard);
      if (other === undefined) return false;
      const owner = parse(other);
      if (owner !== undefined && liveHolder(owner, false, noncesOf(fs)) !== undefined) {
        await pause(10);
        return false;
      }
      if (owner === undefined) await pause(20);
      if (sameBytes(await fs.readFile(guard), other)) await fs.unlink(guard);
      return false;
    }
    try {
      if (!sameBytes(await fs.readFile(path), seen)) return false;
      await fs.unlink(path);
      return true;
    } finally {
      await fs.unlink(guard);
      noncesOf(fs).delete(nonce);
    }
  }

  /**
   * Remove private lock files (`lock.<nonce>`) that a process left when it died between
   * writing one and linking it. Only files whose owner is gone: a live owner may be about
   * to link its file.
   */
  async removeLeftovers(): Promise<void> {
    const names = (await this.fs.readdir(this.folder)) ?? [];
    for (const name of names) {
      if (!/^lock\.[0-9a-f]{16}$/.test(name)) continue;
      const path = join(this.folder, name);
      const data = await this.fs.readFile(path);
      const owner = parse(data);
      if (owner && liveHolder(owner, false, noncesOf(this.fs)) !== undefined) continue;
      if (!owner) continue; // unreadable: maybe being written right now; left alone
      await this.fs.unlink(path);
    }
  }

  /** Remove the lock file if it is still this lock's own (never another writer's). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    registry.get(this.fs)?.delete(this.folder);
    noncesOf(this.fs).delete(this.nonce);
    const path = join(this.folder, FileName.lock);
    if (sameBytes(await this.fs.readFile(path), this.content)) await this.fs.unlink(path);
  }

  /** Forget the in-process registration without touching the file (after a fatal I/O error). */
  abandon(): void {
    this.released = true;
    registry.get(this.fs)?.delete(this.folder);
    noncesOf(this.fs).delete(this.nonce);
  }
}
