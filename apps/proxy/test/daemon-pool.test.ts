import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Router } from "@holdfast/proxy";
import { type DovecotCluster, findDovecot, freePort, startDovecotCluster } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAIN, type SpawnedDaemon, spawnDaemon } from "./helpers/daemon.js";
import { lineSession, waitUntil } from "./helpers/line-session.js";

/*
 * The daemon in front of a pool of two Dovecot instances sharing one mail folder, as an
 * operator configures it (`backend = "<pool>"`): login and SELECT through the proxy, health
 * metrics per host, `holdfast-proxy move` (stateful: the session switches host in place;
 * passthrough: the spliced session is closed), and the pool's health taking a stopped
 * host out of the route.
 */

const dovecotAvailable = findDovecot() !== undefined;

type Daemon = SpawnedDaemon & { imapPort: number; metricsPort: number };

async function startDaemon(dir: string, name: string, poolToml: string): Promise<Daemon> {
  const metricsPort = await freePort();
  const daemon = await spawnDaemon(join(dir, `${name}.toml`), [
    'backend = "dovecot"',
    "[[listen]]",
    'host = "127.0.0.1"',
    "port = 0",
    "[tls]",
    `cert = "${join(dir, "tls", "cert.pem")}"`,
    `key = "${join(dir, "tls", "key.pem")}"`,
    "[auth]",
    "failure_delay_ms = 0",
    "[log]",
    'level = "warn"',
    "[metrics]",
    `port = ${metricsPort}`,
    poolToml,
  ]);
  return { ...daemon, imapPort: daemon.ports[0]!, metricsPort };
}

/** Successful IMAP logins of `user` in a Dovecot log. */
function logins(log: string, user: string): number {
  return log.split("\n").filter((l) => l.includes(`imap-login: Info: Login: user=<${user}>`)).length;
}

function cli(config: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args, "--config", config], (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function metric(port: number, pattern: RegExp): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return pattern.exec(text)?.[1];
}

