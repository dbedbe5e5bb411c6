import { timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { type SecureContext, connect as tlsConnect } from "node:tls";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type Authenticator,
  type Backend,
  BackendError,
  type BackendSession,
  ImapServer,
  type ImapServerOptions,
} from "../src/index.js";
import { RawClient } from "./helpers/raw-client.js";
import { testTlsContext } from "./helpers/tls.js";

/** Users with passwords, compared in constant time. */
const authenticator: Authenticator = {
  async authenticate(user, password) {
    const users: Record<string, string> = { alice: "correct horse", "bob@example.org": "s3cret" };
    const expected = users[user.toLowerCase()];
    const given = Buffer.from(password);
    if (expected === undefined || given.length !== Buffer.byteLength(expected)) return null;
    return timingSafeEqual(given, Buffer.from(expected)) ? user.toLowerCase() : null;
  },
};

/**
 * Pre-authentication needs nothing from a mail store; after LOGIN these tests only check
 * that mailbox operations are reached (each answers NONEXISTENT, as a store with no mailbox
 * would). The full command set is tested end to end on the real local store.
 */
const emptyBackend: Backend = {
  async open(user): Promise<BackendSession> {
    const none = async (): Promise<never> => {
      throw new BackendError("NONEXISTENT", "Mailbox does not exist.");
    };
    return {
      user,
      appendLimit: 1000,
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

let tls: SecureContext;
beforeAll(() => {
  tls = testTlsContext();
});

const servers: ImapServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close(100)));
});

async function start(options: Partial<ImapServerOptions> = {}): Promise<{ server: ImapServer; port: number }> {
  const server = new ImapServer({
    backend: emptyBackend,
    authenticator,
    tlsContext: tls,
    throttle: { failureDelayMs: 20, maxFailures: 3 },
    ...options,
  });
  servers.push(server);
  return { server, port: await server.listen({ host: "127.0.0.1", port: 0 }) };
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.open(port);
  clients.push(c);
  return c;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("greeting and capabilities", () => {
  it("greets with capabilities: STARTTLS and LOGINDISABLED on plain TCP", async () => {
    const { port } = await start();
    const c = await client(port);
    const greeting = await c.line();
    expect(greeting).toMatch(/^\* OK \[CAPABILITY [^\]]*IMAP4rev1[^\]]*IMAP4rev2[^\]]*\] Holdfast ready\.$/);
    expect(greeting).toContain("STARTTLS");
    expect(greeting).toContain("LOGINDISABLED");
    expect(greeting).not.toContain("AUTH=PLAIN");
  });

  it("refuses LOGIN and AUTHENTICATE without TLS", async () => {
    const { port } = await start();
    const c = await client(port);
    await c.line();
    expect((await c.command("a", 'LOGIN alice "correct horse"')).at(-1)).toBe(
      "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed without TLS.",
    );
    expect((await c.command("b", `AUTHENTICATE PLAIN ${b64("\0alice\0correct horse")}`)).at(-1)).toMatch(
      /^b NO \[PRIVACYREQUIRED\]/,
    );
  });
});

