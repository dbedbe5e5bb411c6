import { createServer, type Server, type Socket } from "node:net";
import { type DovecotServer, findDovecot, freePort, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { greetingProbe, HealthChecker, type HealthEvent, loginProbe } from "../src/index.js";
import type { BackendHost } from "../src/remote/index.js";

/*
 * Health checks against a real Dovecot (testkit) and against ports that refuse, hang or
 * greet wrongly: hysteresis (fall/rise), events, timeouts, stop().
 */

const dovecotAvailable = findDovecot() !== undefined;

/** A TCP server on 127.0.0.1 that does `behaviour` with each connection. */
async function fakeServer(port: number, behaviour: (socket: Socket) => void): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    behaviour(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  server.on("close", () => {
    for (const s of sockets) s.destroy();
  });
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as Server["close"];
  return server;
}

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function probeOnce(host: BackendHost, timeoutMs = 2_000): Promise<void> {
  return greetingProbe(host, AbortSignal.timeout(timeoutMs));
}

describe.skipIf(!dovecotAvailable)("health checks against Dovecot", () => {
  let dovecot: DovecotServer;

  beforeAll(async () => {
    dovecot = await startDovecot();
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  it("the greeting probe passes on Dovecot and fails on a closed port", async () => {
    await probeOnce({ id: "dovecot", host: "127.0.0.1", port: dovecot.port });
    const closed = await freePort();
    await expect(probeOnce({ id: "closed", host: "127.0.0.1", port: closed })).rejects.toThrow(/ECONNREFUSED/);
  });

  it("the login probe logs in as the check user through ImapClient; a refused login is a failure", async () => {
    const host = { id: "dovecot", host: "127.0.0.1", port: dovecot.port };
    await loginProbe({ user: dovecot.user, password: dovecot.password })(host, AbortSignal.timeout(5_000));
    const wrong = loginProbe({ user: dovecot.user, password: "not-the-password" });
    const checker = new HealthChecker([host], { probe: wrong, fall: 1, timeoutMs: 5_000 });
    await checker.checkNow();
    expect(checker.isUp("dovecot")).toBe(false);
    expect(checker.status()[0]!.lastError).toMatch(/auth|login|fail/i);
    await checker.stop();
    const good = new HealthChecker([host], {
      probe: loginProbe({ user: dovecot.user, password: dovecot.password }),
      fall: 1,
      timeoutMs: 5_000,
    });
    await good.checkNow();
    expect(good.status()[0]).toMatchObject({ up: true, checks: 1, failures: 0 });
    await good.stop();
  });

  it("marks a closed port down after `fall` failures, keeps Dovecot up, and brings the port back after `rise` successes", async () => {
    const closedPort = await freePort();
    const hosts: BackendHost[] = [
      { id: "dovecot", host: "127.0.0.1", port: dovecot.port },
      { id: "flaky", host: "127.0.0.1", port: closedPort },
    ];
    // A generous timeout: on a loaded machine a Dovecot greeting can take a while.
    const checker = new HealthChecker(hosts, { intervalMs: 30, timeoutMs: 5_000, fall: 3, rise: 2 });
    const events: HealthEvent[] = [];
    checker.onChange((e) => events.push(e));
    const status = (id: string) => checker.status().find((s) => s.id === id)!;
    checker.start();
    expect(checker.isUp("flaky")).toBe(true); // optimistic until proven down

    await until(() => status("flaky").checks >= 1);
    // One or two failures are not enough (hysteresis).
    if (status("flaky").consecutiveFailures < 3) expect(checker.isUp("flaky")).toBe(true);
    await until(() => !checker.isUp("flaky"));
    expect(status("flaky").consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ hostId: "flaky", up: false });
    expect(events[0]!.reason).toMatch(/ECONNREFUSED/);

    // Something that greets appears on the port: up again after two good probes, not one.
    const greeter = await fakeServer(closedPort, (s) => s.write("* OK [CAPABILITY IMAP4rev1] ready\r\n"));
    try {
      await until(() => status("flaky").consecutiveSuccesses >= 1);
      if (status("flaky").consecutiveSuccesses < 2) expect(checker.isUp("flaky")).toBe(false);
      await until(() => checker.isUp("flaky"));
      expect(events.map((e) => [e.hostId, e.up])).toEqual([
        ["flaky", false],
        ["flaky", true],
      ]);
      const d = status("dovecot");
      expect(d.up).toBe(true);
      expect(d.failures).toBe(0);
      expect(d.checks).toBeGreaterThanOrEqual(1); // its probes run on their own chain, at their own pace
    } finally {
      await checker.stop();
      await new Promise<void>((r) => greeter.close(() => r()));
    }
    // Stopped: no more probes.
    const checks = status("dovecot").checks;
    await new Promise((r) => setTimeout(r, 150));
    expect(status("dovecot").checks).toBe(checks);
  });
});

describe("health probe failures", () => {
  it("a server that accepts but never greets fails by timeout, and the checker counts it", async () => {
    const port = await freePort();
    const silent = await fakeServer(port, () => {});
    try {
      const host = { id: "silent", host: "127.0.0.1", port };
      const checker = new HealthChecker([host], { timeoutMs: 100, fall: 1, rise: 1 });
      const started = Date.now();
      await checker.checkNow();
      expect(Date.now() - started).toBeLessThan(3_000); // the server would never have answered
      expect(checker.isUp("silent")).toBe(false);
      expect(checker.status()[0]!.lastError).toMatch(/timed out after 100 ms/);
      await checker.stop();
    } finally {
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it("a BYE greeting, garbage, or an early close is unhealthy", async () => {
    const cases: Array<[(s: Socket) => void, RegExp]> = [
      [(s) => s.end("* BYE too busy\r\n"), /unexpected greeting: \* BYE too busy/],
      [(s) => s.write("HTTP/1.1 400 Bad Request\r\n"), /unexpected greeting/],
      [(s) => s.end(), /closed before the greeting/],
      [(s) => s.write("* OK ".padEnd(9_000, "x")), /greeting too long/],
    ];
    for (const [behaviour, expected] of cases) {
      const port = await freePort();
      const server = await fakeServer(port, behaviour);
      try {
        await expect(probeOnce({ id: "x", host: "127.0.0.1", port })).rejects.toThrow(expected);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    }
  });

  it("a probe that throws synchronously or hangs never escapes or outlives stop()", async () => {
    let calls = 0;
    const checker = new HealthChecker([{ id: "a", host: "127.0.0.1", port: 1 }], {
      intervalMs: 10,
      timeoutMs: 5_000,
      fall: 2,
      probe: (_host, signal) => {
        calls++;
        if (calls <= 2) throw new Error("boom");
        return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
      },
    });
    checker.start();
    await until(() => !checker.isUp("a"));
    await until(() => calls >= 3);
    const started = Date.now();
    await checker.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(checker.status()[0]).toMatchObject({ checks: 2, failures: 2, lastError: "boom" });
  });

  it("sends a PROXY v2 LOCAL header first to a host configured for PROXY protocol", async () => {
    const port = await freePort();
    const firstBytes: Buffer[] = [];
    const server = await fakeServer(port, (s) => {
      s.once("data", (chunk: Buffer) => {
        firstBytes.push(chunk);
        s.write("* OK ready\r\n");
      });
    });
    try {
      await probeOnce({ id: "pp", host: "127.0.0.1", port, sendProxyProtocol: true });
      const signature = Buffer.from("0d0a0d0a000d0a515549540a", "hex");
      expect(firstBytes[0]!.subarray(0, 12)).toEqual(signature);
      expect(firstBytes[0]![12]).toBe(0x20); // version 2, command LOCAL
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("refuses nonsensical settings", () => {
    expect(() => new HealthChecker([], { fall: 0 })).toThrow(/fall must be > 0/);
    expect(() => new HealthChecker([], { intervalMs: -1 })).toThrow(/intervalMs/);
  });
});
