import { readFileSync } from "node:fs";
import { type DovecotCluster, type DovecotServer, findDovecot, startDovecotCluster } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SoakClient } from "./helpers/failover-client.js";
import { failoverReport } from "./helpers/failover-diagnostics.js";
import { type BackendListing, Ledger, listBackend } from "./helpers/failover-ledger.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";
import { WireRecorder } from "./helpers/wire-recorder.js";

/*
 * The failover soak test (issue #8, "Done when"): holdfast in stateful mode in front of two
 * Dovecot instances on one shared mail folder (same UIDs, same UIDVALIDITY), several imapflow
 * clients doing a mixed workload on one mailbox, while the test SIGKILLs the Dovecot that
 * serves the sessions and restarts it, cycle after cycle. Checked:
 *
 * - no client connection drops (imapflow's 'close' never fires, no BYE);
 * - no acknowledged APPEND, STORE or UID EXPUNGE is lost (the ledger against the backend,
 *   read directly, after every cycle and at the end); an APPEND that was not acknowledged may
 *   have happened or not, but never twice;
 * - after each switch, every client's view (sequence numbers → UIDs, flags) equals the
 *   backend's, and equals what the client's own notifications told it;
 * - EXPUNGE/VANISHED only where the protocol allows them, EXISTS never going down (the wire
 *   recorder between each client and the proxy).
 *
 * 100 cycles by default (under two minutes on the shared 2-core machine); HOLDFAST_LONG=1 runs
 * 1,000 (HOLDFAST_SOAK_CYCLES sets any number).
 */

const CYCLES = Number(process.env.HOLDFAST_SOAK_CYCLES ?? (process.env.HOLDFAST_LONG ? 1000 : 100));
const CLIENTS = 8;
/**
 * HOLDFAST_SOAK_KILL=0 runs the same workload and checks without killing anything: a failure
 * that shows there too is not about failover (it tells notification bugs from failover bugs).
 */
const KILL = process.env.HOLDFAST_SOAK_KILL !== "0";
const USER = "soak";
const PASSWORD = "soak-pw";

/** A seeded generator (Park–Miller), so a failing run can be repeated with HOLDFAST_SOAK_SEED. */
function seeded(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}
const SEED = Number(process.env.HOLDFAST_SOAK_SEED ?? Date.now() % 100000);
const random = seeded(SEED);
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How many imap processes (one per logged-in session) an instance runs. */
function sessionsOn(server: DovecotServer): number {
  let n = 0;
  for (const pid of server.processes()) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "imap") n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

const available = findDovecot() !== undefined;
let cluster: DovecotCluster;
let proxy: RemoteProxy;
let recorder: WireRecorder;
const clients: SoakClient[] = [];
const backendWires: WireRecorder[] = [];
const problems: string[] = [];
function problem(text: string): void {
  problems.push(text);
}

/**
 * A cycle normally ends 1-4 s after its kill. One still running after this long is stalled:
 * the report (each proxy session's backend state, the Dovecot processes, the locks in the
 * shared mail folder, the end of both Dovecot logs) is printed at once, while it is still
 * stalled, and again every STALL_REPORT_MS, long before imapflow's own 120 s timeout.
 */
const STALL_REPORT_MS = Number(process.env.HOLDFAST_SOAK_STALL_REPORT_MS ?? 30_000);

function report(title: string): string {
  return failoverReport({
    title,
    backend: proxy.backend,
    user: USER,
    servers: cluster.servers,
    mailRoot: cluster.mailRoot,
    clients: clients.map((c, index) => ({ index, current: c.current, closed: c.closed })),
  });
}

function running(): DovecotServer {
  const up = cluster.servers.find((s) => s.running);
  if (!up) throw new Error("no Dovecot instance is running");
  return up;
}

