import { TLSSocket } from "node:tls";
import type { Command } from "@holdfast/imap-codec";
import type { ImapConnection } from "../connection.js";

/*
 * Commands of any state (CAPABILITY, NOOP, LOGOUT, ID) and of the not-authenticated state
 * (STARTTLS, LOGIN, AUTHENTICATE PLAIN/LOGIN with SASL-IR).
 */

export async function capability(conn: ImapConnection, tag: string): Promise<void> {
  await conn.send({ kind: "untagged", data: { type: "CAPABILITY", capabilities: conn.capabilities() } });
  await conn.tagged(tag, "OK", "CAPABILITY completed.");
}

export async function id(conn: ImapConnection, command: Extract<Command, { name: "ID" }>): Promise<void> {
  if (command.params) {
    conn.clientId = Object.fromEntries(command.params);
    conn.log.info({ clientId: conn.clientId }, "client ID");
  }
  await conn.send({ kind: "untagged", data: { type: "ID", params: [["name", "Holdfast"]] } });
  await conn.tagged(command.tag, "OK", "ID completed.");
}

export async function logout(conn: ImapConnection, tag: string): Promise<void> {
  conn.state = "logout";
  await conn.send({
    kind: "untagged",
    data: { type: "STATUS-RESPONSE", status: "BYE", text: "Logging out." },
  });
  await conn.tagged(tag, "OK", "LOGOUT completed.");
  conn.socket.end();
}

export async function startTls(conn: ImapConnection, tag: string): Promise<void> {
  const context = conn.options.tlsContext;
  if (!context || conn.secure) {
    await conn.tagged(tag, "BAD", conn.secure ? "TLS is already active." : "STARTTLS is not available.");
    return;
  }
  await conn.tagged(tag, "OK", "Begin TLS negotiation now.");
  const plain = conn.socket;
  plain.removeAllListeners("data");
  const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
  // Anything the client pipelined after STARTTLS in plaintext is dropped with the old parser
  // (RFC 9051 §6.2.1: command injection protection).
  conn.upgrade(secure);
  secure.on("secure", () => conn.log.info({ protocol: secure.getProtocol() }, "STARTTLS done"));
}

async function authenticated(conn: ImapConnection, tag: string, user: string): Promise<void> {
  const context = {
    remoteAddress: conn.remoteAddress,
    remotePort: conn.remotePort,
    secure: conn.secure,
    sessionId: conn.id,
    ...(conn.clientId ? { clientId: conn.clientId } : {}),
  };
  conn.session = await conn.options.backend.open(user, context);
  conn.state = "authenticated";
  conn.log.info({ user }, "authenticated");
  const takeover = conn.session.takeover;
  if (takeover) {
    // passthrough: the backend's capabilities, then the bytes are the session's
    await conn.tagged(tag, "OK", "Logged in.", { name: "CAPABILITY", capabilities: [...takeover.capabilities] });
    const { socket, buffered } = conn.handOver();
    takeover.takeover(socket, buffered);
    return;
  }
  // A remote backend that cannot continue the session (failover budget spent, UIDVALIDITY
  // changed) ends it with BYE rather than leaving the client with a dead session.
  conn.session.onTerminate?.((reason) => void conn.bye(reason, { name: "UNAVAILABLE" }));
  conn.applyTimeout();
  await conn.tagged(tag, "OK", "Logged in.", { name: "CAPABILITY", capabilities: conn.capabilities() });
}

