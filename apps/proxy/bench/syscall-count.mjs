// System calls a relay makes for some work, counted with `strace -c -f -p <pid>` (every thread
// of the process) around it. strace slows the traced process down many times over, so this
// is only for counts (calls per IMAP command, per MB), never inside a timed measurement.
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether strace can be run here. */
export function haveStrace() {
  try {
    return execFileSync("sh", ["-c", "command -v strace"], { encoding: "utf8" }).trim() !== "";
  } catch {
    return false;
  }
}

/**
 * Run `work()` with `pid` (a pid or an array of pids) traced; resolves `{ result, total, calls }`: the work's result, the
 * number of system calls the process made meanwhile and calls per syscall name (most first).
 * `{ result, total: null }` when strace could not attach.
 */
export async function syscallsDuring(pid, work) {
  const dir = await mkdtemp(join(tmpdir(), "holdfast-bench-strace-"));
  const out = join(dir, "strace.txt");
  // One process, or several (Dovecot's imap processes): counts are summed over all of them.
  const targets = (Array.isArray(pid) ? pid : [pid]).flatMap((p) => ["-p", String(p)]);
  const tracer = spawn("strace", ["-c", "-f", "-o", out, ...targets], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  tracer.stderr.on("data", (d) => {
    err += d;
  });
  const exited = new Promise((resolve) => tracer.once("exit", resolve));
  // strace says "Process <pid> attached" on stderr once it traces the process
  for (let i = 0; i < 100 && !/attached/.test(err) && tracer.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 20));
  try {
    const result = await work();
    tracer.kill("SIGINT");
    await exited;
    const text = await readFile(out, "utf8").catch(() => "");
    const calls = new Map();
    let total = null;
    for (const line of text.split("\n")) {
      // % time  seconds  usecs/call  calls  [errors]  syscall
      const fields = line.trim().split(/\s+/);
      if (fields.length < 5 || !/^[\d.]+$/.test(fields[0])) continue;
      const name = fields[fields.length - 1];
      const count = Number(fields[3]);
      if (name === "total") total = count;
      else calls.set(name, count);
    }
    return { result, total, calls: [...calls].sort((a, b) => b[1] - a[1]) };
  } finally {
    tracer.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}
