import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForGreeting } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthContext,
  type Authenticator,
  type Backend,
  BackendError,
  type BackendSession,
  ImapServer,
  type Logger,
} from "../src/index.js";
import { RawClient } from "./helpers/raw-client.js";

/*
 * A real HAProxy in front of holdfast on loopback: HAProxy connects from 127.0.0.2 (the
 * trusted balancer) with send-proxy-v2 (and a second backend with v1), clients connect
 * to HAProxy from 127.0.0.1. Runs only where haproxy is installed (Debian: apt-get install
 * haproxy).
 */

function findHaproxy(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const haproxyBinary = findHaproxy();

const contexts: AuthContext[] = [];
const authenticator: Authenticator = {
  async authenticate(user, password, context) {
    contexts.push(context);
    return user === "alice" && password === "pw" ? "alice" : null;
  },
};
/** What the front end logs about PROXY headers (accepted: debug "PROXY header"; refused: warn). */
const headerLog: Array<{ msg?: string; obj: Record<string, unknown> }> = [];
const logger: Logger = {
  debug: (obj, msg) => headerLog.push({ msg, obj: obj as Record<string, unknown> }),
  info() {},
  warn: (obj, msg) => headerLog.push({ msg, obj: obj as Record<string, unknown> }),
  error() {},
  child: () => logger,
};

const backend: Backend = {
  async open(user): Promise<BackendSession> {
    const none = async (): Promise<never> => {
      throw new BackendError("NONEXISTENT", "Mailbox does not exist.");
    };
    return {
      user,
      appendLimit: null,
      list: async () => [],
      status: none,
      create: none,
      delete: none,
      rename: none,
      subscribe: none,
      unsubscribe: none,
      select: none,
      beginAppend: none,
      close: async () => {},
    };
  },
};

describe.skipIf(!haproxyBinary)("PROXY protocol from a real HAProxy", () => {
  let server: ImapServer;
  let haproxy: ChildProcess;
  let dir: string;
  let v2Port: number;
  let v1Port: number;
  let holdfastPort: number;
  let output = "";

  beforeAll(async () => {
    server = new ImapServer({ backend, authenticator, plaintextAuth: true, throttle: { failureDelayMs: 10 }, logger });
    holdfastPort = await server.listen({ host: "127.0.0.1", port: 0, proxyProtocol: { trusted: ["127.0.0.2/32"] } });
    v2Port = await freePort();
    v1Port = await freePort();
    dir = mkdtempSync(join(tmpdir(), "holdfast-haproxy-"));
    const config = join(dir, "haproxy.cfg");
    writeFileSync(
      config,
      [
        "global",
        "  maxconn 200",
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "frontend v2",
        `  bind 127.0.0.1:${v2Port}`,
        "  default_backend holdfast_v2",
        "frontend v1",
        `  bind 127.0.0.1:${v1Port}`,
        "  default_backend holdfast_v1",
        "backend holdfast_v2",
        // (no health checks: HAProxy 2.6 does not always make them from `source`, and from
        // 127.0.0.1 they would be untrusted; LOCAL is covered by proxy-protocol-server tests)
        `  server h 127.0.0.1:${holdfastPort} source 127.0.0.2 send-proxy-v2`,
        "backend holdfast_v1",
        `  server h 127.0.0.1:${holdfastPort} source 127.0.0.2 send-proxy`,
        "",
      ].join("\n"),
    );
    haproxy = spawn(haproxyBinary!, ["-db", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
    haproxy.stdout?.on("data", (d) => {
      output += d;
    });
    haproxy.stderr?.on("data", (d) => {
      output += d;
    });
    await waitForGreeting(v2Port, Date.now() + 15_000).catch((error) => {
      throw new Error(`${(error as Error).message}\nhaproxy said:\n${output}`);
    });
  }, 60_000);

  afterAll(async () => {
    haproxy?.kill("SIGKILL");
    await server?.close(200);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function loginThrough(port: number): Promise<{ context: AuthContext; localPort: number }> {
    const c = await RawClient.open(port);
    try {
      expect(await c.line()).toMatch(/^\* OK \[CAPABILITY /);
      const before = contexts.length;
      expect((await c.command("a1", "LOGIN alice pw")).at(-1)).toMatch(/^a1 OK/);
      return { context: contexts[before]!, localPort: c.socket.localPort! };
    } finally {
      c.close();
    }
  }

  it("send-proxy-v2: holdfast sees the client's own address and port, not HAProxy's", async () => {
    const { context, localPort } = await loginThrough(v2Port);
    expect(context.remoteAddress).toBe("127.0.0.1");
    expect(context.remotePort).toBe(localPort);
  });

  it("send-proxy (v1) too", async () => {
    const { context, localPort } = await loginThrough(v1Port);
    expect(context).toMatchObject({ remoteAddress: "127.0.0.1", remotePort: localPort });
  });

  it("connections from untrusted peers are served without a header beside HAProxy's", async () => {
    // every header HAProxy sent was accepted
    expect(headerLog.filter((e) => e.msg === "PROXY header refused; closing")).toEqual([]);
    const direct = await RawClient.open(holdfastPort);
    try {
      expect(await direct.line()).toMatch(/^\* OK/);
      const before = contexts.length;
      await direct.command("a1", "LOGIN alice pw");
      expect(contexts[before]).toMatchObject({ remoteAddress: "127.0.0.1", remotePort: direct.socket.localPort });
    } finally {
      direct.close();
    }
  });
});
