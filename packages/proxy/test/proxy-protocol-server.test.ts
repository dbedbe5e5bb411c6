import { connect, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AuthContext,
  type Authenticator,
  type Backend,
  BackendError,
  type BackendSession,
  encodeProxyV2,
  ImapServer,
  type ImapServerOptions,
  type ListenOptions,
  type Logger,
} from "../src/index.js";
import { RawClient } from "./helpers/raw-client.js";
import { testTlsContext } from "./helpers/tls.js";

/** Records the AuthContext of every LOGIN, so tests see the address the front end used. */
function recordingAuthenticator(): Authenticator & { contexts: AuthContext[] } {
  const contexts: AuthContext[] = [];
  return {
    contexts,
    async authenticate(user, password, context) {
      contexts.push(context);
      return user === "alice" && password === "pw" ? "alice" : null;
    },
  };
}

const emptyBackend: Backend = {
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

interface Entry {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

function capturingLogger(entries: Entry[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (obj: object, msg?: string) =>
    entries.push({ level, obj: { ...bindings, ...(obj as Record<string, unknown>) }, msg });
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (b) => capturingLogger(entries, { ...bindings, ...(b as Record<string, unknown>) }),
  };
}

const servers: ImapServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close(100)));
});

async function start(
  proxyProtocol: ListenOptions["proxyProtocol"],
  options: Partial<ImapServerOptions> = {},
  tls = false,
) {
  const authenticator = recordingAuthenticator();
  const entries: Entry[] = [];
  const server = new ImapServer({
    backend: emptyBackend,
    authenticator,
    plaintextAuth: true,
    tlsContext: tls ? testTlsContext() : undefined,
    throttle: { failureDelayMs: 10 },
    logger: capturingLogger(entries),
    ...options,
  });
  servers.push(server);
  const port = await server.listen({ host: "127.0.0.1", port: 0, tls, proxyProtocol });
  return { server, port, authenticator, entries };
}

/** A raw TCP connection that writes `first` at once (header and IMAP in one segment). */
async function rawWith(port: number, first: Buffer): Promise<RawClient> {
  const c = await RawClient.open(port);
  sockets.push(c.socket);
  c.write(first);
  return c;
}

function header(address: string, port: number): Buffer {
  return encodeProxyV2({ source: { address, port }, destination: { address: "127.0.0.1", port: 143 } });
}

