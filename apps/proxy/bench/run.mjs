// Load benchmark of holdfast-proxy (`npm run bench -w holdfast-proxy`): N concurrent
// sessions doing FETCH/STORE/APPEND against the built daemon on the local store (fsync
// on), beside Dovecot (Debian's dovecot-imapd, started with @holdfast/testkit) under the
// same load in the same run; then 10,000 sessions in IDLE against holdfast.
// Prints ops/s, p50/p99 latency and server RSS. Knobs: HOLDFAST_BENCH_SECONDS (10),
// HOLDFAST_BENCH_SESSIONS (50), HOLDFAST_BENCH_IDLE (10000).
// HOLDFAST_BENCH_SCENARIOS (local,remote) picks the scenarios: `local` is the above, `remote`
// is Dovecot direct vs HAProxy (reference relay) vs holdfast passthrough vs holdfast stateful
// (remote-scenario.mjs).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Store } from "@holdfast/store";
import { LoadClient } from "./imap-load-client.mjs";
import { runRemote } from "./remote-scenario.mjs";

const SECONDS = Number(process.env.HOLDFAST_BENCH_SECONDS ?? 10);
const SESSIONS = Number(process.env.HOLDFAST_BENCH_SESSIONS ?? 50);
const IDLE = Number(process.env.HOLDFAST_BENCH_IDLE ?? 10_000);
const MESSAGES = 200;
const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