async function waitForMetric(port: number, pattern: RegExp, value: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  let seen: string | undefined;
  while (Date.now() < deadline) {
    seen = await metric(port, pattern);
    if (seen === value) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${pattern} stayed ${seen}, expected ${value}`);
}

function poolToml(cluster: DovecotCluster, mode: "stateful" | "passthrough"): string {
  const [a, b] = cluster.servers;
  return [
    "[[pools]]",
    'name = "dovecot"',
    `mode = "${mode}"`,
    'strategy = "hash"',
    "[[pools.hosts]]",
    'id = "d1"',
    'host = "127.0.0.1"',
    `port = ${a!.port}`,
    "[[pools.hosts]]",
    'id = "d2"',
    'host = "127.0.0.1"',
    `port = ${b!.port}`,
    "[pools.health]",
    "interval_ms = 200",
    "timeout_ms = 1000",
    "fall = 2",
    "rise = 1",
    "",
  ].join("\n");
}

describe.skipIf(!dovecotAvailable)("holdfast-proxy in front of a Dovecot pool", () => {
  let dir: string;
  let cluster: DovecotCluster;
  const daemons: Daemon[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-daemon-pool-"));
    cluster = await startDovecotCluster({ count: 2 });
  });
  afterAll(async () => {
    for (const d of daemons) await d.stop();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("stateful: login and SELECT through the proxy, health metrics, move switches the session in place", async () => {
    const daemon = await startDaemon(dir, "stateful", poolToml(cluster, "stateful"));
    daemons.push(daemon);
    const { user, password } = cluster.servers[0]!;
    const s = lineSession(daemon.imapPort);
    await waitUntil(
      () => s.lines.length > 0,
      5000,
      () => "for the greeting",
    );
    expect((await s.command("a", `LOGIN ${user} ${password}`)).at(-1)).toMatch(/^a OK/);
    expect((await s.command("b", "SELECT INBOX")).at(-1)).toMatch(/^b OK \[READ-WRITE\]/);

    expect(await metric(daemon.metricsPort, /holdfast_backend_up\{pool="dovecot",host="d1"\} (\d)/)).toBe("1");
    expect(await metric(daemon.metricsPort, /holdfast_backend_up\{pool="dovecot",host="d2"\} (\d)/)).toBe("1");

    // Move the user to the host it is not on now (the same hashing as the daemon's).
    const router = new Router({
      strategy: "hash",
      hosts: [
        { id: "d1", host: "127.0.0.1", port: cluster.servers[0]!.port },
        { id: "d2", host: "127.0.0.1", port: cluster.servers[1]!.port },
      ],
    });
    const current = (await router.route(user))[0]!.id;
    const target = current === "d1" ? "d2" : "d1";
    const targetServer = cluster.servers[target === "d1" ? 0 : 1]!;
    const loginsBefore = logins(targetServer.log(), user);
    const moved = await cli(daemon.config, "move", user, target);
    expect(moved).toMatchObject({ code: 0 });
    expect(moved.stdout).toBe(`moved ${user} to ${target}: 1 session(s) reconnected, 0 kicked\n`);
    // The client carries on, on the other host.
    expect((await s.command("c", "NOOP")).at(-1)).toMatch(/^c OK/);
    await waitUntil(
      () => logins(targetServer.log(), user) > loginsBefore,
      5000,
      () => "for a login on the new host",
    );
    expect((await s.command("d", "UID SEARCH ALL")).at(-1)).toMatch(/^d OK/);
    expect(s.closed()).toBe(false);
    expect((await cli(daemon.config, "move", user, "d9")).stderr).toMatch(/has no host "d9"/);
    s.end();
    await daemon.stop();
  });

  it("passthrough: login through the proxy; move closes the spliced session", async () => {
    const daemon = await startDaemon(dir, "passthrough", poolToml(cluster, "passthrough"));
    daemons.push(daemon);
    const { user, password } = cluster.servers[0]!;
    const s = lineSession(daemon.imapPort);
    await waitUntil(
      () => s.lines.length > 0,
      5000,
      () => "for the greeting",
    );
    expect((await s.command("a", `LOGIN ${user} ${password}`)).at(-1)).toMatch(/^a OK/);
    expect((await s.command("b", "SELECT INBOX")).at(-1)).toMatch(/^b OK \[READ-WRITE\]/);
    const moved = await cli(daemon.config, "move", user, "d1");
    expect(moved.stdout).toBe(`moved ${user} to d1: 0 session(s) reconnected, 1 kicked\n`);
    await waitUntil(
      () => s.closed(),
      5000,
      () => "for the kicked session to close",
    );
    // Spliced bytes: no BYE is injected (it could land inside a literal of the backend's
    // stream); the connection is closed.
    expect(s.lines.some((l) => l.startsWith("* BYE"))).toBe(false);
    await daemon.stop();
  });

  it("a killed host is marked down, logins go to the other one, and it comes back after a restart", async () => {
    const daemon = await startDaemon(dir, "health", poolToml(cluster, "stateful"));
    daemons.push(daemon);
    const { user, password } = cluster.servers[0]!;
    await cluster.servers[0]!.kill();
    await waitForMetric(daemon.metricsPort, /holdfast_backend_up\{pool="dovecot",host="d1"\} (\d)/, "0");
    expect(
      await metric(
        daemon.metricsPort,
        /holdfast_backend_transitions_total\{pool="dovecot",host="d1",state="down"\} (\d)/,
      ),
    ).toBe("1");
    for (let i = 0; i < 3; i++) {
      const s = lineSession(daemon.imapPort);
      await waitUntil(
        () => s.lines.length > 0,
        5000,
        () => "for the greeting",
      );
      expect((await s.command("a", `LOGIN ${user} ${password}`)).at(-1)).toMatch(/^a OK/);
      expect((await s.command("b", "SELECT INBOX")).at(-1)).toMatch(/^b OK/);
      s.end();
    }
    await cluster.servers[0]!.restart();
    await waitForMetric(daemon.metricsPort, /holdfast_backend_up\{pool="dovecot",host="d1"\} (\d)/, "1");
    expect(
      await metric(
        daemon.metricsPort,
        /holdfast_backend_transitions_total\{pool="dovecot",host="d1",state="up"\} (\d)/,
      ),
    ).toBe("1");
    await daemon.stop();
  });
});