describe("PROXY protocol on a listener", () => {
  it("a trusted peer's v2 header, pipelined with LOGIN, gives the announced address to the authenticator and the logs", async () => {
    const { port, authenticator, entries } = await start({ trusted: ["127.0.0.0/8"] });
    const c = await rawWith(port, Buffer.concat([header("203.0.113.9", 40123), Buffer.from("a1 LOGIN alice pw\r\n")]));
    expect(await c.line()).toMatch(/^\* OK \[CAPABILITY /);
    expect((await c.untilTagged("a1")).at(-1)).toMatch(/^a1 OK/);
    expect(authenticator.contexts[0]).toMatchObject({ remoteAddress: "203.0.113.9", remotePort: 40123 });
    const connected = entries.find((e) => e.msg === "connected");
    expect(connected?.obj).toMatchObject({ remote: "203.0.113.9", via: "127.0.0.1" });
  });

  it("per-address connection limits count the announced address, not the balancer's", async () => {
    const { port } = await start({ trusted: ["127.0.0.1"] }, { maxConnectionsPerAddress: 1 });
    const first = await rawWith(port, header("198.51.100.1", 1000));
    expect(await first.line()).toMatch(/^\* OK/);
    const second = await rawWith(port, header("198.51.100.1", 1001));
    expect(await second.line()).toMatch(/^\* BYE Too many connections/);
    const other = await rawWith(port, header("198.51.100.2", 1002));
    expect(await other.line()).toMatch(/^\* OK/);
  });

  it("the auth throttle counts failures against the announced address", async () => {
    const { port } = await start({ trusted: ["127.0.0.1"] }, { throttle: { failureDelayMs: 1, maxFailures: 2 } });
    const guesser = await rawWith(port, header("198.51.100.66", 1));
    await guesser.line();
    for (const tag of ["a1", "a2"])
      expect((await guesser.command(tag, "LOGIN mallory x")).at(-1)).toMatch(/AUTHENTICATIONFAILED/);
    expect((await guesser.command("a3", "LOGIN alice pw")).at(-1)).toMatch(/^a3 NO \[LIMIT\]/);
    // another client behind the same balancer is not locked out
    const other = await rawWith(port, header("198.51.100.67", 1));
    await other.line();
    expect((await other.command("b1", "LOGIN alice pw")).at(-1)).toMatch(/^b1 OK/);
  });

  it("v1 text headers work too; LOCAL keeps the socket's address", async () => {
    const { port, authenticator } = await start({ trusted: ["127.0.0.1/32"] });
    const v1 = await rawWith(port, Buffer.from("PROXY TCP6 2001:db8::7 ::1 5555 143\r\na1 LOGIN alice pw\r\n"));
    await v1.line();
    await v1.untilTagged("a1");
    const local = await rawWith(
      port,
      Buffer.concat([encodeProxyV2({ command: "LOCAL" }), Buffer.from("a1 LOGIN alice pw\r\n")]),
    );
    await local.line();
    await local.untilTagged("a1");
    expect(authenticator.contexts.map((c) => c.remoteAddress)).toEqual(["2001:db8::7", "127.0.0.1"]);
  });

  it("a header split over many small writes is reassembled", async () => {
    const { port, authenticator } = await start({ trusted: ["127.0.0.1"] });
    const c = await RawClient.open(port);
    sockets.push(c.socket);
    c.socket.setNoDelay(true);
    const bytes = Buffer.concat([header("192.0.2.44", 7), Buffer.from("a1 LOGIN alice pw\r\n")]);
    for (const b of bytes) {
      c.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    await c.line();
    await c.untilTagged("a1");
    expect(authenticator.contexts[0]?.remoteAddress).toBe("192.0.2.44");
  });

  it("from an untrusted peer a header is not consumed: it is IMAP garbage, the socket's address is used", async () => {
    const { port, authenticator } = await start({ trusted: ["10.0.0.0/8", "::ffff:192.168.0.0/112"] });
    const c = await rawWith(port, Buffer.from("PROXY TCP4 203.0.113.9 127.0.0.1 4000 143\r\n"));
    expect(await c.line()).toMatch(/^\* OK/); // greeted at once, not waiting for a header
    expect(await c.line()).toMatch(/^PROXY BAD/);
    await c.command("a1", "LOGIN alice pw");
    expect(authenticator.contexts[0]?.remoteAddress).toBe("127.0.0.1");
  });

  it("a trusted peer that sends IMAP instead of a header, a malformed header, or nothing is closed and the reason logged", async () => {
    const { port, entries } = await start({ trusted: ["127.0.0.1"], timeoutMs: 300 });
    const imap = await rawWith(port, Buffer.from("a1 LOGIN alice pw\r\n"));
    await imap.waitClosed();
    const malformed = await rawWith(port, Buffer.from("PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n"));
    await malformed.waitClosed();
    const oversized = await rawWith(
      port,
      encodeProxyV2({ command: "LOCAL", tlvs: [{ type: 0xe0, value: Buffer.alloc(9000) }] }),
    );
    await oversized.waitClosed();
    const silent = await RawClient.open(port);
    sockets.push(silent.socket);
    await silent.waitClosed(3000);
    for (const c of [imap, malformed, oversized, silent]) expect(c.closed).toBe(true);
    const refused = entries.filter((e) => e.msg === "PROXY header refused; closing").map((e) => e.obj.code);
    expect(refused.sort()).toEqual(["MALFORMED", "NOT_PROXY", "TIMEOUT", "TOO_LARGE"]);
    expect(entries.some((e) => e.msg === "connected")).toBe(false); // none got as far as a greeting
  });

  it("implicit TLS behind a balancer: the header comes first, then the TLS handshake", async () => {
    const { port, authenticator } = await start({ trusted: ["127.0.0.1"] }, {}, true);
    const tcp = connect(port, "127.0.0.1");
    sockets.push(tcp);
    await new Promise<void>((resolve) => tcp.once("connect", () => resolve()));
    tcp.write(header("192.0.2.77", 993));
    const secure = tlsConnect({ socket: tcp, rejectUnauthorized: false });
    sockets.push(secure);
    let received = "";
    secure.setEncoding("latin1");
    secure.on("data", (d: string) => {
      received += d;
      if (received.startsWith("* OK") && !received.includes("a1 ")) secure.write("a1 LOGIN alice pw\r\n");
    });
    for (let i = 0; i < 100 && !/a1 OK/.test(received); i++) await new Promise((r) => setTimeout(r, 30));
    expect(received).toMatch(/a1 OK/);
    expect(authenticator.contexts[0]?.remoteAddress).toBe("192.0.2.77");
    expect(authenticator.contexts[0]?.secure).toBe(true);
  });

  it("implicit TLS: a ClientHello in the same segment as the header is not lost", async () => {
    const { port, authenticator } = await start({ trusted: ["127.0.0.1"] }, {}, true);
    const tcp = connect(port, "127.0.0.1");
    sockets.push(tcp);
    await new Promise<void>((resolve) => tcp.once("connect", () => resolve()));
    tcp.setNoDelay(true);
    // the TLS client writes through this stream; its first write (the ClientHello) goes out
    // glued to the header, the way a balancer may forward a fast client's first bytes
    let first = true;
    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        tcp.write(first ? Buffer.concat([header("192.0.2.78", 994), chunk]) : chunk);
        first = false;
        callback();
      },
    });
    tcp.on("data", (d: Buffer) => wire.push(d));
    tcp.on("end", () => wire.push(null));
    const secure = tlsConnect({ socket: wire, rejectUnauthorized: false });
    sockets.push(tcp);
    let received = "";
    secure.setEncoding("latin1");
    secure.on("error", () => {});
    secure.on("data", (d: string) => {
      received += d;
      if (received.startsWith("* OK") && !received.includes("a1 ")) secure.write("a1 LOGIN alice pw\r\n");
    });
    for (let i = 0; i < 100 && !/a1 OK/.test(received); i++) await new Promise((r) => setTimeout(r, 30));
    secure.destroy();
    expect(received).toMatch(/a1 OK/);
    expect(authenticator.contexts[0]?.remoteAddress).toBe("192.0.2.78");
  });

  it("a bad trusted-network list is refused when the listener starts", async () => {
    const server = new ImapServer({ backend: emptyBackend, authenticator: recordingAuthenticator() });
    servers.push(server);
    await expect(
      server.listen({ host: "127.0.0.1", port: 0, proxyProtocol: { trusted: ["10.0.0.0/40"] } }),
    ).rejects.toThrow(/trusted network/);
  });
});
