/**
 * Finding and killing a process with everything it started, from /proc (Linux).
 *
 * Dovecot's master forks every other process of an instance (log, config, auth, anvil,
 * imap-login, imap): all of them are its children. A test that "crashes" a Dovecot must not
 * leave an imap process behind still serving a client, or the crash is not one. Killing only
 * the master is not enough: its children notice the master is gone only later, and once it
 * is dead they are re-parented and can no longer be found from its pid. So: freeze the master
 * (SIGSTOP: it cannot fork any more), collect its descendants, SIGKILL the whole set and the
 * process group, and wait until none of them is alive.
 */
import { readdirSync, readFileSync } from "node:fs";

interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, D, Z (zombie), T (stopped), ... */
  state: string;
}

/** `/proc/<pid>/stat`, or undefined when the process is gone. */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses, so split after
  // the last ')'.
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return { pid, state: fields[0] ?? "?", ppid: Number(fields[1]), pgid: Number(fields[2]) };
}

function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) out.push(stat);
  }
  return out;
}

/** A process that still runs (a zombie has ended: it holds no sockets and no locks). */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

/** `pid` and every live process below it, parents before children. */
export function processTree(pid: number): number[] {
  const procs = allProcesses();
  const children = new Map<number, number[]>();
  for (const p of procs) {
    if (p.state === "Z" || p.state === "X") continue;
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  if (!isAlive(pid)) return [];
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}

/** Live processes whose process group is `pgid`. */
export function processGroup(pgid: number): number[] {
  return allProcesses()
    .filter((p) => p.pgid === pgid && p.state !== "Z" && p.state !== "X")
    .map((p) => p.pid);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGKILL `root` and all its descendants (and its process group, when `root` leads one) and
 * resolve once none of them is alive. Rejects if something survives `timeoutMs`.
 */
export async function killTree(root: number, timeoutMs = 5000): Promise<void> {
  signal(root, "SIGSTOP");
  const victims = new Set<number>(processTree(root));
  for (const pid of processGroup(root)) victims.add(pid);
  // Freeze first so that no process forks or re-parents while the set is being killed.
  for (const pid of victims) signal(pid, "SIGSTOP");
  for (const pid of processTree(root)) victims.add(pid);
  signal(-root, "SIGKILL");
  for (const pid of victims) signal(pid, "SIGKILL");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = [...victims].filter(isAlive);
    if (alive.length === 0) return;
    if (Date.now() > deadline) throw new Error(`processes survived SIGKILL: ${alive.join(", ")}`);
    for (const pid of alive) signal(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 10));
  }
}
