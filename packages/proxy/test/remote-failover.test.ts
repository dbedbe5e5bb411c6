import { type DovecotCluster, startDovecotCluster } from "@holdfast/testkit";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImapServer } from "../src/index.js";
import { createRemoteBackend, ImapClient, type RemoteBackend } from "../src/remote/index.js";
import type { BackendHost } from "../src/remote/types.js";
import { RawClient } from "./helpers/raw-client.js";
import { MESSAGE, wholeBodyFetch } from "./remote-fixtures.js";

/*
 * First failover tests: two Dovecot instances on one shared mail folder (same UIDs, same
 * UIDVALIDITY), the proxy in front with route [imap0, imap1]. The test SIGKILLs the
 * instance a session uses, changes the mailbox through the other one meanwhile, and checks
 * that the client, connected the whole time, sees exactly those changes and goes on.
 * (The big kill/restart soak test lives in failover-*.test.ts.)
 */

let cluster: DovecotCluster;
let hosts: BackendHost[];
let route: BackendHost[] = [];

interface Proxy {
  server: ImapServer;
  port: number;
  backend: RemoteBackend;
}
const proxies: Proxy[] = [];
const clients: ImapFlow[] = [];

/** What the remote backends logged (info and up), for checks of the path taken. */
const logged: string[] = [];
const logger = {
  debug() {},
  info(_o: object, msg?: string) {
    logged.push(msg ?? "");
  },
  warn(_o: object, msg?: string) {
    logged.push(msg ?? "");
  },
  error(_o: object, msg?: string) {
    logged.push(msg ?? "");
  },
  child() {
    return logger;
  },
};

async function startProxy(budgetMs = 20_000): Promise<Proxy> {
  const remote = createRemoteBackend({
    logger,
    route: async () => route,
    reconnect: { budgetMs, initialDelayMs: 20 },
    idleAfterMs: 30,
  });
  const server = new ImapServer({
    backend: remote.backend,
    authenticator: remote.authenticator,
    plaintextAuth: true,
    throttle: { failureDelayMs: 10 },
  });
  const port = await server.listen({ host: "127.0.0.1", port: 0 });
  const proxy = { server, port, backend: remote.backend };
  proxies.push(proxy);
  return proxy;
}

beforeAll(async () => {
  cluster = await startDovecotCluster({ users: [{ name: "alice", password: "alice-pw" }] });
  hosts = cluster.servers.map((s, i) => ({ id: `imap${i}`, host: s.host, port: s.port }));
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of proxies) await p.server.close(200);
  await cluster?.stop();
});

async function connect(port: number): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: "alice", pass: "alice-pw" },
    logger: false,
    disableAutoIdle: true,
  });
  client.on("error", () => {});
  await client.connect();
  clients.push(client);
  return client;
}

