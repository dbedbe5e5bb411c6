// HAProxy as a reference relay for the remote scenario: a TCP-mode proxy in front of the same
// Dovecot, moving bytes with splice(2) (kernel pipe, no copy to user space where it can), one
// thread, no logging. What the best plain relay reaches on this machine, measured in the same
// run as holdfast passthrough: the issue's targets say what fraction of direct a relay should
// keep, this says what fraction one can keep here.
// Knob: HOLDFAST_BENCH_HAPROXY_SPLICE = always (default: `option splice-request` + `option
// splice-response`, every transfer through a kernel pipe) | auto (`option splice-auto`:
// HAProxy splices only when it expects it to pay; in this bench strace showed it never did,
// 16 KiB recvfrom/sendto for 5 MB bodies too) | off (no splice option).
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LoadClient } from "./imap-load-client.mjs";

export const HAPROXY_SPLICE = process.env.HOLDFAST_BENCH_HAPROXY_SPLICE ?? "always";

const SPLICE_OPTIONS = {
  auto: ["  option splice-auto"],
  always: ["  option splice-request", "  option splice-response"],
  off: [],
};

/** The haproxy binary on PATH, or undefined. */
export function findHaproxy() {
  try {
    return execFileSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Start HAProxy relaying 127.0.0.1:<free port> to 127.0.0.1:`backendPort`, able to hold
 * `maxconn` connections. Resolves `{ port, pid, splice, stop }` once a client gets the
 * backend's greeting through it, or `{ unavailable }` with the reason.
 */
export async function startHaproxy(backendPort, maxconn, freePort) {
  const binary = findHaproxy();
  if (!binary) return { unavailable: "haproxy is not installed (Debian package haproxy)" };
  const options = SPLICE_OPTIONS[HAPROXY_SPLICE];
  if (!options) return { unavailable: `HOLDFAST_BENCH_HAPROXY_SPLICE=${HAPROXY_SPLICE}: use auto, always or off` };
  const dir = await mkdtemp(join(tmpdir(), "holdfast-bench-haproxy-"));
  const port = await freePort();
  const config = join(dir, "haproxy.cfg");
  await writeFile(
    config,
    [
      "global",
      "  nbthread 1",
      `  maxconn ${maxconn}`,
      "defaults",
      "  mode tcp",
      ...options,
      "  timeout connect 5s",
      "  timeout client 1h",
      "  timeout server 1h",
      "frontend imap",
      `  bind 127.0.0.1:${port}`,
      `  maxconn ${maxconn}`,
      "  default_backend dovecot",
      "backend dovecot",
      `  server dovecot 127.0.0.1:${backendPort} maxconn ${maxconn}`,
      "",
    ].join("\n"),
  );
  // -db: foreground, one process (its pid is the relay's); no `log` lines: nothing logged
  const child = spawn(binary, ["-db", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const collect = (d) => {
    out += d;
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  let exitCode = null;
  const exited = new Promise((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const cleanup = () => rm(dir, { recursive: true, force: true });
  let ready = false;
  for (let i = 0; i < 100 && exitCode === null && !ready; i++) {
    try {
      const c = await LoadClient.open(port);
      c.close();
      ready = true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!ready) {
    child.kill("SIGKILL");
    await cleanup();
    return { unavailable: `haproxy did not start: ${out.trim() || `exit ${exitCode}`}` };
  }
  child.stdout.removeAllListeners("data");
  child.stderr.removeAllListeners("data");
  child.stderr.on("data", (d) => process.stderr.write(`[haproxy] ${d}`));
  return {
    port,
    pid: child.pid,
    splice: HAPROXY_SPLICE,
    stop: async () => {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      child.kill("SIGKILL");
      await cleanup();
    },
  };
}
