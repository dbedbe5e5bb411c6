import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DovecotServer, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImapConnectionError, LoginRefusedError } from "../src/remote/errors.js";
import { ImapClient } from "../src/remote/imap-client.js";
import { createRemoteBackend, RemoteBackendConfigError } from "../src/remote/remote-backend.js";
import type { BackendHost } from "../src/remote/types.js";
import { ImapServer } from "../src/server.js";
import { RawClient } from "./helpers/raw-client.js";
import { MESSAGE, makeCert, masterConfig, type TestCert, tlsConfig, wholeBodyFetch } from "./remote-fixtures.js";

/*
 * ImapClient against a real Dovecot on loopback: STARTTLS with certificate verification
 * (CA, pinned fingerprint, insecure) passing and failing, login modes (user, master user
 * `user*master`, SASL PLAIN with authzid), commands, streamed FETCH bodies, IDLE, detach.
 */

let dovecot: DovecotServer;
let cert: TestCert;
let otherCert: TestCert;
let confDir: string;

beforeAll(async () => {
  cert = makeCert();
  otherCert = makeCert();
  confDir = mkdtempSync(join(tmpdir(), "holdfast-remote-conf-"));
  chmodSync(confDir, 0o755);
  dovecot = await startDovecot({
    users: [
      { name: "alice", password: "alice-pw" },
      { name: "bob", password: "bob-pw" },
    ],
    extraConfig: `${tlsConfig(cert)}${masterConfig(confDir, "admin", "master-pw")}auth_failure_delay = 0\n`,
  });
});

afterAll(async () => {
  await dovecot?.stop();
  cert?.remove();
  otherCert?.remove();
  rmSync(confDir, { recursive: true, force: true });
});

function host(extra: Partial<BackendHost> = {}): BackendHost {
  return { id: "dovecot", host: dovecot.host, port: dovecot.port, ...extra };
}

describe("ImapClient: connection and TLS", () => {
  it("reads the greeting and the capabilities over plain TCP", async () => {
    const client = await ImapClient.connect(host());
    expect(client.capabilities.has("IMAP4REV1")).toBe(true);
    expect(client.capabilities.has("STARTTLS")).toBe(true);
    await client.logout();
    expect(client.closed).toBe(true);
  });

  it("STARTTLS with the right CA verifies and logs in", async () => {
    const client = await ImapClient.connect(host({ tls: "starttls", ca: cert.certPem }));
    expect(client.capabilities.has("STARTTLS")).toBe(false); // capabilities re-read inside TLS
    await client.login("alice", "alice-pw");
    expect(client.capabilities.has("IDLE")).toBe(true);
    await client.logout();
  });

  it("STARTTLS with a different CA is refused (TLS error)", async () => {
    const error = await ImapClient.connect(host({ tls: "starttls", ca: otherCert.certPem })).catch((e) => e);
    expect(error).toBeInstanceOf(ImapConnectionError);
    expect((error as ImapConnectionError).kind).toBe("TLS");
  });

  it("STARTTLS without CA or pin uses the system store and refuses a self-signed certificate", async () => {
    const error = await ImapClient.connect(host({ tls: "starttls" })).catch((e) => e);
    expect((error as ImapConnectionError).kind).toBe("TLS");
  });

  it("a pinned fingerprint passes when it matches and fails when it does not", async () => {
    const good = await ImapClient.connect(
      host({ tls: "starttls", fingerprint: cert.fingerprint.replace(/(..)/g, "$1:").slice(0, -1) }),
    );
    await good.login("alice", "alice-pw");
    await good.logout();
    const error = await ImapClient.connect(host({ tls: "starttls", fingerprint: otherCert.fingerprint })).catch(
      (e) => e,
    );
    expect((error as ImapConnectionError).kind).toBe("TLS");
    expect(String(error)).toMatch(/fingerprint/);
  });

  it("insecure skips verification only when set", async () => {
    const client = await ImapClient.connect(host({ tls: "starttls", insecure: true }));
    await client.login("alice", "alice-pw");
    await client.logout();
  });

  it("a closed port is a CONNECT error", async () => {
    const error = await ImapClient.connect({ id: "nowhere", host: "127.0.0.1", port: 1 }).catch((e) => e);
    expect((error as ImapConnectionError).kind).toBe("CONNECT");
  });
});

