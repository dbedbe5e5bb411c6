import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type DovecotServer, findDovecot } from "@holdfast/testkit";
import { describe, expect, it } from "vitest";
import { ClusterFixture } from "./helpers/cluster-fixture.js";
import { RawClient } from "./helpers/raw-client.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";
import { WireRecorder } from "./helpers/wire-recorder.js";

/*
 * Failover cases one at a time, on the wire (raw client through holdfast in stateful mode in
 * front of two Dovecot instances on one shared mail folder): a client in IDLE across a
 * switch, a mailbox whose UIDVALIDITY changed (`* BYE`), no backend within the reconnect
 * budget (`* BYE [UNAVAILABLE]`), an APPEND in flight when the backend dies (NO [UNAVAILABLE]
 * or done, never both lost and OK'd, never twice), a large FETCH body in flight (exact bytes).
 */

const USER = "edge";
const PASSWORD = "edge-pw";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const available = findDovecot() !== undefined;
const fx = new ClusterFixture(USER, PASSWORD, available);
const { proxies, raws } = fx;

async function proxy(options: Parameters<typeof startRemoteProxy>[1] = {}): Promise<RemoteProxy> {
  const p = await startRemoteProxy(fx.cluster.servers, options);
  proxies.push(p);
  return p;
}

async function ensureRunning(): Promise<void> {
  for (const s of fx.cluster.servers) if (!s.running) await s.restart();
}

/** Logged in (and with `mailbox` selected) through the proxy. */
async function session(port: number, mailbox?: string): Promise<{ raw: RawClient; exists: number }> {
  const raw = await RawClient.open(port);
  raws.push(raw);
  await raw.line();
  const login = await raw.command("l", `LOGIN ${USER} ${PASSWORD}`, 15_000);
  expect(login.at(-1)).toMatch(/^l OK/);
  if (!mailbox) return { raw, exists: 0 };
  const selected = await raw.command("s", `SELECT ${mailbox}`, 15_000);
  expect(selected.at(-1)).toMatch(/^s OK/);
  return { raw, exists: Number(/^\* (\d+) EXISTS/m.exec(selected.join("\n"))?.[1]) };
}

/** A direct connection to a running instance. */
async function direct(server?: DovecotServer): Promise<RawClient> {
  const target = server ?? fx.cluster.servers.find((s) => s.running)!;
  const raw = await RawClient.open(target.port);
  raws.push(raw);
  await raw.line();
  await raw.command("l", `LOGIN ${USER} ${PASSWORD}`);
  return raw;
}

/** The instance serving the proxy's sessions (it runs the imap processes). */
function active(): DovecotServer {
  const sessions = (s: DovecotServer) =>
    s.processes().filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "imap";
      } catch {
        return false;
      }
    }).length;
  const [a, b] = fx.cluster.servers as [DovecotServer, DovecotServer];
  return sessions(a) >= sessions(b) ? a : b;
}

function message(id: string, size: number): string {
  const head = `From: edge@example.org\r\nSubject: ${id}\r\nMessage-ID: <${id}@edge.example>\r\n\r\n`;
  let body = "";
  for (let n = 0; head.length + body.length < size; n++) body += `${id} ${n} ${"y".repeat(n % 70)}\r\n`;
  return head + body;
}

/** Lines until one matches, failing on a BYE or a timeout. */
async function until(raw: RawClient, pattern: RegExp, timeoutMs = 20_000): Promise<string[]> {
  const lines: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = await raw.line(Math.max(1, deadline - Date.now()));
    lines.push(line);
    if (pattern.test(line)) return lines;
  }
}