/** Check credentials with the throttle and the failure delay. */
async function check(conn: ImapConnection, tag: string, user: string, password: string): Promise<void> {
  const { throttle, authenticator } = conn.options;
  if (!throttle.allowed(conn.remoteAddress, user)) {
    await delay(throttle.failureDelayMs);
    await conn.tagged(tag, "NO", "Too many failed attempts; try again later.", { name: "LIMIT" });
    return;
  }
  const context = {
    remoteAddress: conn.remoteAddress,
    remotePort: conn.remotePort,
    secure: conn.secure,
    sessionId: conn.id,
    ...(conn.clientId ? { clientId: conn.clientId } : {}),
  };
  const canonical = await authenticator.authenticate(user, password, context);
  if (canonical === null) {
    throttle.recordFailure(conn.remoteAddress, user);
    conn.options.observer.authFailure();
    conn.log.warn({ user }, "authentication failed");
    await delay(throttle.failureDelayMs);
    await conn.tagged(tag, "NO", "Authentication failed.", { name: "AUTHENTICATIONFAILED" });
    return;
  }
  throttle.recordSuccess(conn.remoteAddress, canonical);
  await authenticated(conn, tag, canonical);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function plaintextRefused(conn: ImapConnection): boolean {
  return !conn.secure && !conn.options.plaintextAuth;
}

export async function login(conn: ImapConnection, command: Extract<Command, { name: "LOGIN" }>): Promise<void> {
  if (plaintextRefused(conn)) {
    await conn.tagged(command.tag, "NO", "Plaintext authentication disallowed without TLS.", {
      name: "PRIVACYREQUIRED",
    });
    return;
  }
  await check(conn, command.tag, command.username, command.password);
}

function decodeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  return Buffer.from(text, "base64");
}

/**
 * AUTHENTICATE PLAIN (RFC 4616) and LOGIN, with SASL-IR (RFC 4959). The parser holds input
 * after the command; each continuation re-arms it for one response line.
 */
export async function authenticate(
  conn: ImapConnection,
  command: Extract<Command, { name: "AUTHENTICATE" }>,
): Promise<void> {
  const tag = command.tag;
  const mechanism = command.mechanism.toUpperCase();
  // Ends the exchange whatever `run` does: parsing resumes even if it throws.
  const finish = async (run: () => Promise<void>) => {
    conn.sasl = null;
    try {
      await run();
    } finally {
      conn.resumeParsing();
    }
  };
  if (mechanism !== "PLAIN" && mechanism !== "LOGIN") {
    await finish(() => conn.tagged(tag, "NO", `Unsupported authentication mechanism ${mechanism}.`));
    return;
  }
  if (plaintextRefused(conn)) {
    await finish(() =>
      conn.tagged(tag, "NO", "Plaintext authentication disallowed without TLS.", { name: "PRIVACYREQUIRED" }),
    );
    return;
  }
  const ask = async (prompt: string, next: (data: Buffer) => Promise<void>) => {
    conn.sasl = async (data, cancelled) => {
      if (cancelled) {
        await finish(() => conn.tagged(tag, "BAD", "Authentication cancelled."));
        return;
      }
      const decoded = decodeBase64(data);
      if (!decoded) {
        await finish(() => conn.tagged(tag, "BAD", "Invalid base64 in SASL response."));
        return;
      }
      try {
        await next(decoded);
      } catch (error) {
        await finish(() => conn.failCommand(tag, error));
      }
    };
    await conn.send({ kind: "continuation", text: prompt });
    conn.awaitSaslResponse();
  };
  const withInitial = async (initial: string | undefined, prompt: string, next: (data: Buffer) => Promise<void>) => {
    if (initial === undefined) return ask(prompt, next);
    const decoded = initial === "=" ? Buffer.alloc(0) : decodeBase64(initial);
    if (!decoded) return finish(() => conn.tagged(tag, "BAD", "Invalid base64 in initial response."));
    return next(decoded);
  };

  if (mechanism === "PLAIN") {
    await withInitial(command.initialResponse, "", async (data) => {
      const parts = data.toString("utf8").split("\0");
      if (parts.length !== 3 || (parts[0] !== "" && parts[0] !== parts[1])) {
        await finish(() =>
          conn.tagged(tag, "NO", "Invalid PLAIN credentials (authorization identity not allowed).", {
            name: "AUTHORIZATIONFAILED",
          }),
        );
        return;
      }
      await finish(() => check(conn, tag, parts[1]!, parts[2]!));
    });
    return;
  }
  await withInitial(command.initialResponse, Buffer.from("Username:").toString("base64"), async (user) => {
    await ask(Buffer.from("Password:").toString("base64"), async (password) => {
      await finish(() => check(conn, tag, user.toString("utf8"), password.toString("utf8")));
    });
  });
}