/** Each client's view after NOOP, against the backend read directly. */
async function checkViews(ledger: Ledger, cycle: number, uidValidity: number | undefined): Promise<BackendListing> {
  // NOOP first: it is where a resynced session delivers what the client is owed.
  const noops = await Promise.allSettled(clients.map((c) => c.client.noop()));
  for (const [i, r] of noops.entries())
    if (r.status === "rejected") problem(`cycle ${cycle}: client ${i}: NOOP failed: ${(r.reason as Error).message}`);
  if (clients.some((c) => c.closed)) return { uidValidity: uidValidity ?? 0, messages: [] };
  const listing = await listBackend(running().port, USER, PASSWORD);
  for (const p of ledger.check(listing, uidValidity)) problem(`cycle ${cycle}: ${p}`);
  const expected = listing.messages.map(
    (m) =>
      `${m.uid} ${m.flags
        .filter((f) => f !== "\\Recent")
        .sort()
        .join(" ")}`,
  );
  for (const [i, c] of clients.entries()) {
    const view = (await c.sync()).map((m) => `${m.uid} ${m.flags.join(" ")}`);
    if (view.join("\n") !== expected.join("\n")) {
      const uids = (list: string[]) => list.map((l) => l.split(" ")[0]);
      const missing = uids(expected).filter((u) => !uids(view).includes(u));
      const extra = uids(view).filter((u) => !uids(expected).includes(u));
      const first = view.findIndex((v, k) => v !== expected[k]);
      const unseen = new Set(missing);
      const onlyUnannounced =
        extra.length === 0 && view.join("\n") === expected.filter((e) => !unseen.has(e.split(" ")[0]!)).join("\n");
      problem(
        `cycle ${cycle}: client ${i} sees ${view.length} messages, the backend has ${expected.length}` +
          (missing.length ? `; UIDs it does not see: ${missing.join(",")}` : "") +
          (extra.length ? `; UIDs the backend does not have: ${extra.join(",")}` : "") +
          (first >= 0
            ? `; first difference at sequence ${first + 1}: client "${view[first]}", backend "${expected[first]}"`
            : "") +
          (onlyUnannounced ? " (only messages not announced)" : ""),
      );
    }
  }
  return listing;
}

/*
 * Found by this test and fixed in the remote backend (9d272f8, a753806): an EXISTS that came
 * while the new-message fetch was in flight (or during a re-select) was absorbed, so a new
 * message stayed unannounced, even on NOOP. HOLDFAST_SOAK=0 skips the soak test (it is the
 * slowest test of the package, about 1.5 minutes on a loaded 2-core machine).
 */
const RUN = process.env.HOLDFAST_SOAK !== "0";