/** A session straight on one Dovecot instance (not through the proxy). */
async function direct(index: number): Promise<ImapClient> {
  const c = await ImapClient.connect(hosts[index]!);
  await c.login("alice", "alice-pw");
  return c;
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function ok<T>(value: T | false | undefined): T {
  if (value === false || value === undefined) throw new Error("imapflow reported a failed command");
  return value;
}

describe("failover of a remote session", () => {
  it("SIGKILL of the active backend mid-session: the IDLE client stays connected and is told what changed meanwhile", async () => {
    route = [hosts[0]!, hosts[1]!];
    const proxy = await startProxy();
    const mailbox = "Failover1";
    const setup = await direct(1);
    await setup.command({ name: "CREATE", mailbox });
    for (const s of ["one", "two", "three"]) {
      await setup.command({ name: "APPEND", mailbox, messages: [{ flags: [], data: MESSAGE(s) }] });
    }

    const client = await connect(proxy.port);
    await client.mailboxOpen(mailbox);
    expect((client.mailbox as { exists: number }).exists).toBe(3);
    const uids = (await client.search({ all: true }, { uid: true })) as number[];
    const events: { type: string; data: unknown }[] = [];
    client.on("exists", (d) => events.push({ type: "exists", data: d }));
    client.on("expunge", (d) => events.push({ type: "expunge", data: d }));
    client.on("flags", (d) => events.push({ type: "flags", data: d }));
    const idling = client.idle();
    await new Promise((r) => setTimeout(r, 200));

    await cluster.servers[0]!.kill();
    // While the proxy reconnects, another session changes the mailbox on imap1.
    await setup.command({ name: "SELECT", mailbox, condstore: false });
    await setup.command({ name: "APPEND", mailbox, messages: [{ flags: ["\\Flagged"], data: MESSAGE("four") }] });
    await setup.command({
      name: "STORE",
      uid: true,
      set: [{ start: uids[0]!, end: uids[0]! }],
      action: { operation: "add", silent: true, flags: ["\\Seen"] },
    });
    await setup.command({
      name: "STORE",
      uid: true,
      set: [{ start: uids[1]!, end: uids[1]! }],
      action: { operation: "add", silent: true, flags: ["\\Deleted"] },
    });
    await setup.command({ name: "EXPUNGE", uid: true, set: [{ start: uids[1]!, end: uids[1]! }] });

    await waitFor(
      () =>
        events.some((e) => e.type === "exists") &&
        events.some((e) => e.type === "expunge") &&
        events.some((e) => e.type === "flags"),
    );
    const session = proxy.backend.sessionsOf("alice")[0]!;
    expect(session.hostId).toBe("imap1");
    expect(session.reconnects).toBe(1);

    // The client goes on: its view equals the backend's.
    await client.noop();
    await idling.catch(() => {});
    const view: { uid: number; flags: string[] }[] = [];
    for await (const m of client.fetch("1:*", { uid: true, flags: true }))
      view.push({ uid: m.uid, flags: [...m.flags!].sort() });
    const truth = await setup.command({
      name: "FETCH",
      uid: true,
      set: [{ start: 1, end: "*" }],
      items: [{ type: "UID" }, { type: "FLAGS" }],
      vanished: false,
    });
    const expected = truth.untagged
      .flatMap((u) => (u.type === "FETCH" ? [u.items] : []))
      .map((items) => ({
        uid: (items.find((i) => i.name === "UID") as { value: number }).value,
        flags: [...(items.find((i) => i.name === "FLAGS") as { value: string[] }).value]
          .filter((f) => f !== "\\Recent")
          .sort(),
      }))
      .sort((a, b) => a.uid - b.uid);
    expect(view.map((v) => ({ uid: v.uid, flags: v.flags.filter((f) => f !== "\\Recent") }))).toEqual(expected);
    expect(view.map((v) => v.uid)).toEqual([uids[0], uids[2], expect.any(Number)]);
    expect(view[0]!.flags).toContain("\\Seen");
    expect(view[2]!.flags).toContain("\\Flagged");

    const stored = ok(await client.messageFlagsAdd(String(uids[2]), ["$Later"], { uid: true }));
    expect(stored).toBe(true);
    await setup.logout();
    await cluster.servers[0]!.restart();
  });

  it("kill and restart of the only backend on the same port: the session carries on", async () => {
    route = [hosts[0]!];
    const proxy = await startProxy();
    const client = await connect(proxy.port);
    await client.mailboxOpen("INBOX");
    const before = (client.mailbox as { exists: number }).exists;
    await cluster.servers[0]!.kill();
    await cluster.servers[0]!.restart();
    // A command right away: it waits for the reconnect (or is re-issued) and succeeds.
    const appended = ok(await client.append("INBOX", MESSAGE("after restart")));
    await client.noop();
    expect((client.mailbox as { exists: number }).exists).toBe(before + 1);
    const m = ok(await client.fetchOne(String(appended.uid), { envelope: true }, { uid: true }));
    expect(m.envelope?.subject).toBe("after restart");
    const session = proxy.backend.sessionsOf("alice")[0]!;
    expect(session.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("no backend within the budget: the client gets * BYE [UNAVAILABLE]", async () => {
    route = [hosts[0]!];
    const proxy = await startProxy(800);
    const raw = await RawClient.open(proxy.port);
    await raw.line();
    await raw.command("a", "LOGIN alice alice-pw");
    await raw.command("b", "SELECT INBOX");
    await cluster.servers[0]!.kill();
    const bye = await raw.line(10_000);
    expect(bye).toMatch(/^\* BYE \[UNAVAILABLE\] .*No mail server reachable/);
    await raw.waitClosed();
    await cluster.servers[0]!.restart();
  });

  it("UIDVALIDITY changed while the session was away: BYE instead of a wrong view", async () => {
    route = [hosts[0]!, hosts[1]!];
    const proxy = await startProxy();
    const setup = await direct(1);
    await setup.command({ name: "CREATE", mailbox: "Recreated" });
    await setup.command({ name: "APPEND", mailbox: "Recreated", messages: [{ flags: [], data: MESSAGE("old") }] });
    const raw = await RawClient.open(proxy.port);
    await raw.line();
    await raw.command("a", "LOGIN alice alice-pw");
    await raw.command("b", "SELECT Recreated");
    // Make imap0 unreachable and recreate the mailbox on imap1 before the proxy gets there.
    route = [hosts[0]!];
    await cluster.servers[0]!.kill();
    await setup.command({ name: "DELETE", mailbox: "Recreated" });
    await setup.command({ name: "CREATE", mailbox: "Recreated" });
    route = [hosts[0]!, hosts[1]!];
    const bye = await raw.line(15_000);
    expect(bye).toMatch(/^\* BYE \[UNAVAILABLE\] .*UIDVALIDITY changed/);
    await raw.waitClosed();
    await waitFor(() => proxy.backend.sessionsOf("alice").length === 0);
    await setup.logout();
    await cluster.servers[0]!.restart();
  });

  it("a body half streamed when the backend dies is finished from the other backend, byte for byte", async () => {
    route = [hosts[0]!, hosts[1]!];
    const proxy = await startProxy();
    // Large enough that the kernel's socket buffers (Dovecot's send buffer, the proxy's receive
    // buffer, autotuned up to several MB once the proxy reads 1 MiB at a time) cannot take
    // the whole message while the proxy is paused: 12 MB often went through before the kill.
    const body = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = 0x41 + (((i * 7) >> 3) % 26);
    for (let i = 998; i < body.length; i += 1000) body.write("\r\n", i - 2, "latin1");
    const message = Buffer.concat([MESSAGE("huge", ""), body]);
    const setup = await direct(1);
    await setup.command({ name: "CREATE", mailbox: "Huge" });
    const appended = await setup.command({ name: "APPEND", mailbox: "Huge", messages: [{ flags: [], data: message }] });
    const uid = appended.code?.name === "APPENDUID" ? (appended.code.uids as { start: number }[])[0]!.start : 1;
    await setup.logout();

    // The proxy's client: an ImapClient that stops reading after the first chunk.
    const client = await ImapClient.connect(
      { id: "proxy", host: "127.0.0.1", port: proxy.port },
      { streamThreshold: 1 },
    );
    await client.login("alice", "alice-pw");
    await client.command({ name: "SELECT", mailbox: "Huge", condstore: false });
    const chunks: Buffer[] = [];
    let announced = 0;
    let killed: Promise<void> | null = null;
    const done = client.command(wholeBodyFetch(uid), {
      onLiteral: (ev) => {
        if (ev.type === "literal-start") announced = ev.size;
        if (ev.type !== "literal-chunk") return;
        chunks.push(ev.chunk);
        if (killed === null) {
          client.pause();
          killed = (async () => {
            await new Promise((r) => setTimeout(r, 300)); // the proxy fills up and pauses its backend
            await cluster.servers[0]!.kill();
            client.resume();
          })();
        }
      },
    });
    await done;
    await killed;
    const got = Buffer.concat(chunks);
    expect(announced).toBe(message.length);
    expect(got.length).toBe(message.length);
    expect(got.equals(message)).toBe(true);
    expect(logged).toContain("finishing a body from the new backend connection");
    const session = proxy.backend.sessionsOf("alice")[0]!;
    expect(session.hostId).toBe("imap1");
    await client.noop();
    await client.logout();
    await cluster.servers[0]!.restart();
  });

  it("reconnectUser (admin move) switches a session to route(user)'s new first host without the client noticing", async () => {
    route = [hosts[0]!, hosts[1]!];
    const proxy = await startProxy();
    const client = await connect(proxy.port);
    await client.mailboxOpen("INBOX");
    const session = proxy.backend.sessionsOf("alice")[0]!;
    expect(session.hostId).toBe("imap0");
    route = [hosts[1]!, hosts[0]!];
    expect(proxy.backend.reconnectUser("alice")).toBe(1);
    expect(proxy.backend.reconnectUser("nobody")).toBe(0);
    await waitFor(() => session.hostId === "imap1");
    const appended = ok(await client.append("INBOX", MESSAGE("after the move")));
    const m = ok(await client.fetchOne(String(appended.uid), { envelope: true }, { uid: true }));
    expect(m.envelope?.subject).toBe("after the move");
  });
});
