import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DovecotServer } from "@holdfast/testkit";
import type { LinkState } from "../../src/remote/link.js";
import type { RemoteBackend } from "../../src/remote/remote-backend.js";

/*
 * What a failover test prints when it fails or stalls, so that a CI failure explains itself
 * (issue #8: the soak test once left every client unanswered for 120 s, and the report said
 * only "socket timeout"): who is silent — the proxy (each session's Link: connected, busy,
 * recovering, in which step and for how long) or a Dovecot instance (its processes and their
 * kernel state, the locks left in the shared mail folder, the end of its log).
 */

/** Each proxy session of `user`: what its backend side is doing. */
export function linkStates(backend: RemoteBackend, user: string): LinkState[] {
  // RemoteSession keeps its Link private; the test reaches in on purpose (read only).
  return backend.sessionsOf(user).map((s) => (s as unknown as { link: { describe(): LinkState } }).link.describe());
}

function procLine(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    let wchan = "";
    try {
      wchan = readFileSync(`/proc/${pid}/wchan`, "latin1").trim();
    } catch {
      // not readable here
    }
    return `${pid} ${comm} ${state}${wchan && wchan !== "0" ? ` (${wchan})` : ""}`;
  } catch {
    return `${pid} gone`;
  }
}

/** Lock files under the shared mail folder: path, age, content (a dotlock holds "pid:host"). */
export function locksUnder(root: string, now = Date.now()): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (name.endsWith(".lock")) {
        try {
          const st = statSync(path);
          const content = readFileSync(path, "latin1").slice(0, 80);
          const pid = Number(content.split(":")[0]);
          const owner = pid > 0 ? procLine(pid) : "no pid in the file";
          out.push(
            `${path.slice(root.length)} age ${((now - st.mtimeMs) / 1000).toFixed(1)} s, ${JSON.stringify(content)}: ${owner}`,
          );
        } catch {
          // removed meanwhile
        }
      } else if (depth < 3 && !["cur", "new", "tmp"].includes(name)) {
        try {
          if (statSync(path).isDirectory()) walk(path, depth + 1);
        } catch {
          // removed meanwhile
        }
      }
    }
  };
  walk(root, 0);
  return out;
}

/** One instance: running or not, its processes with their state, the end of its log. */
export function dovecotState(server: DovecotServer, logLines = 25): string {
  const procs = server.processes().map(procLine);
  const log = server.log().trimEnd().split("\n").slice(-logLines);
  return [
    `dovecot ${server.port}: ${server.running ? `running (master ${server.pid})` : "not running"}`,
    `  processes: ${procs.length > 0 ? procs.join("; ") : "none"}`,
    "  log (last lines):",
    ...log.map((l) => `    ${l}`),
  ].join("\n");
}

/** The whole picture, as one printable text. */
export function failoverReport(options: {
  title: string;
  backend: RemoteBackend;
  user: string;
  servers: DovecotServer[];
  mailRoot: string;
  clients?: Array<{ index: number; current: string; closed: boolean }>;
}): string {
  const lines = [`=== ${options.title} ===`, "proxy sessions (backend side):"];
  for (const [i, s] of linkStates(options.backend, options.user).entries()) {
    lines.push(
      `  session ${i}: host ${s.host} ${s.connected ? "connected" : "NOT connected"}, ${s.busy ? `busy (${s.activity} for ${s.activityMs} ms)` : "free"}, ` +
        `${s.holders} holder(s), ${s.waiting} waiting, ${s.inIdle ? "in IDLE, " : ""}${s.recovering ? "RECOVERING, " : ""}` +
        `${s.reconnects} reconnects${s.dead ? `, dead: ${s.dead}` : ""}${s.closing ? ", closing" : ""}` +
        `${s.lastProblem ? `; last problem: ${s.lastProblem}` : ""}`,
    );
  }
  if (options.clients) {
    lines.push("clients:");
    for (const c of options.clients) lines.push(`  client ${c.index}: ${c.closed ? "CLOSED, " : ""}in ${c.current}`);
  }
  const locks = locksUnder(options.mailRoot);
  lines.push(`locks in the shared mail folder: ${locks.length === 0 ? "none" : ""}`, ...locks.map((l) => `  ${l}`));
  for (const server of options.servers) lines.push(dovecotState(server));
  return lines.join("\n");
}