describe("ImapClient: login modes", () => {
  it("the user's own credentials; a wrong password is LoginRefusedError", async () => {
    const client = await ImapClient.connect(host());
    const error = await client.login("alice", "wrong").catch((e) => e);
    expect(error).toBeInstanceOf(LoginRefusedError);
    await client.login("alice", "alice-pw");
    await client.logout();
  });

  it("a master user logs in as the user (user*master)", async () => {
    const client = await ImapClient.connect(host());
    await client.login("bob", "", { mode: "master", user: "admin", password: "master-pw" });
    const result = await client.command({ name: "NAMESPACE" });
    expect(result.status).toBe("OK");
    await client.logout();
    const bad = await ImapClient.connect(host());
    await expect(bad.login("bob", "", { mode: "master", user: "admin", password: "nope" })).rejects.toBeInstanceOf(
      LoginRefusedError,
    );
    bad.destroy();
  });

  it("SASL PLAIN with authzid logs in as the user", async () => {
    const client = await ImapClient.connect(host());
    await client.login("bob", "", { mode: "authzid", user: "admin", password: "master-pw" });
    await client.command({ name: "SELECT", mailbox: "INBOX", condstore: false });
    await client.logout();
  });
});

describe("ImapClient: commands", () => {
  it("APPEND, SELECT, UID FETCH with a streamed body, IDLE sees another session's append", async () => {
    const a = await ImapClient.connect(host(), { streamThreshold: 16 });
    await a.login("alice", "alice-pw");
    await a.id({ "x-session-id": "t1" });
    const big = MESSAGE("big", `${"x".repeat(200_000)}\r\n`);
    const appended = await a.command({
      name: "APPEND",
      mailbox: "INBOX",
      messages: [{ flags: ["\\Seen"], data: big }],
    });
    expect(appended.code?.name).toBe("APPENDUID");
    await a.enable(["QRESYNC"]);
    expect(a.enabled.has("QRESYNC")).toBe(true);
    const selected = await a.command({ name: "SELECT", mailbox: "INBOX", condstore: false });
    expect(selected.untagged.some((u) => u.type === "EXISTS")).toBe(true);

    const chunks: Buffer[] = [];
    let announced = -1;
    await a.command(wholeBodyFetch(1, "*"), {
      onLiteral: (ev) => {
        if (ev.type === "literal-start") announced = ev.size;
        if (ev.type === "literal-chunk") chunks.push(ev.chunk);
      },
    });
    expect(announced).toBe(big.length);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);

    const events: string[] = [];
    a.onMailboxEvent = (data) => events.push(data.type);
    const idle = await a.idle();
    const b = await ImapClient.connect(host());
    await b.login("alice", "alice-pw");
    await b.command({ name: "APPEND", mailbox: "INBOX", messages: [{ flags: [], data: MESSAGE("second") }] });
    await b.logout();
    for (let i = 0; i < 100 && !events.includes("EXISTS"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(events).toContain("EXISTS");
    await idle.done();
    await a.noop();
    await a.logout();
  });

  it("a NO is an ImapCommandError and the connection stays usable; detach hands the socket over", async () => {
    const client = await ImapClient.connect(host());
    await client.login("alice", "alice-pw");
    const error = await client.command({ name: "SELECT", mailbox: "No such box", condstore: false }).catch((e) => e);
    expect(error.name).toBe("ImapCommandError");
    expect(error.status).toBe("NO");
    const { socket } = client.detach();
    const answer = await new Promise<string>((resolve) => {
      socket.once("data", (d: Buffer) => resolve(d.toString()));
      socket.write("x1 NOOP\r\n");
    });
    expect(answer).toMatch(/^x1 OK/m);
    socket.destroy();
  });
});

describe("createRemoteBackend with a master-user login", () => {
  it("refuses to be built without `verify` (the backend never sees the client's password)", () => {
    expect(() =>
      createRemoteBackend({
        route: async () => [host()],
        login: { mode: "master", user: "admin", password: "master-pw" },
      }),
    ).toThrow(RemoteBackendConfigError);
  });

  it("asks `verify` first, then logs in to the backend as user*master", async () => {
    const passwords = new Map([["bob", "bobs-own-pw"]]);
    const remote = createRemoteBackend({
      route: async () => [host()],
      login: { mode: "master", user: "admin", password: "master-pw" },
      verify: { authenticate: async (user, password) => (passwords.get(user) === password ? user : null) },
    });
    const server = new ImapServer({ ...remote, plaintextAuth: true, throttle: { failureDelayMs: 0 } });
    const port = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      const raw = await RawClient.open(port);
      await raw.line();
      const wrong = await raw.command("a", "LOGIN bob bob-pw"); // Dovecot's password for bob: not the site's
      expect(wrong[wrong.length - 1]).toMatch(/^a NO/);
      const right = await raw.command("b", "LOGIN bob bobs-own-pw");
      expect(right[right.length - 1]).toMatch(/^b OK/);
      const selected = await raw.command("c", "SELECT INBOX");
      expect(selected[selected.length - 1]).toMatch(/^c OK/);
      raw.close();
    } finally {
      await server.close(100);
    }
  });
});