describe("failover, case by case", () => {
  it("a client in IDLE sees only the new message's EXISTS across a switch, then DONE completes", async () => {
    await ensureRunning();
    const p = await proxy();
    const { raw, exists } = await session(p.port, "INBOX");
    raw.write("i IDLE\r\n");
    expect(await raw.line()).toMatch(/^\+/);
    await sleep(300); // let the proxy put the backend into IDLE too
    const victim = active();
    await victim.kill();
    const other = fx.cluster.servers.find((s) => s !== victim)!;
    const d = await direct(other);
    const text = message("idle-switch", 500);
    const appended = await d.command("a", `APPEND INBOX {${text.length}+}\r\n${text}`);
    const uid = Number(/APPENDUID \d+ (\d+)/.exec(appended.join("\n"))?.[1]);
    d.close();
    const seen = await until(raw, /^\* \d+ EXISTS$/);
    expect(seen.filter((l) => !/^\* \d+ (EXISTS|RECENT|FETCH)/.test(l))).toEqual([]);
    expect(seen.at(-1)).toBe(`* ${exists + 1} EXISTS`);
    await victim.restart();
    raw.write("DONE\r\n");
    const done = await raw.untilTagged("i", 15_000);
    expect(done.at(-1)).toMatch(/^i OK/);
    const fetched = await raw.command("f", `FETCH ${exists + 1} (UID)`, 15_000);
    expect(fetched.join("\n")).toContain(`* ${exists + 1} FETCH (UID ${uid})`);
    expect(raw.closed).toBe(false);
  });

  it("a mailbox whose UIDVALIDITY changed while the backend was away ends the session with * BYE", async () => {
    await ensureRunning();
    const d = await direct();
    await d.command("c", "CREATE Doomed");
    d.close();
    const p = await proxy();
    const { raw } = await session(p.port, "Doomed");
    const victim = active();
    await victim.kill();
    const other = fx.cluster.servers.find((s) => s !== victim)!;
    const d2 = await direct(other);
    const before = await d2.command("s", "STATUS Doomed (UIDVALIDITY)");
    expect((await d2.command("x", "DELETE Doomed")).at(-1)).toMatch(/^x OK/);
    expect((await d2.command("y", "CREATE Doomed")).at(-1)).toMatch(/^y OK/);
    const after = await d2.command("s", "STATUS Doomed (UIDVALIDITY)");
    d2.close();
    expect(after.join()).not.toBe(before.join());
    raw.write("n NOOP\r\n");
    const lines = await until(raw, /^\* BYE/, 30_000);
    expect(lines.at(-1)).toMatch(/^\* BYE/);
    console.log(`UIDVALIDITY changed: ${lines.at(-1)}`);
    expect(lines.some((l) => /^n OK/.test(l))).toBe(false);
    await raw.waitClosed(5000);
    expect(raw.closed).toBe(true);
    await victim.restart();
  });

  it("no backend within the reconnect budget: * BYE [UNAVAILABLE] to a client between commands and to one in IDLE", async () => {
    await ensureRunning();
    const budgetMs = 1500;
    const p = await proxy({ reconnect: { budgetMs } });
    const { raw: busy } = await session(p.port, "INBOX");
    const { raw: idler } = await session(p.port, "INBOX");
    idler.write("i IDLE\r\n");
    expect(await idler.line()).toMatch(/^\+/);
    const [a, b] = fx.cluster.servers as [DovecotServer, DovecotServer];
    const started = Date.now();
    await Promise.all([a.kill(), b.kill()]);
    busy.write("n NOOP\r\n");
    const busyLines = await until(busy, /^\* BYE/, budgetMs + 15_000);
    const busyAfter = Date.now() - started;
    const idleLines = await until(idler, /^\* BYE/, budgetMs + 15_000);
    expect(busyLines.at(-1)).toMatch(/^\* BYE \[UNAVAILABLE\]/);
    console.log(
      `budget ${budgetMs} ms spent after ${busyAfter} ms: ${busyLines.at(-1)} / in IDLE: ${idleLines.at(-1)}`,
    );
    expect(idleLines.at(-1)).toMatch(/^\* BYE \[UNAVAILABLE\]/);
    expect(busyLines.some((l) => /^n OK/.test(l))).toBe(false);
    await busy.waitClosed(5000);
    await idler.waitClosed(5000);
    expect(busy.closed && idler.closed).toBe(true);
    // Within the budget (plus the time one last connection attempt may take), not forever.
    expect(busyAfter).toBeLessThan(budgetMs + 12_000);
    await ensureRunning();
  });

  it("an APPEND in flight when the backend dies is NO [UNAVAILABLE] or done, never OK'd and lost, never twice", async () => {
    await ensureRunning();
    const p = await proxy();
    const { raw } = await session(p.port);
    const outcomes = { ok: 0, unavailable: 0, unavailableButDone: 0, killedWhileBackendWrote: 0 };
    // Dovecot writes an APPENDed message into the maildir's tmp/ and renames it into new/ or
    // cur/ when the command completes: a file in tmp/ means the backend APPEND is under way.
    const tmp = join(fx.cluster.mailRoot, USER, "tmp");
    const tmpFiles = () => {
      try {
        return readdirSync(tmp);
      } catch {
        return [];
      }
    };
    for (let i = 0; i < 8; i++) {
      const id = `inflight-${i}-${Date.now()}`;
      const text = message(id, 1_500_000);
      const victim = active();
      // A killed APPEND leaves its tmp/ file behind: only a new one counts.
      const before = new Set(tmpFiles());
      const backendWriting = () => tmpFiles().some((f) => !before.has(f));
      raw.write(`a${i} APPEND INBOX {${text.length}+}\r\n${text}`);
      raw.write("\r\n");
      if (i % 2 === 0) {
        // Kill while the backend is writing the message (the hard case).
        const deadline = Date.now() + 10_000;
        while (!backendWriting() && Date.now() < deadline) await new Promise((r) => setImmediate(r));
        if (backendWriting()) outcomes.killedWhileBackendWrote++;
      } else {
        await sleep(i * 4);
      }
      await victim.kill();
      const reply = await raw.untilTagged(`a${i}`, 60_000);
      await victim.restart();
      const last = reply.at(-1)!;
      const d = await direct();
      await d.command("s", "EXAMINE INBOX");
      const found = await d.command("f", `UID SEARCH HEADER Message-ID "<${id}@edge.example>"`);
      d.close();
      const uids = (/^\* SEARCH(.*)$/m.exec(found.join("\n"))?.[1] ?? "").trim().split(" ").filter(Boolean).map(Number);
      if (/^a\d+ OK/.test(last)) {
        outcomes.ok++;
        const uid = Number(/APPENDUID \d+ (\d+)/.exec(last)?.[1]);
        expect(uids, `${last}: the message must be there once, with that UID`).toEqual([uid]);
      } else {
        expect(last).toMatch(/^a\d+ NO \[UNAVAILABLE\]/);
        expect(uids.length, `${last}: it may have happened, but not twice`).toBeLessThanOrEqual(1);
        if (uids.length === 1) outcomes.unavailableButDone++;
        else outcomes.unavailable++;
      }
      expect(raw.closed).toBe(false);
    }
    console.log(`in-flight APPEND outcomes: ${JSON.stringify(outcomes)}`);
    expect(outcomes.killedWhileBackendWrote).toBeGreaterThan(0);
    const noop = await raw.command("n", "NOOP", 15_000);
    expect(noop.at(-1)).toMatch(/^n OK/);
  });

  it("the sessions of a dead backend reconnect spread over time, not all at once, and all carry on", async () => {
    await ensureRunning();
    // The proxy reaches each Dovecot through a recorder, which notes when connections arrive.
    const wires = await Promise.all(fx.cluster.servers.map((s) => WireRecorder.start({ host: s.host, port: s.port })));
    const targets = wires.map((w) => ({ host: "127.0.0.1", port: w.port }));
    const p = await startRemoteProxy(targets, {});
    proxies.push(p);
    const SESSIONS = 30;
    const sessions: RawClient[] = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push((await session(p.port, "INBOX")).raw);
    await sleep(300); // every session idle (its backend connection in IDLE)
    const [first, second] = wires as [WireRecorder, WireRecorder];
    const before = second.acceptedAt.length;
    const killedAt = Date.now();
    await fx.cluster.servers[0]!.kill();
    // Nobody sends anything: the sessions reconnect in the background, to the second host
    // once the first refuses.
    const deadline = Date.now() + 20_000;
    while (second.acceptedAt.length - before < SESSIONS && Date.now() < deadline) await sleep(50);
    const arrivals = second.acceptedAt.slice(before).map((t) => t - killedAt);
    await fx.cluster.servers[0]!.restart();
    console.log(
      `${SESSIONS} idle sessions after the kill: reconnected to the other host between ${arrivals[0]} and ${arrivals.at(-1)} ms`,
    );
    expect(arrivals.length).toBeGreaterThanOrEqual(SESSIONS);
    // Spread over (most of) reconnect.spreadMs (1 s by default), not a burst.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(300);
    const inFirst100 = arrivals.filter((t) => t - arrivals[0]! < 100).length;
    expect(inFirst100).toBeLessThan(SESSIONS / 2);
    for (const [i, raw] of sessions.entries()) {
      const noop = await raw.command(`n${i}`, "NOOP", 15_000);
      expect(noop.at(-1)).toMatch(new RegExp(`^n${i} OK`));
      raw.close();
    }
    for (const w of wires) await w.close();
    expect(first.stats.connections).toBeGreaterThan(0);
  });

  it("small FETCH bodies in flight when the backend dies arrive with exactly the message's bytes (or NO)", async () => {
    await ensureRunning();
    const d = await direct();
    const texts = new Map<number, string>();
    for (let i = 0; i < 5; i++) {
      const text = message(`small-${i}-${Date.now()}`, 1500 + i * 700);
      const appended = await d.command("a", `APPEND INBOX {${text.length}+}\r\n${text}`);
      texts.set(Number(/APPENDUID \d+ (\d+)/.exec(appended.join("\n"))?.[1]), text);
    }
    d.close();
    const p = await proxy();
    const { raw } = await session(p.port, "INBOX");
    const uids = [...texts.keys()];
    const outcomes = { exact: 0, no: 0 };
    for (let k = 0; k < 12; k++) {
      const uid = uids[k % uids.length]!;
      const text = texts.get(uid)!;
      const victim = active();
      raw.write(`f${k} UID FETCH ${uid} (UID BODY.PEEK[])\r\n`);
      await sleep(k % 3);
      await victim.kill();
      await sleep(20 + (k % 4) * 30);
      await victim.restart();
      const lines = await raw.untilTagged(`f${k}`, 60_000);
      const whole = `${lines.join("\r\n")}\r\n`;
      const last = lines.at(-1)!;
      const at = whole.search(/BODY\[\] /);
      expect(at, `f${k}: no BODY[] in\n${whole.slice(0, 300)}`).toBeGreaterThanOrEqual(0);
      const after = whole.slice(at + "BODY[] ".length);
      if (/^f\d+ NO/.test(last)) outcomes.no++;
      else {
        expect(after.startsWith(`{${text.length}}\r\n`), `f${k}: BODY[] is ${after.slice(0, 40)}...`).toBe(true);
        const literal = after.slice(after.indexOf("\r\n") + 2, after.indexOf("\r\n") + 2 + text.length);
        expect(literal === text, `f${k}: body of UID ${uid} differs`).toBe(true);
        expect(last).toMatch(new RegExp(`^f${k} OK`));
        outcomes.exact++;
      }
    }
    console.log(`small FETCH bodies across a kill: ${JSON.stringify(outcomes)}`);
  });

  it("a large FETCH body in flight when the backend dies arrives with exactly the message's bytes", async () => {
    await ensureRunning();
    const id = `bigbody-${Date.now()}`;
    const text = message(id, 6_000_000);
    const d = await direct();
    const appended = await d.command("a", `APPEND INBOX {${text.length}+}\r\n${text}`, 30_000);
    const uid = Number(/APPENDUID \d+ (\d+)/.exec(appended.join("\n"))?.[1]);
    d.close();
    const p = await proxy();
    const { raw } = await session(p.port, "INBOX");
    for (let k = 0; k < 3; k++) {
      raw.write(`f${k} UID FETCH ${uid} (BODY.PEEK[])\r\n`);
      const first = await raw.line(15_000);
      expect(first).toMatch(new RegExp(`^\\* \\d+ FETCH \\(.*BODY\\[\\] \\{${text.length}\\}$`));
      // Stop reading: backpressure holds the rest in the proxy and the backend, then kill it.
      raw.socket.pause();
      const victim = active();
      await victim.kill();
      await sleep(100);
      await victim.restart();
      raw.socket.resume();
      const rest = await raw.untilTagged(`f${k}`, 60_000);
      const whole = `${[first, ...rest].join("\r\n")}\r\n`;
      const start = whole.indexOf("\r\n") + 2;
      const literal = whole.slice(start, start + text.length);
      expect(literal === text, `FETCH body ${k}: ${literal.length} bytes, differs from the message`).toBe(true);
      expect(rest.at(-1)).toMatch(new RegExp(`^f${k} (OK|NO)`));
      const noop = await raw.command(`n${k}`, "NOOP", 15_000);
      expect(noop.at(-1)).toMatch(new RegExp(`^n${k} OK`));
    }
  });
});
