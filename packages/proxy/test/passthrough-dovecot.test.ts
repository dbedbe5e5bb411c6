import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SecureContext } from "node:tls";
import { type DovecotServer, freePort, startDovecot } from "@holdfast/testkit";
import { ImapFlow } from "imapflow";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeProxyV2, ImapServer, type Logger } from "../src/index.js";
import { createPassthroughBackend, PassthroughConfigError } from "../src/passthrough/index.js";
import type { BackendHost } from "../src/remote/index.js";
import { RawClient } from "./helpers/raw-client.js";
import { testTlsContext } from "./helpers/tls.js";
import { masterConfig } from "./remote-fixtures.js";

/*
 * Passthrough against a real Dovecot: holdfast authenticates by logging in to Dovecot, then
 * splices. What the client sees after login is Dovecot's own protocol (its capabilities,
 * its responses), the client's pipelined bytes included.
 */

const USER = "holdfast";
const PASSWORD = "test-password";

let dovecot: DovecotServer;
/** A second listener of the same Dovecot that requires a PROXY v2 header (haproxy = yes). */
let haproxyPort: number;
let tls: SecureContext;
let masterDir: string;
beforeAll(async () => {
  tls = testTlsContext();
  masterDir = mkdtempSync(join(tmpdir(), "holdfast-passthrough-master-"));
  chmodSync(masterDir, 0o755);
  haproxyPort = await freePort();
  dovecot = await startDovecot({
    users: [
      { name: USER, password: PASSWORD },
      { name: "other", password: "other-pw" },
    ],
    // failed logins are answered at once (the proxy's own throttle delay is tested elsewhere)
    extraConfig: [
      "auth_failure_delay = 0",
      masterConfig(masterDir, "proxymaster", "master-secret"),
      "haproxy_trusted_networks = 127.0.0.0/8",
      "service imap-login {",
      `  inet_listener imap_haproxy {\n    address = 127.0.0.1\n    port = ${haproxyPort}\n    haproxy = yes\n  }`,
      "}",
    ].join("\n"),
  });
}, 60_000);
afterAll(async () => {
  await dovecot?.stop();
  if (masterDir) rmSync(masterDir, { recursive: true, force: true });
});

const servers: ImapServer[] = [];
const clients: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close(200)));
});

interface Entry {
  msg?: string;
  obj: Record<string, unknown>;
}

function capturingLogger(entries: Entry[], bindings: Record<string, unknown> = {}): Logger {
  const at = (obj: object, msg?: string) => entries.push({ msg, obj: { ...bindings, ...(obj as object) } });
  return { debug: at, info: at, warn: at, error: at, child: (b) => capturingLogger(entries, { ...bindings, ...b }) };
}

/** imapflow answers `false` when a command failed; a test step must not go on then. */
function ok<T>(value: T | false | undefined): T {
  if (value === false || value === undefined) throw new Error("imapflow reported a failed command");
  return value;
}

function dovecotHost(): BackendHost {
  return { id: "dovecot", host: "127.0.0.1", port: dovecot.port };
}

async function startProxy(
  hosts: () => BackendHost[],
  listen: { proxyProtocol?: { trusted: string[] } } = {},
  tlsContext?: SecureContext,
) {
  const entries: Entry[] = [];
  const { authenticator, backend } = createPassthroughBackend({
    route: async () => hosts(),
    logger: capturingLogger(entries),
    client: { connectTimeoutMs: 3000 },
  });
  const server = new ImapServer({
    backend,
    authenticator,
    plaintextAuth: tlsContext === undefined,
    tlsContext,
    throttle: { failureDelayMs: 10 },
    logger: capturingLogger(entries),
  });
  servers.push(server);
  const port = await server.listen({ host: "127.0.0.1", port: 0, ...listen });
  return { server, port, entries };
}

async function raw(port: number): Promise<RawClient> {
  const c = await RawClient.open(port);
  clients.push(c);
  expect(await c.line()).toMatch(/^\* OK \[CAPABILITY .*\] Holdfast ready\./);
  return c;
}

async function flow(port: number, user = USER, pass = PASSWORD): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass },
    logger: false,
  });
  client.on("error", () => {});
  await client.connect();
  clients.push({ close: () => client.close() });
  return client;
}

function message(subject: string, bodyBytes = 200): string {
  const head = `From: a@example.org\r\nTo: b@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}.${Date.now()}@example.org>\r\n\r\n`;
  const line = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n";
  return head + line.repeat(Math.ceil(bodyBytes / line.length)).slice(0, bodyBytes);
}