describe("STARTTLS", () => {
  it("upgrades, then offers AUTH=PLAIN and no STARTTLS, and LOGIN works", async () => {
    const { port } = await start();
    const c = await client(port);
    await c.line();
    expect((await c.command("a", "STARTTLS")).at(-1)).toBe("a OK Begin TLS negotiation now.");
    await c.startTls();
    const caps = await c.command("b", "CAPABILITY");
    expect(caps[0]).toContain("AUTH=PLAIN");
    expect(caps[0]).not.toContain("STARTTLS");
    expect(caps[0]).not.toContain("LOGINDISABLED");
    const login = await c.command("c", 'LOGIN alice "correct horse"');
    expect(login.at(-1)).toMatch(/^c OK \[CAPABILITY .*IDLE.*\] Logged in\.$/);
    expect(login.at(-1)).toContain("QRESYNC");
    expect((await c.command("d", "STARTTLS")).at(-1)).toMatch(/^d BAD/);
  });

  it("implicit TLS listener: the handshake completes, the greeting offers AUTH=PLAIN, LOGIN works", async () => {
    const server = new ImapServer({ backend: emptyBackend, authenticator, tlsContext: tls });
    servers.push(server);
    const port = await server.listen({ host: "127.0.0.1", port: 0, tls: true });
    const socket = tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false });
    try {
      let text = "";
      socket.setEncoding("latin1");
      socket.on("data", (d: string) => {
        text += d;
      });
      const until = async (pattern: RegExp) => {
        for (let i = 0; i < 100 && !pattern.test(text); i++) await new Promise((r) => setTimeout(r, 20));
        return text;
      };
      await once(socket, "secureConnect");
      expect(await until(/\r\n/)).toMatch(/^\* OK \[CAPABILITY [^\]]*AUTH=PLAIN/);
      expect(text).not.toContain("LOGINDISABLED");
      expect(text).not.toContain("STARTTLS");
      socket.write('a LOGIN alice "correct horse"\r\n');
      expect(await until(/a OK/)).toMatch(/a OK \[CAPABILITY [^\]]*\] Logged in\./);
    } finally {
      socket.destroy();
    }
  });

  it("drops commands pipelined in plaintext after STARTTLS (no command injection)", async () => {
    const { port } = await start({ plaintextAuth: true });
    const c = await client(port);
    await c.line();
    c.write('a STARTTLS\r\nx LOGIN alice "correct horse"\r\n');
    expect(await c.untilTagged("a")).toEqual(["a OK Begin TLS negotiation now."]);
    await c.startTls();
    // The injected LOGIN never ran: the session is still not authenticated.
    expect((await c.command("b", "SELECT INBOX")).at(-1)).toBe("b BAD SELECT is not valid in this state.");
  });
});

describe("authentication (plaintext allowed for the test)", () => {
  it("LOGIN: wrong password is NO [AUTHENTICATIONFAILED]; right one is OK", async () => {
    const { port } = await start({ plaintextAuth: true });
    const c = await client(port);
    await c.line();
    expect((await c.command("a", "LOGIN alice wrong")).at(-1)).toBe(
      "a NO [AUTHENTICATIONFAILED] Authentication failed.",
    );
    expect((await c.command("b", 'LOGIN alice "correct horse"')).at(-1)).toMatch(/^b OK/);
    expect((await c.command("c", "LOGIN alice x")).at(-1)).toBe("c BAD LOGIN is not valid in this state.");
  });

  it("after too many failures from one address, even the right password is refused for a while", async () => {
    const { port } = await start({ plaintextAuth: true });
    const c = await client(port);
    await c.line();
    for (const tag of ["a", "b", "c"])
      expect((await c.command(tag, "LOGIN alice nope")).at(-1)).toMatch(/AUTHENTICATIONFAILED/);
    expect((await c.command("d", 'LOGIN alice "correct horse"')).at(-1)).toBe(
      "d NO [LIMIT] Too many failed attempts; try again later.",
    );
  });

  it("AUTHENTICATE PLAIN with SASL-IR, and with a continuation", async () => {
    const { port } = await start({ plaintextAuth: true });
    const c1 = await client(port);
    await c1.line();
    expect((await c1.command("a", `AUTHENTICATE PLAIN ${b64("\0bob@example.org\0s3cret")}`)).at(-1)).toMatch(/^a OK/);
    const c2 = await client(port);
    await c2.line();
    c2.write("a AUTHENTICATE PLAIN\r\n");
    expect(await c2.line()).toBe("+ ");
    c2.write(`${b64("alice\0alice\0correct horse")}\r\n`);
    expect((await c2.untilTagged("a")).at(-1)).toMatch(/^a OK/);
  });

  it("AUTHENTICATE LOGIN asks for user name and password", async () => {
    const { port } = await start({ plaintextAuth: true });
    const c = await client(port);
    await c.line();
    c.write("a AUTHENTICATE LOGIN\r\n");
    expect(await c.line()).toBe(`+ ${b64("Username:")}`);
    c.write(`${b64("alice")}\r\n`);
    expect(await c.line()).toBe(`+ ${b64("Password:")}`);
    c.write(`${b64("correct horse")}\r\n`);
    expect((await c.untilTagged("a")).at(-1)).toMatch(/^a OK/);
  });

  it("a cancelled exchange is BAD, bad base64 is BAD, an unknown mechanism is NO; the connection goes on", async () => {
    const { port } = await start({ plaintextAuth: true });
    const c = await client(port);
    await c.line();
    c.write("a AUTHENTICATE PLAIN\r\n");
    await c.line();
    c.write("*\r\n");
    expect(await c.untilTagged("a")).toEqual(["a BAD Authentication cancelled."]);
    expect((await c.command("b", "AUTHENTICATE PLAIN !!!notbase64")).at(-1)).toMatch(/^b BAD/);
    expect((await c.command("c", "AUTHENTICATE CRAM-MD5")).at(-1)).toMatch(/^c NO Unsupported/);
    expect((await c.command("d", `AUTHENTICATE PLAIN ${b64("mallory\0alice\0correct horse")}`)).at(-1)).toMatch(
      /^d NO \[AUTHORIZATIONFAILED\]/,
    );
    expect((await c.command("e", "NOOP")).at(-1)).toBe("e OK NOOP completed.");
  });
});