function message(i, size = 4096) {
  const head = `From: load@example.org\r\nTo: bench@example.org\r\nSubject: message ${i}\r\nMessage-ID: <m${i}.${Date.now()}@example.org>\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghij\r\n";
  let body = "";
  while (head.length + body.length < size) body += line;
  return Buffer.from(head + body.slice(0, size - head.length));
}

async function rss(pid) {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

async function startHoldfast(dir) {
  const data = join(dir, "data");
  // A cheap scrypt cost for the benchmark user only (parameters are stored per hash), so
  // 10,000 LOGINs measure the server, not the password hash.
  const store = await Store.open(data, { scrypt: { N: 1024, r: 8, p: 1, keyLength: 32 } });
  await store.users.add("bench", "benchpw");
  const mail = await store.mailboxes("bench");
  for (let i = 1; i <= MESSAGES; i++) await mail.append("INBOX", message(i));
  await store.close();
  const config = join(dir, "holdfast.toml");
  await writeFile(
    config,
    `data_dir = "${data}"\ndemo_user = false\n[[listen]]\nhost = "127.0.0.1"\nport = 0\n[tls]\ncert = "${dir}/cert.pem"\nkey = "${dir}/key.pem"\n[limits]\nmax_connections = 20000\nmax_connections_per_address = 20000\n[metrics]\nenabled = false\n[log]\nlevel = "warn"\n`,
  );
  const child = spawn(process.execPath, [MAIN, "--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
  });
  for (let i = 0; i < 400 && !/listening on/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(err)?.[1]);
  if (!port) throw new Error(`holdfast did not start:\n${err}`);
  return {
    name: "holdfast-proxy (local store)",
    port,
    pids: () => [child.pid],
    stop: async () => child.kill("SIGTERM"),
  };
}

async function startDovecot() {
  let testkit;
  try {
    testkit = await import("@holdfast/testkit");
  } catch {
    return null;
  }
  if (!testkit.findDovecot()) return null;
  const server = await testkit.startDovecot({
    users: [{ name: "bench", password: "benchpw" }],
    // The default of 10 connections per user and address would refuse the load itself.
    extraConfig: "protocol imap {\n  mail_max_userip_connections = 10000\n}",
  });
  const c = await LoadClient.open(server.port);
  await c.command("LOGIN bench benchpw");
  for (let i = 1; i <= MESSAGES; i++) await c.command("APPEND INBOX", message(i));
  c.close();
  return {
    name: "Dovecot (dovecot-imapd)",
    port: server.port,
    pids: () => processTree(server.dir),
    stop: () => server.stop(),
  };
}

/** Dovecot's master (started with a config file in `dir`) and all its descendants. */
async function processTree(dir) {
  const { readdir } = await import("node:fs/promises");
  const parents = new Map();
  let master;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      const cmd = await readFile(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes(dir) && /dovecot/.test(cmd)) master ??= Number(entry);
    } catch {}
  }
  if (master === undefined) return [];
  const tree = [master];
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!tree.includes(pid) && tree.includes(ppid)) {
        tree.push(pid);
        grew = true;
      }
    }
  }
  return tree;
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

async function load(target) {
  const latencies = [];
  const deadline = performance.now() + SECONDS * 1000;
  const clients = await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      const c = await LoadClient.open(target.port);
      await c.command("LOGIN bench benchpw");
      await c.command("SELECT INBOX");
      return c;
    }),
  );
  let appended = 0;
  await Promise.all(
    clients.map(async (c, n) => {
      let seed = n + 1;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed / 0x7fffffff;
      };
      while (performance.now() < deadline) {
        const r = rand();
        const uid = 1 + Math.floor(rand() * MESSAGES);
        const t = performance.now();
        if (r < 0.5) await c.command(`UID FETCH ${uid} (FLAGS BODY.PEEK[])`);
        else if (r < 0.8) await c.command(`UID STORE ${uid} ${rand() < 0.5 ? "+" : "-"}FLAGS.SILENT (\\Flagged)`);
        else {
          await c.command("APPEND INBOX", message(100_000 + appended++));
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  // Measured with the sessions still open: Dovecot's per-connection processes exit with them.
  let mem = 0;
  for (const pid of await target.pids()) mem += (await rss(pid).catch(() => ({ rssMb: 0 }))).rssMb;
  for (const c of clients) c.close();
  latencies.sort((a, b) => a - b);
  return {
    server: target.name,
    sessions: SESSIONS,
    "ops/s": Math.round(latencies.length / SECONDS),
    "p50 ms": percentile(latencies, 50).toFixed(2),
    "p99 ms": percentile(latencies, 99).toFixed(2),
    "server RSS MB": mem.toFixed(0),
  };
}

/** Open file descriptors of a process (its sockets among them). */
async function openFds(pid) {
  const { readdir } = await import("node:fs/promises");
  return (await readdir(`/proc/${pid}/fd`)).length;
}

async function idle(target, count) {
  const pid = (await target.pids())[0];
  const before = (await rss(pid)).rssMb;
  const fdsBefore = await openFds(pid);
  const clients = [];
  for (let i = 0; i < count; i += 250) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(250, count - i) }, async () => {
        const c = await LoadClient.open(target.port);
        await c.command("LOGIN bench benchpw");
        await c.command("SELECT INBOX");
        await c.idle();
        return c;
      }),
    );
    clients.push(...batch);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = await rss(pid);
  for (const c of clients) c.close();
  // Let the server finish tearing the sessions down before the load phase starts, so the
  // load measures steady state (Dovecot's load phase follows no such teardown); the time it
  // took is reported.
  const closing = performance.now();
  while ((await openFds(pid)) > fdsBefore + 10 && performance.now() - closing < 60_000)
    await new Promise((r) => setTimeout(r, 100));
  const probe = await LoadClient.open(target.port);
  await probe.command("NOOP");
  probe.close();
  return {
    server: target.name,
    "idle sessions": count,
    "RSS before MB": before.toFixed(0),
    "RSS in IDLE MB": after.rssMb.toFixed(0),
    "all closed after s": ((performance.now() - closing) / 1000).toFixed(1),
  };
}

const SCENARIOS = new Set((process.env.HOLDFAST_BENCH_SCENARIOS ?? "local,remote").split(",").map((s) => s.trim()));
for (const s of SCENARIOS)
  if (s !== "local" && s !== "remote") throw new Error(`unknown scenario ${s} (local, remote)`);

async function runLocal() {
  const dir = await mkdtemp(join(tmpdir(), "holdfast-proxy-bench-"));
  const results = [];
  const targets = [];
  try {
    const holdfast = await startHoldfast(dir);
    targets.push(holdfast);
    const dovecot = await startDovecot();
    if (dovecot) targets.push(dovecot);
    // Idle first, while INBOX holds exactly MESSAGES messages: a selected session keeps about
    // 25 bytes per message of its mailbox (its sequence map and the store's view), so the
    // figure depends on mailbox size and is reported with it.
    const idleResult = await idle(holdfast, IDLE);
    for (const t of targets) results.push(await load(t));
    console.log(
      `\nholdfast-proxy — ${SESSIONS} concurrent sessions, ${SECONDS} s, 50% UID FETCH BODY.PEEK[] / 30% UID STORE / 20% APPEND 4 KB, fsync on\n`,
    );
    console.table(results);
    if (!dovecot) console.log("Dovecot not measured: dovecot-imapd is not installed.");
    console.log(`\n${IDLE.toLocaleString()} sessions logged in, INBOX (${MESSAGES} messages) selected, in IDLE\n`);
    console.table([idleResult]);
    console.log("A selected session also keeps about 25 bytes per message of its mailbox (sequence map + store view).");
    const targetsTable = [
      {
        target: `${IDLE.toLocaleString()} idle sessions (${MESSAGES}-message INBOX) under 300 MB RSS`,
        measured: `${idleResult["RSS in IDLE MB"]} MB`,
        pass: Number(idleResult["RSS in IDLE MB"]) < 300,
      },
    ];
    if (dovecot) {
      const ratio = results[0]["ops/s"] / results[1]["ops/s"];
      targetsTable.unshift({
        target: "throughput at least Dovecot's",
        measured: `${(100 * ratio).toFixed(0)}%`,
        pass: ratio >= 1,
      });
    }
    console.log("\nTargets\n");
    console.table(targetsTable.map((t) => ({ ...t, pass: t.pass ? "PASS" : "FAIL" })));
  } finally {
    for (const t of targets) await t.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (SCENARIOS.has("local")) await runLocal();
if (SCENARIOS.has("remote")) await runRemote();