describe("passthrough to Dovecot", () => {
  it("imapflow works through it: select, append, fetch (a 2 MB body intact), store, idle", async () => {
    const { port } = await startProxy(() => [dovecotHost()]);
    const client = await flow(port);
    // what the client learnt after login is Dovecot's list, not holdfast's
    expect([...(client.capabilities?.keys() ?? [])].some((c) => /^SORT|^THREAD=/.test(c))).toBe(true);
    const mailbox = await client.mailboxOpen("INBOX");
    const before = mailbox.exists;
    const big = message("big one", 2 * 1024 * 1024);
    const uid = ok(await client.append("INBOX", big, ["\\Seen"])).uid!;
    expect(uid).toBeGreaterThan(0);
    const fetched = ok(await client.fetchOne(String(uid), { source: true, flags: true }, { uid: true }));
    expect(fetched.source?.equals(Buffer.from(big))).toBe(true);
    expect([...(fetched.flags ?? [])]).toContain("\\Seen");
    await client.messageFlagsAdd(String(uid), ["\\Flagged"], { uid: true });
    const flags = ok(await client.fetchOne(String(uid), { flags: true }, { uid: true }));
    expect([...(flags.flags ?? [])]).toContain("\\Flagged");

    const writer = await flow(port);
    const arrived = new Promise<number>((resolve) => client.on("exists", (e: { count: number }) => resolve(e.count)));
    const idling = client.idle();
    await new Promise((r) => setTimeout(r, 100));
    await writer.append("INBOX", message("while idling"), []);
    expect(await arrived).toBe(before + 2);
    await client.noop();
    await idling;
    await client.logout();
    await writer.logout();
  });

  it("keeps the client's bytes pipelined behind LOGIN (and behind AUTHENTICATE PLAIN with SASL-IR)", async () => {
    const { port } = await startProxy(() => [dovecotHost()]);
    const c = await raw(port);
    c.write(`a1 LOGIN ${USER} ${PASSWORD}\r\na2 SELECT INBOX\r\na3 NOOP\r\na4 LOGOUT\r\n`);
    const lines = await c.untilTagged("a4");
    const tagged = lines.filter((l) => /^a\d /.test(l));
    expect(tagged.map((l) => l.slice(0, 5))).toEqual(["a1 OK", "a2 OK", "a3 OK", "a4 OK"]);
    expect(tagged[0]).toMatch(/^a1 OK \[CAPABILITY IMAP4REV1 .*\] Logged in\./);
    expect(lines.some((l) => /^\* OK \[UIDVALIDITY \d+\]/.test(l))).toBe(true);
    expect(lines).toContain("* BYE Logging out");
    await c.waitClosed();

    const s = await raw(port);
    const plain = Buffer.from(`\0${USER}\0${PASSWORD}`).toString("base64");
    s.write(`b1 AUTHENTICATE PLAIN ${plain}\r\nb2 STATUS INBOX (MESSAGES)\r\n`);
    const status = await s.untilTagged("b2");
    expect(status.some((l) => /^\* STATUS INBOX \(MESSAGES \d+\)/.test(l))).toBe(true);
  });

  it("AUTHENTICATE LOGIN over continuations, then the session is Dovecot's", async () => {
    const { port } = await startProxy(() => [dovecotHost()]);
    const c = await raw(port);
    c.write("c1 AUTHENTICATE LOGIN\r\n");
    expect(await c.line()).toBe(`+ ${Buffer.from("Username:").toString("base64")}`);
    c.write(`${Buffer.from(USER).toString("base64")}\r\n`);
    expect(await c.line()).toBe(`+ ${Buffer.from("Password:").toString("base64")}`);
    c.write(`${Buffer.from(PASSWORD).toString("base64")}\r\nc2 NAMESPACE\r\n`);
    const lines = await c.untilTagged("c2");
    expect(lines.find((l) => l.startsWith("c1 "))).toMatch(/^c1 OK \[CAPABILITY /);
    expect(lines.at(-1)).toMatch(/^c2 OK/);
  });

  it("a refused LOGIN is a NO and the connection stays usable, its next LOGIN is passed through", async () => {
    // Dovecot delays logins from an address after failures (auth penalty): this test's
    // failures come from an address of its own, announced with a PROXY header
    const { port, server } = await startProxy(() => [dovecotHost()], { proxyProtocol: { trusted: ["127.0.0.1"] } });
    const c = await RawClient.open(port);
    clients.push(c);
    c.write(
      encodeProxyV2({ source: { address: "198.51.100.23", port: 1 }, destination: { address: "127.0.0.1", port } }),
    );
    expect(await c.line()).toMatch(/^\* OK/);
    // bytes pipelined behind a failed LOGIN are parsed by holdfast, as usual
    c.write(`a1 LOGIN ${USER} wrong\r\na2 CAPABILITY\r\n`);
    const lines = await c.untilTagged("a2", 15_000);
    const tagged = lines.filter((l) => /^a\d /.test(l));
    expect(tagged[0]).toMatch(/^a1 NO \[AUTHENTICATIONFAILED\]/);
    expect(tagged[1]).toMatch(/^a2 OK/);
    expect(lines.find((l) => l.startsWith("* CAPABILITY"))).toMatch(/AUTH=PLAIN/); // still holdfast's
    expect((await c.command("a3", `LOGIN ${USER} ${PASSWORD}`, 30_000)).at(-1)).toMatch(/^a3 OK \[CAPABILITY /);
    expect((await c.command("a4", "SELECT INBOX")).at(-1)).toMatch(/^a4 OK \[READ-WRITE\]/);
    expect(server.connections.size).toBe(1);
  });

  it("no backend reachable: NO [UNAVAILABLE], the connection stays usable; the next host of the route is tried", async () => {
    const dead = await freePort();
    const down: BackendHost = { id: "down", host: "127.0.0.1", port: dead };
    let route = [down];
    const { port } = await startProxy(() => route);
    const c = await raw(port);
    expect((await c.command("a1", `LOGIN ${USER} ${PASSWORD}`)).at(-1)).toMatch(/^a1 NO \[UNAVAILABLE\]/);
    expect((await c.command("a2", "NOOP")).at(-1)).toMatch(/^a2 OK/);
    route = [down, dovecotHost()];
    expect((await c.command("a3", `LOGIN ${USER} ${PASSWORD}`)).at(-1)).toMatch(/^a3 OK \[CAPABILITY /);
  });

  it("the client closing ends the backend connection; the backend closing ends the client's; sessions are released", async () => {
    const { port, server } = await startProxy(() => [dovecotHost()]);
    const a = await raw(port);
    await a.command("a1", `LOGIN ${USER} ${PASSWORD}`);
    const b = await raw(port);
    await b.command("b1", `LOGIN other other-pw`);
    expect(server.connections.size).toBe(2);
    a.close();
    for (let i = 0; i < 100 && server.connections.size > 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.connections.size).toBe(1);
    // server shutdown: spliced sessions are ended, not sent a BYE into the backend's stream
    await server.close(2000);
    await b.waitClosed();
    expect(b.closed).toBe(true);
  });

  it("the client address (from a trusted PROXY header) reaches Dovecot as x-originating-ip", async () => {
    const { port } = await startProxy(() => [dovecotHost()], { proxyProtocol: { trusted: ["127.0.0.1"] } });
    const c = await RawClient.open(port);
    clients.push(c);
    c.write(
      Buffer.concat([
        encodeProxyV2({ source: { address: "203.0.113.77", port: 4242 }, destination: { address: "127.0.0.1", port } }),
        Buffer.from(`a1 LOGIN ${USER} ${PASSWORD}\r\n`),
      ]),
    );
    await c.untilTagged("a1");
    let log = "";
    for (let i = 0; i < 50 && !log.includes("rip=203.0.113.77"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      log = dovecot.log();
    }
    expect(log).toMatch(/Login: user=<holdfast>.*rip=203\.0\.113\.77/);
  });

  it("a host with sendProxyProtocol gets a PROXY v2 header with the client's address (Dovecot haproxy listener)", async () => {
    const host: BackendHost = { id: "haproxy", host: "127.0.0.1", port: haproxyPort, sendProxyProtocol: true };
    const { port } = await startProxy(() => [host], { proxyProtocol: { trusted: ["127.0.0.1"] } });
    const c = await RawClient.open(port);
    clients.push(c);
    c.write(
      Buffer.concat([
        encodeProxyV2({ source: { address: "192.0.2.201", port: 6000 }, destination: { address: "127.0.0.1", port } }),
        Buffer.from(`a1 LOGIN ${USER} ${PASSWORD}\r\na2 SELECT INBOX\r\n`),
      ]),
    );
    const lines = await c.untilTagged("a2");
    expect(lines.at(-1)).toMatch(/^a2 OK/);
    let log = "";
    for (let i = 0; i < 50 && !log.includes("rip=192.0.2.201"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      log = dovecot.log();
    }
    // 192.0.2.201 is not in Dovecot's login_trusted_networks, so it came from the header, not ID
    expect(log).toMatch(/Login: user=<holdfast>.*rip=192\.0\.2\.201/);
  });

  it("after STARTTLS the TLS connection is the one spliced", async () => {
    const { port } = await startProxy(() => [dovecotHost()], {}, tls);
    const c = await raw(port);
    expect((await c.command("s1", "STARTTLS")).at(-1)).toMatch(/^s1 OK/);
    await c.startTls();
    c.write(`s2 LOGIN ${USER} ${PASSWORD}\r\ns3 LIST "" INBOX\r\n`);
    const lines = await c.untilTagged("s3");
    expect(lines.find((l) => l.startsWith("s2 "))).toMatch(/^s2 OK \[CAPABILITY /);
    expect(lines.some((l) => /^\* LIST .*INBOX/.test(l))).toBe(true);
  });

  it("a large APPEND pipelined right behind LOGIN (more than the raw hold bound) arrives whole", async () => {
    const { port } = await startProxy(() => [dovecotHost()]);
    const c = await raw(port);
    const body = message("pipelined append", 600_000);
    c.write(
      Buffer.concat([
        Buffer.from(`p1 LOGIN ${USER} ${PASSWORD}\r\np2 APPEND INBOX {${Buffer.byteLength(body)}+}\r\n`),
        Buffer.from(body),
        Buffer.from("\r\np3 NOOP\r\n"),
      ]),
    );
    const lines = await c.untilTagged("p3", 15_000);
    const appendOk = lines.find((l) => l.startsWith("p2 "));
    expect(appendOk).toMatch(/^p2 OK \[APPENDUID \d+ \d+\]/);
    const uid = /APPENDUID \d+ (\d+)/.exec(appendOk!)![1];
    const reader = await flow(port);
    await reader.mailboxOpen("INBOX");
    const fetched = ok(await reader.fetchOne(uid!, { source: true }, { uid: true }));
    expect(fetched.source?.toString()).toBe(body);
    await reader.logout();
  });

  it("the backend dying mid-session closes the client's connection (no failover in this mode)", async () => {
    const doomed = await startDovecot({ users: [{ name: USER, password: PASSWORD }] });
    try {
      const { port, server } = await startProxy(() => [{ id: "doomed", host: "127.0.0.1", port: doomed.port }]);
      const c = await raw(port);
      expect((await c.command("k1", `LOGIN ${USER} ${PASSWORD}`)).at(-1)).toMatch(/^k1 OK/);
      expect((await c.command("k2", "SELECT INBOX")).at(-1)).toMatch(/^k2 OK/);
      await doomed.kill();
      await c.waitClosed(10_000);
      expect(c.closed).toBe(true);
      for (let i = 0; i < 100 && server.connections.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(server.connections.size).toBe(0);
    } finally {
      await doomed.stop();
    }
  });

  it("master-user backend login: the client's password is checked by `verify` (required), the backend gets user*master", async () => {
    const login = { mode: "master" as const, user: "proxymaster", password: "master-secret" };
    // without a verifier any password would get in: refused at construction
    expect(() => createPassthroughBackend({ route: async () => [dovecotHost()], login })).toThrow(
      PassthroughConfigError,
    );
    const checked: string[] = [];
    const { authenticator, backend } = createPassthroughBackend({
      route: async () => [dovecotHost()],
      login,
      verify: {
        // the site's own password for the user, unknown to Dovecot (which has test-password)
        async authenticate(user, password) {
          checked.push(user);
          return user === USER && password === "site-password" ? USER : null;
        },
      },
    });
    const server = new ImapServer({ backend, authenticator, plaintextAuth: true, throttle: { failureDelayMs: 10 } });
    servers.push(server);
    const port = await server.listen({ host: "127.0.0.1", port: 0 });
    const c = await raw(port);
    expect((await c.command("m1", `LOGIN ${USER} ${PASSWORD}`)).at(-1)).toMatch(/^m1 NO \[AUTHENTICATIONFAILED\]/);
    // Dovecot knows only test-password for the user: this login went in as user*master
    expect((await c.command("m2", `LOGIN ${USER} site-password`)).at(-1)).toMatch(/^m2 OK \[CAPABILITY /);
    expect((await c.command("m3", "SELECT INBOX")).at(-1)).toMatch(/^m3 OK \[READ-WRITE\]/);
    expect(checked).toEqual([USER, USER]);
  });
});
