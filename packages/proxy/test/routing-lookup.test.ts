import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "@holdfast/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpLookup, LOOKUP_FAILED, Router, RoutingConfigError, RoutingError } from "../src/index.js";

/*
 * HTTP lookup routing against a real HTTP server on 127.0.0.1: answers, caching with
 * positive and negative TTLs, request coalescing, the bounded cache, timeouts and every
 * kind of bad answer (each a RoutingError = NO [UNAVAILABLE] at login, never a crash).
 */

type Handler = (req: IncomingMessage, res: ServerResponse, user: string) => void;

let server: Server;
let base: string;
let handler: Handler;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const user = new URL(req.url ?? "/", "http://x").searchParams.get("user") ?? "";
    seen.push(user);
    handler(req, res, user);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
  handler = (_req, res, user) => {
    if (user.startsWith("nobody")) res.writeHead(404).end();
    else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answerFor(user)));
  };
});

function answerFor(user: string) {
  return user === "alice"
    ? { host: "127.0.0.1", port: 1143, destuser: "alice@store7" }
    : { host: "10.1.2.3", port: 143 };
}

class Clock {
  t = 1_000_000;
  now = () => this.t;
}

function lookup(options: Partial<ConstructorParameters<typeof HttpLookup>[0]> = {}) {
  return new HttpLookup({ url: `${base}/route?user={user}`, ...options });
}

async function failure(promise: Promise<unknown>): Promise<RoutingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RoutingError);
  expect((error as RoutingError).code).toBe("UNAVAILABLE");
  return error as RoutingError;
}

describe("HttpLookup", () => {
  it("answers host, port and destuser, and caches the answer for the TTL", async () => {
    const clock = new Clock();
    const l = lookup({ ttlMs: 60_000, now: clock.now });
    expect(await l.resolve("alice")).toEqual({ host: "127.0.0.1", port: 1143, destuser: "alice@store7" });
    expect(await l.resolve("alice")).toEqual({ host: "127.0.0.1", port: 1143, destuser: "alice@store7" });
    expect(l.requests).toBe(1);
    clock.t += 59_999;
    await l.resolve("alice");
    expect(l.requests).toBe(1);
    clock.t += 2;
    await l.resolve("alice");
    expect(l.requests).toBe(2);
    expect(seen).toEqual(["alice", "alice"]);
  });

  it("caches 'no such user' (404) for the negative TTL", async () => {
    const clock = new Clock();
    const l = lookup({ ttlMs: 60_000, negativeTtlMs: 5_000, now: clock.now });
    expect(await l.resolve("nobody")).toBeNull();
    expect(await l.resolve("nobody")).toBeNull();
    expect(l.requests).toBe(1);
    clock.t += 5_001;
    expect(await l.resolve("nobody")).toBeNull();
    expect(l.requests).toBe(2);
  });

  it("shares one request between concurrent lookups of a user", async () => {
    handler = (_req, res, user) => {
      setTimeout(() => res.writeHead(200).end(JSON.stringify(answerFor(user))), 100);
    };
    const l = lookup();
    const answers = await Promise.all(Array.from({ length: 20 }, () => l.resolve("bob")));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(l.requests).toBe(1);
  });

  it("keeps at most maxEntries users (least recently used dropped)", async () => {
    const l = lookup({ maxEntries: 2 });
    await l.resolve("u1");
    await l.resolve("u2");
    await l.resolve("u1"); // u1 is now the most recent
    await l.resolve("u3"); // drops u2
    expect(l.requests).toBe(3);
    await l.resolve("u1");
    expect(l.requests).toBe(3);
    await l.resolve("u2");
    expect(l.requests).toBe(4);
  });

  it("URL-encodes the user", async () => {
    const l = lookup();
    await l.resolve("a&b=c d@example.org");
    expect(seen).toEqual(["a&b=c d@example.org"]);
  });

  it("times out a slow lookup, does not cache the failure, and recovers", async () => {
    let slow = true;
    handler = (_req, res, user) => {
      if (slow) setTimeout(() => res.writeHead(200).end(JSON.stringify(answerFor(user))), 3_000);
      else res.writeHead(200).end(JSON.stringify(answerFor(user)));
    };
    const l = lookup({ timeoutMs: 150 });
    const started = Date.now();
    const error = await failure(l.resolve("carol"));
    expect(error.detail).toMatch(/timed out after 150 ms/);
    expect(error.message).toBe(LOOKUP_FAILED); // nothing about the lookup service reaches the client
    expect(Date.now() - started).toBeLessThan(2_500); // did not wait for the 3 s answer
    slow = false;
    expect(await l.resolve("carol")).toEqual({ host: "10.1.2.3", port: 143 });
    expect(l.requests).toBe(2);
  });

  it("turns bad answers into RoutingError, uncached", async () => {
    const bodies: Array<[number, string, RegExp]> = [
      [200, "{not json", /invalid JSON/],
      [200, "[1,2]", /not a JSON object/],
      [200, JSON.stringify({ port: 143 }), /no valid host/],
      [200, JSON.stringify({ host: "10.0.0.1" }), /no valid port/],
      [200, JSON.stringify({ host: "10.0.0.1", port: 70_000 }), /no valid port/],
      [200, JSON.stringify({ host: "10.0.0.1", port: 143, destuser: "a\r\nb" }), /invalid destuser/],
      [200, JSON.stringify({ host: "x".repeat(20_000), port: 1 }), /larger than/],
      [500, "oops", /HTTP 500/],
      [302, "", /HTTP 302/],
    ];
    for (const [status, body, expected] of bodies) {
      handler = (_req, res) => res.writeHead(status, status === 302 ? { location: "/elsewhere" } : {}).end(body);
      const l = lookup();
      const error = await failure(l.resolve("dave"));
      expect(error.detail).toMatch(expected);
      await failure(l.resolve("dave"));
      expect(l.requests).toBe(2);
    }
  });

  it("reports a refused connection as a RoutingError", async () => {
    const closed = await freePort();
    const l = new HttpLookup({ url: `http://127.0.0.1:${closed}/route?user={user}`, timeoutMs: 1_000 });
    const error = await failure(l.resolve("erin"));
    expect(error.detail).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toMatch(/127\.0\.0\.1/);
  });

  it("refuses a URL template without {user} or with another scheme", () => {
    expect(() => new HttpLookup({ url: `${base}/route` })).toThrow(/must contain \{user\}/);
    expect(() => new HttpLookup({ url: "ftp://x/{user}" })).toThrow(/http or https/);
  });
});