describe("bad input and wrong states", () => {
  it("answers commands in the wrong state with BAD and a reason", async () => {
    const { port } = await start({ plaintextAuth: true });
    const c = await client(port);
    await c.line();
    expect((await c.command("a", "FETCH 1 FLAGS")).at(-1)).toBe("a BAD FETCH is not valid in this state.");
    expect((await c.command("b", "SELECT INBOX")).at(-1)).toBe("b BAD SELECT is not valid in this state.");
    await c.command("c", 'LOGIN alice "correct horse"');
    expect((await c.command("d", "FETCH 1 FLAGS")).at(-1)).toBe("d BAD FETCH is not valid in this state.");
    expect((await c.command("e", "SELECT nosuch")).at(-1)).toBe("e NO [NONEXISTENT] Mailbox does not exist.");
  });

  it("garbage and unknown commands get BAD; the session continues", async () => {
    const { port } = await start();
    const c = await client(port);
    await c.line();
    c.write(Buffer.from([0x61, 0x20, 0xff, 0xfe, 0x00, 0x01, 0x0d, 0x0a]));
    expect(await c.line()).toMatch(/^(a|\*) BAD /);
    expect((await c.command("b", "FROBNICATE now")).at(-1)).toMatch(/^b BAD /);
    expect((await c.command("c", "NOOP")).at(-1)).toBe("c OK NOOP completed.");
  });

  it("refuses an APPEND literal before authentication without asking for its bytes", async () => {
    const { port } = await start();
    const c = await client(port);
    await c.line();
    c.write("a APPEND INBOX {10}\r\n");
    expect(await c.line()).toBe("a BAD APPEND is not valid in this state.");
    // A 1 GB announcement is refused by size before anything else, and nothing is read.
    c.write("b APPEND INBOX {1000000000}\r\n");
    expect(await c.line()).toMatch(/^b BAD \[TOOBIG\] literal of 1000000000 bytes exceeds/);
    expect((await c.command("c", "NOOP")).at(-1)).toBe("c OK NOOP completed.");
  });

  it("a line too long to resynchronise ends the connection with BYE", async () => {
    const { port } = await start({ limits: { maxLineLength: 1000 } });
    const c = await client(port);
    await c.line();
    c.write(`a NOOP ${"x".repeat(5000)}\r\n`);
    expect(await c.line()).toMatch(/^\* BYE /);
    await c.waitClosed();
  });

  it("LOGOUT says BYE and closes", async () => {
    const { port } = await start();
    const c = await client(port);
    await c.line();
    expect(await c.command("a", "LOGOUT")).toEqual(["* BYE Logging out.", "a OK LOGOUT completed."]);
    await c.waitClosed();
  });
});

describe("limits, timeouts and shutdown", () => {
  it("refuses connections over the per-address limit with BYE", async () => {
    const { port } = await start({ maxConnectionsPerAddress: 2 });
    const a = await client(port);
    const b = await client(port);
    await a.line();
    await b.line();
    const c = await client(port);
    expect(await c.line()).toBe("* BYE Too many connections, try again later.");
  });

  it("logs out a client that does not authenticate in time", async () => {
    const { port } = await start({ timeouts: { preAuthMs: 150 } });
    const c = await client(port);
    await c.line();
    expect(await c.line(3000)).toBe("* BYE Autologout; idle for too long.");
    await c.waitClosed();
  });

  it("shutdown says BYE to every client", async () => {
    const { server, port } = await start();
    const a = await client(port);
    const b = await client(port);
    await a.line();
    await b.line();
    await server.close(1000);
    expect(await a.line()).toBe("* BYE Server shutting down.");
    expect(await b.line()).toBe("* BYE Server shutting down.");
  });
});
