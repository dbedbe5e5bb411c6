import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnDaemon } from "./helpers/daemon.js";
import { lineSession, waitUntil } from "./helpers/line-session.js";

/*
 * The daemon as an operator runs it: the built binary, a config file, a fresh data folder.
 * Checks the first start (demo user, generated certificate), a real login, and that
 * SIGTERM says BYE to connected clients and exits 0.
 */

let dir: string;
let child: ChildProcess;
/** The daemon's stderr so far. */
let stderr: () => string = () => "";
let ports: number[] = [];
let password = "";
let metricsPort = 0;

const waitFor = (predicate: () => boolean, ms: number) => waitUntil(predicate, ms, stderr);
const session = lineSession;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "holdfast-daemon-"));
  const daemon = await spawnDaemon(join(dir, "holdfast.toml"), [
    `data_dir = "${join(dir, "data")}"`,
    "[[listen]]",
    'host = "127.0.0.1"',
    "port = 0",
    "[[listen]]",
    'host = "127.0.0.1"',
    "port = 0",
    "tls = true",
    "[tls]",
    `cert = "${join(dir, "tls", "cert.pem")}"`,
    `key = "${join(dir, "tls", "key.pem")}"`,
    "[log]",
    'level = "warn"',
    "[metrics]",
    "port = 0",
  ]);
  child = daemon.child;
  stderr = daemon.stderr;
  ports = daemon.ports;
  metricsPort = Number(/metrics http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr())?.[1]);
  password = /password: (\S+)/.exec(stderr())?.[1] ?? "";
});

afterAll(async () => {
  if (child.exitCode === null) child.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

describe("holdfast-proxy daemon", () => {
  it("on first start creates the demo user, prints its password once and how to change it", () => {
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(stderr()).toContain("npx holdfast-proxy passwd demo");
    expect(ports).toHaveLength(2);
  });

  it("exposes Prometheus metrics on loopback: commands by name and result, connections by state", async () => {
    const s = session(ports[0]!);
    await waitFor(() => s.lines.length >= 1, 5000);
    s.send("a LOGIN demo wrong\r\n");
    await waitFor(() => s.lines.some((l) => l.startsWith("a ")), 10_000);
    s.send(`b LOGIN demo ${password}\r\nc NOOP\r\n`);
    await waitFor(() => s.lines.some((l) => l.startsWith("c ")), 5000);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/holdfast_commands_total\{command="LOGIN",result="NO"\} 1/);
    expect(text).toMatch(/holdfast_commands_total\{command="LOGIN",result="OK"\} 1/);
    expect(text).toMatch(/holdfast_auth_failures_total 1/);
    expect(text).toMatch(/holdfast_connections\{state="authenticated"\} 1/);
    expect(text).toMatch(/holdfast_command_duration_seconds_bucket\{le="[^"]+",command="NOOP"\}/);
    expect(text).toMatch(/holdfast_bytes_received_total \d+/);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
    s.send("d LOGOUT\r\n");
    await waitFor(() => s.closed(), 5000);
  });

  it("serves IMAP: greeting, LOGIN as demo, SELECT INBOX; then SIGTERM says BYE and exits 0", async () => {
    const s = session(ports[0]!);
    await waitFor(() => s.lines.length >= 1, 5000);
    expect(s.lines[0]).toMatch(/^\* OK \[CAPABILITY .*STARTTLS.*\] Holdfast ready\.$/);
    s.send(`a LOGIN demo ${password}\r\n`);
    await waitFor(() => s.lines.some((l) => l.startsWith("a ")), 5000);
    expect(s.lines.find((l) => l.startsWith("a "))).toMatch(/^a OK/);
    s.send("b SELECT INBOX\r\n");
    await waitFor(() => s.lines.some((l) => l.startsWith("b ")), 5000);
    expect(s.lines.find((l) => l.startsWith("b "))).toBe("b OK [READ-WRITE] SELECT completed.");
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    await waitFor(() => s.lines.some((l) => l.startsWith("* BYE")), 5000);
    expect(s.lines.find((l) => l.startsWith("* BYE"))).toBe("* BYE Server shutting down.");
    expect(await exited).toBe(0);
  });
});
