import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lineSession, waitUntil } from "./helpers/line-session.js";

/*
 * Admin commands on the running daemon: `holdfast-proxy kick USER` (the CLI calling the
 * admin endpoint on the metrics listener) ends a real client's session with `* BYE`; the
 * endpoint refuses GET and unknown commands, and `move` on the local store is a clear error.
 */

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
let dir: string;
let configFile: string;
let child: ChildProcess;
let stderr = "";
let imapPort = 0;
let metricsPort = 0;
let password = "";
let ppPort = 0;
let stdout = "";

const waitFor = (predicate: () => boolean, ms: number) => waitUntil(predicate, ms, () => stderr);
const session = lineSession;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args, "--config", configFile], (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function loggedIn(): Promise<ReturnType<typeof session>> {
  const s = session(imapPort);
  await waitFor(() => s.lines.length >= 1, 5000);
  s.send(`a LOGIN demo ${password}\r\n`);
  await waitFor(() => s.lines.some((l) => l.startsWith("a ")), 5000);
  expect(s.lines.find((l) => l.startsWith("a "))).toMatch(/^a OK/);
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "holdfast-daemon-admin-"));
  configFile = join(dir, "holdfast.toml");
  metricsPort = await freePort();
  await writeFile(
    configFile,
    [
      `data_dir = "${join(dir, "data")}"`,
      "[[listen]]",
      'host = "127.0.0.1"',
      "port = 0",
      "[[listen]]",
      'host = "127.0.0.1"',
      "port = 0",
      'proxy_protocol_trusted = ["127.0.0.0/8"]',
      "[tls]",
      `cert = "${join(dir, "tls", "cert.pem")}"`,
      `key = "${join(dir, "tls", "key.pem")}"`,
      "[log]",
      'level = "info"',
      "[metrics]",
      `port = ${metricsPort}`,
      "",
    ].join("\n"),
  );
  child = spawn(process.execPath, [MAIN, "--config", configFile], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => {
    stdout += d;
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => {
    stderr += d;
  });
  await waitFor(() => /listening on/.test(stderr), 20_000);
  [imapPort, ppPort] = [...stderr.matchAll(/127\.0\.0\.1:(\d+) \(STARTTLS\)/g)].map((m) => Number(m[1])) as [
    number,
    number,
  ];
  password = /password: (\S+)/.exec(stderr)?.[1] ?? "";
});

afterAll(async () => {
  if (child.exitCode === null) child.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

describe("admin commands", () => {
  it("`holdfast-proxy kick demo` ends the user's sessions with * BYE and the reason", async () => {
    const a = await loggedIn();
    const b = await loggedIn();
    const result = await cli("kick", "demo", "--reason", "Maintenance window");
    expect(result).toMatchObject({ code: 0, stdout: "kicked 2 session(s) of demo\n" });
    for (const s of [a, b]) {
      await waitFor(() => s.closed(), 5000);
      expect(s.lines).toContain("* BYE Maintenance window");
    }
    expect(await cli("kick", "demo")).toMatchObject({ code: 0, stdout: "kicked 0 session(s) of demo\n" });
  });

  it("the endpoint takes POST only, and names unknown commands and missing parameters", async () => {
    const base = `http://127.0.0.1:${metricsPort}`;
    const get = await fetch(`${base}/admin/kick?user=demo`);
    expect(get.status).toBe(405);
    const unknown = await fetch(`${base}/admin/reboot`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "unknown admin command /admin/reboot" });
    const missing = await fetch(`${base}/admin/kick`, { method: "POST" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: "missing parameter user" });
    const s = await loggedIn();
    const kicked = await fetch(`${base}/admin/kick?user=DEMO`, { method: "POST" });
    expect(await kicked.json()).toEqual({ user: "DEMO", kicked: 1 });
    await waitFor(() => s.closed(), 5000);
    expect(s.lines).toContain("* BYE Disconnected by the administrator.");
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it("`move` on the local store and bad usage are clear errors", async () => {
    const move = await cli("move", "demo", "imap2");
    expect(move.code).toBe(1);
    expect(move.stderr).toMatch(/the backend is the local store/);
    expect((await cli("kick")).code).toBe(2);
    expect((await cli("move", "demo")).code).toBe(2);
  });
});

describe("listen.proxy_protocol_trusted", () => {
  it("a trusted peer's PROXY header sets the client address the daemon logs; no header from it closes", async () => {
    const s = session(ppPort);
    s.send("PROXY TCP4 192.0.2.77 127.0.0.1 40000 143\r\n");
    await waitFor(() => s.lines.length >= 1, 5000);
    expect(s.lines[0]).toMatch(/^\* OK /);
    s.send("a LOGIN demo wrong-password\r\n");
    await waitFor(() => s.lines.some((l) => l.startsWith("a ")), 10_000);
    await waitFor(() => /"remote":"192\.0\.2\.77"/.test(stdout), 5000);
    s.send("b LOGOUT\r\n");
    await waitFor(() => s.closed(), 5000);
    const bare = session(ppPort);
    bare.send("a CAPABILITY\r\n");
    await waitFor(() => bare.closed(), 10_000);
    expect(bare.lines.some((l) => l.startsWith("a OK"))).toBe(false);
    // The other listener has no trusted networks: no header expected there.
    const plain = session(imapPort);
    await waitFor(() => plain.lines.length >= 1, 5000);
    expect(plain.lines[0]).toMatch(/^\* OK /);
  });
});

describe("admin CLI without a daemon", () => {
  it("says the daemon is not running", async () => {
    const port = await freePort();
    const file = join(dir, "other.toml");
    await writeFile(file, `[metrics]\nport = ${port}\n`);
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [MAIN, "kick", "demo", "--config", file], (error, _stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr });
      });
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /holdfast-proxy is not running with metrics on 127\.0\.0\.1:\d+ \(connection refused\)/,
    );
  });
});
