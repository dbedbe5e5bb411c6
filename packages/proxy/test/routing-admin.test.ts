import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MOVE_REASON, Router, RoutingAdmin, RoutingError } from "../src/index.js";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";
import { RawClient } from "./helpers/raw-client.js";

/*
 * Admin kick and move with real client connections: kicked sessions get `* BYE` and are
 * closed; other users' sessions and connections still logging in are untouched.
 */

let local: LocalServer;
const clients: RawClient[] = [];

beforeEach(async () => {
  local = await startLocalServer({ alice: "pw-alice", bob: "pw-bob" });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await local.stop();
});

async function loggedIn(user: string, password: string): Promise<RawClient> {
  const client = await RawClient.open(local.port);
  clients.push(client);
  await client.line();
  const reply = await client.command("a1", `LOGIN ${user} ${password}`);
  expect(reply.at(-1)).toMatch(/^a1 OK/);
  return client;
}

async function rest(client: RawClient): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const line = await client.line(3000).catch(() => null);
    if (line === null || line === "") break;
    lines.push(line);
  }
  return lines;
}

describe("ImapServer.kick", () => {
  it("sends * BYE with the reason to every session of the user (any case) and closes them", async () => {
    const a1 = await loggedIn("alice", "pw-alice");
    const a2 = await loggedIn("alice", "pw-alice");
    expect((await a2.command("s", "SELECT INBOX")).at(-1)).toMatch(/^s OK/);
    const b = await loggedIn("bob", "pw-bob");
    const anonymous = await RawClient.open(local.port);
    clients.push(anonymous);
    await anonymous.line();

    expect(local.server.kick("ALICE", "Maintenance, back in a minute.")).toBe(2);
    for (const c of [a1, a2]) {
      expect(await rest(c)).toContain("* BYE Maintenance, back in a minute.");
      await c.waitClosed();
      expect(c.closed).toBe(true);
    }
    // Bob and the connection that has not logged in carry on.
    expect((await b.command("n", "NOOP")).at(-1)).toMatch(/^n OK/);
    expect((await anonymous.command("c", "CAPABILITY")).at(-1)).toMatch(/^c OK/);
    expect(local.server.kick("alice", "again")).toBe(0);
    // A reason cannot inject lines into the response stream.
    const c = await loggedIn("alice", "pw-alice");
    expect(local.server.kick("alice", "bye\r\na1 OK injected\r\n")).toBe(1);
    const lines = await rest(c);
    expect(lines).toContain("* BYE bye a1 OK injected");
    expect(lines.some((l) => l.startsWith("a1 OK injected"))).toBe(false);
    expect(local.server.kick("nobody", "x")).toBe(0);
  });
});

describe("RoutingAdmin", () => {
  it("kick goes through the server; move without a reconnecting backend kicks with the move reason", async () => {
    const router = new Router({
      strategy: "hash",
      hosts: [
        { id: "imap1", host: "127.0.0.1", port: 1 },
        { id: "imap2", host: "127.0.0.1", port: 2 },
      ],
    });
    const admin = new RoutingAdmin({ server: local.server, router });
    const a = await loggedIn("alice", "pw-alice");
    const natural = (await router.route("alice")).map((h) => h.id);
    const target = natural[1]!;
    expect(admin.move("alice", target)).toEqual({ user: "alice", host: target, reconnected: 0, kicked: 1 });
    expect(await rest(a)).toContain(`* BYE ${MOVE_REASON}`);
    expect((await router.route("alice"))[0]!.id).toBe(target);
    expect(() => admin.move("alice", "imap9")).toThrow(RoutingError);
    const b = await loggedIn("bob", "pw-bob");
    expect(admin.kick("bob")).toEqual({ user: "bob", kicked: 1 });
    await b.waitClosed();
    expect(b.closed).toBe(true);
  });

  it("move uses the backend's reconnectUser when it has one, and kicks nobody", async () => {
    const router = new Router({ strategy: "hash", hosts: [{ id: "imap1", host: "127.0.0.1", port: 1 }] });
    const reconnected: string[] = [];
    const backend = {
      reconnectUser(user: string) {
        reconnected.push(user);
        return 3;
      },
    };
    const admin = new RoutingAdmin({ server: local.server, router, backend });
    const a = await loggedIn("alice", "pw-alice");
    expect(admin.move("alice", "imap1")).toEqual({ user: "alice", host: "imap1", reconnected: 3, kicked: 0 });
    expect(reconnected).toEqual(["alice"]);
    expect((await a.command("n", "NOOP")).at(-1)).toMatch(/^n OK/);
  });

  it("move on the local store is refused", () => {
    const admin = new RoutingAdmin({ server: local.server });
    expect(() => admin.move("alice", "x")).toThrow(/local store/);
    expect(() => admin.kick("")).toThrow(RoutingError);
  });
});