describe("Router with strategy lookup", () => {
  const pool = [
    { id: "imap1", host: "127.0.0.1", port: 1143, tls: "starttls" as const },
    { id: "imap2", host: "127.0.0.2", port: 1143 },
  ];

  it("puts the looked-up host first (pool settings when it is a pool host) and carries destuser", async () => {
    const router = new Router({ strategy: "lookup", hosts: pool, lookup: { url: `${base}/route?user={user}` } });
    const route = await router.route("Alice");
    expect(seen).toEqual(["alice"]);
    expect(route.map((h) => h.id)).toEqual(["imap1", "imap2"]);
    expect(route[0]).toMatchObject({ host: "127.0.0.1", port: 1143, tls: "starttls", user: "alice@store7" });
    expect(route.every((h) => h.user === "alice@store7")).toBe(true);
  });

  it("makes an ad-hoc host with the configured defaults for a host outside the pool", async () => {
    const router = new Router({
      strategy: "lookup",
      hosts: [],
      lookup: { url: `${base}/route?user={user}`, hostDefaults: { tls: "implicit", servername: "imap.example" } },
    });
    expect(await router.route("bob")).toEqual([
      { id: "10.1.2.3:143", host: "10.1.2.3", port: 143, tls: "implicit", servername: "imap.example" },
    ]);
  });

  it("refuses an unknown user and a failing lookup with NO [UNAVAILABLE] material", async () => {
    const router = new Router({ strategy: "lookup", hosts: pool, lookup: { url: `${base}/route?user={user}` } });
    expect((await failure(router.route("nobody1"))).message).toMatch(/no backend is known for nobody1/);
    handler = (_req, res) => res.writeHead(503).end();
    await failure(router.route("carol"));
  });

  it("move() beats the lookup's host but keeps its destuser", async () => {
    const router = new Router({ strategy: "lookup", hosts: pool, lookup: { url: `${base}/route?user={user}` } });
    router.move("alice", "imap2");
    const route = await router.route("alice");
    expect(route.map((h) => h.id)).toEqual(["imap2", "imap1"]);
    expect(route[0]!.user).toBe("alice@store7");
  });

  it("names the pool in configuration errors", () => {
    expect(() => new Router({ name: "east", strategy: "lookup", hosts: [], lookup: { url: "nope" } })).toThrow(
      RoutingConfigError,
    );
    expect(() => new Router({ name: "east", strategy: "lookup", hosts: [], lookup: { url: "nope" } })).toThrow(
      /pool east: lookup url must contain/,
    );
  });
});