describe.skipIf(!RUN)("failover soak: SIGKILL of the active Dovecot under a mixed workload", () => {
  beforeAll(async () => {
    if (!available) throw new Error("dovecot-imapd is not installed (CI installs it; apt-get install dovecot-imapd)");
    cluster = await startDovecotCluster({
      users: [{ name: USER, password: PASSWORD }],
      // every proxy session and the direct checks come from 127.0.0.1
      extraConfig: "protocol imap {\n  mail_max_userip_connections = 1000\n}\n",
    });
    // HOLDFAST_SOAK_TRACE=1: the proxy reaches each Dovecot through a wire recorder too, so a
    // failure report can show what the backend said.
    if (process.env.HOLDFAST_SOAK_TRACE) {
      for (const s of cluster.servers) {
        const wire = await WireRecorder.start({ host: s.host, port: s.port });
        wire.keep = /BODY\[\] NIL|S: \S+ (NO|BAD) |S: \* BYE/;
        backendWires.push(wire);
      }
    }
    const targets =
      backendWires.length > 0 ? backendWires.map((w) => ({ host: "127.0.0.1", port: w.port })) : cluster.servers;
    proxy = await startRemoteProxy(targets, { reconnect: { budgetMs: 30_000 } });
    recorder = await WireRecorder.start({ host: "127.0.0.1", port: proxy.port });
    // Kept whole for failure reports: every STORE and its completion.
    recorder.keep = /C: \S+ (UID )?STORE |S: \S+ (OK|NO|BAD) .*STORE/;
  });

  afterAll(async () => {
    for (const c of clients) await c.stop().catch(() => {});
    await recorder?.close();
    for (const w of backendWires) await w.close();
    await proxy?.stop();
    await cluster?.stop();
  });

  it(`${CYCLES} kill/restart cycles with ${CLIENTS} imapflow clients: no drop, nothing acknowledged lost, views match, EXPUNGEs legal`, {
    timeout: Math.max(600_000, CYCLES * 6_000),
  }, async () => {
    const ledger = new Ledger(CLIENTS);
    for (let i = 0; i < CLIENTS; i++) {
      const c = new SoakClient({
        index: i,
        port: recorder.port,
        user: USER,
        password: PASSWORD,
        ledger,
        qresync: i % 2 === 1,
        maxOwn: 6,
        random,
        problem,
      });
      await c.connect();
      clients.push(c);
      c.start();
    }
    const first = await checkViews(ledger, -1, undefined);
    const uidValidity = first.uidValidity;
    const started = Date.now();
    const recoveries: number[] = [];
    let kills = 0;
    let sameHostRestarts = 0;
    let stallReports = 0;
    for (let cycle = 0; cycle < CYCLES && problems.length === 0 && recorder.violations.length === 0; cycle++) {
      const cycleStart = Date.now();
      const watchdog = setInterval(() => {
        stallReports++;
        console.log(report(`cycle ${cycle} still running after ${Math.round((Date.now() - cycleStart) / 1000)} s`));
      }, STALL_REPORT_MS);
      try {
        await runCycle(cycle);
      } finally {
        clearInterval(watchdog);
      }
    }
    async function runCycle(cycle: number): Promise<void> {
      for (const c of clients) c.resume();
      await sleep(between(40, 180));
      const [a, b] = cluster.servers as [DovecotServer, DovecotServer];
      const victim = sessionsOn(a) >= sessionsOn(b) ? a : b;
      const killedAt = Date.now();
      recorder.mark(`cycle ${cycle}: kill ${victim.port}`);
      for (const w of backendWires) w.mark(`cycle ${cycle}: kill ${victim.port}`);
      // Sometimes back before the proxy gives up on it (same host), sometimes later.
      const downFor = between(0, 120);
      if (KILL) {
        await victim.kill();
        kills++;
        if (downFor < 40) sameHostRestarts++;
      }
      await sleep(downFor);
      if (KILL) await victim.restart();
      recorder.mark(`cycle ${cycle}: restarted ${victim.port}`);
      await sleep(between(10, 80));
      await Promise.all(clients.map((c) => c.pause()));
      recorder.mark(`cycle ${cycle}: paused, checking`);
      for (const w of backendWires) w.mark(`cycle ${cycle}: paused, checking`);
      await checkViews(ledger, cycle, uidValidity);
      recoveries.push(Date.now() - killedAt);
    }
    const elapsed = Date.now() - started;
    const byes = [...recorder.stats.byes];
    const ops = new Map<string, number>();
    for (const c of clients) for (const [k, v] of c.ops) ops.set(k, (ops.get(k) ?? 0) + v);
    recoveries.sort((x, y) => x - y);
    console.log(
      JSON.stringify(
        {
          seed: SEED,
          cycles: CYCLES,
          kills,
          sameHostRestarts,
          stallReports,
          seconds: Math.round(elapsed / 100) / 10,
          clients: CLIENTS,
          ledger: ledger.counts,
          operations: Object.fromEntries(ops),
          nilBodyForExpunged: clients.reduce((n, c) => n + c.nilForExpunged, 0),
          wire: {
            commands: recorder.stats.commands,
            expunges: recorder.stats.expunges,
            exists: recorder.stats.exists,
            completions: Object.fromEntries(recorder.stats.completions),
          },
          killToCheckedMs: {
            p50: recoveries[Math.floor(recoveries.length / 2)],
            max: recoveries.at(-1),
          },
        },
        null,
        1,
      ),
    );
    if (problems.length > 0 || recorder.violations.length > 0) {
      // The wire of the first client named in a problem (connection i + 1 is client i).
      // (a lost or misplaced keyword $c<i>x names client i as the one whose STOREs matter)
      const client = /client (\d+)/.exec(problems[0] ?? "")?.[1] ?? /\(UID \d+\): \$c(\d)/.exec(problems[0] ?? "")?.[1];
      const connection = /connection (\d+)/.exec(recorder.violations[0] ?? "")?.[1];
      const id = client !== undefined ? Number(client) + 1 : Number(connection ?? 1);
      console.log(`wire of connection ${id}:\n${recorder.transcript(id, 300).join("\n")}`);
      // A lost keyword: the STOREs of the client that owns it, as they went over the wire.
      const owner = /\(UID \d+\): \$c(\d)/.exec(problems[0] ?? "")?.[1];
      if (owner !== undefined) {
        const prefix = `connection ${Number(owner) + 1}:`;
        const stores = recorder.kept.filter((l) => l.startsWith(prefix)).slice(-40);
        console.log(`STOREs of client ${owner}:\n${stores.join("\n")}`);
      }
      console.log(report("at the failure"));
      for (const [b, w] of backendWires.entries()) {
        console.log(`backend ${b + 1}, notable lines:\n${w.kept.join("\n")}`);
        for (let c = Math.max(1, w.stats.connections - 9); c <= w.stats.connections; c++)
          console.log(`backend ${b + 1}, connection ${c}:\n${w.transcript(c, 50).join("\n")}`);
      }
    }
    expect(problems, problems.slice(0, 20).join("\n")).toEqual([]);
    expect(recorder.violations, recorder.violations.slice(0, 20).join("\n")).toEqual([]);
    expect(byes).toEqual([]);
    expect(kills).toBe(CYCLES);
    expect(clients.every((c) => !c.closed)).toBe(true);
    // The workload did what it is for (not vacuous).
    expect(ledger.counts.appendOk).toBeGreaterThan(CYCLES / 2);
    expect(ledger.counts.storeOk).toBeGreaterThan(CYCLES / 2);
    expect(ledger.counts.expungeOk).toBeGreaterThan(CYCLES / 10);
    expect(recorder.stats.expunges).toBeGreaterThan(0);
  });
});
