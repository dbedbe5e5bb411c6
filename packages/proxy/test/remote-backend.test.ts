import { type DovecotServer, startDovecot } from "@holdfast/testkit";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImapServer } from "../src/index.js";
import { createRemoteBackend, type RemoteBackend } from "../src/remote/index.js";
import { RawClient } from "./helpers/raw-client.js";
import { MESSAGE } from "./remote-fixtures.js";

/*
 * RemoteImapBackend end to end: imapflow clients → ImapServer (the Holdfast front end) →
 * createRemoteBackend → a real Dovecot on loopback. Every command the front end serves is
 * carried out by UID commands on Dovecot; changes made by another session (a direct
 * Dovecot connection) reach an IDLE client through the proxy.
 */

let dovecot: DovecotServer;
let server: ImapServer;
let port: number;
let backend: RemoteBackend;
const clients: ImapFlow[] = [];

beforeAll(async () => {
  dovecot = await startDovecot({
    users: [{ name: "alice", password: "alice-pw" }],
    extraConfig: "auth_failure_delay = 0\n",
  });
  const remote = createRemoteBackend({
    route: async () => [{ id: "dovecot", host: dovecot.host, port: dovecot.port }],
    idleAfterMs: 50,
  });
  backend = remote.backend;
  server = new ImapServer({
    backend: remote.backend,
    authenticator: remote.authenticator,
    plaintextAuth: true,
    throttle: { failureDelayMs: 10 },
  });
  port = await server.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  for (const c of clients) await c.logout().catch(() => {});
  await server?.close(500);
  await dovecot?.stop();
});

function ok<T>(value: T | false | undefined): T {
  if (value === false || value === undefined) throw new Error("imapflow reported a failed command");
  return value;
}

async function connect(target = port, user = "alice", pass = "alice-pw"): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: target,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass },
    logger: false,
  });
  await client.connect();
  clients.push(client);
  return client;
}

async function waitFor(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("RemoteImapBackend through the front end", () => {
  it("refuses a wrong password", async () => {
    const client = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: "alice", pass: "nope" },
      logger: false,
    });
    await expect(client.connect()).rejects.toThrow();
  });

  it("refuses a login whose ID says x-proxy-ttl 0 (a proxy loop), accepts one with a TTL left", async () => {
    const raw = await RawClient.open(port);
    await raw.line();
    await raw.command("i", 'ID ("name" "upstream-proxy" "x-proxy-ttl" "0")');
    const refused = await raw.command("a", "LOGIN alice alice-pw");
    expect(refused[refused.length - 1]).toMatch(/^a NO \[UNAVAILABLE\] Proxy loop/);
    await raw.command("j", 'ID ("x-proxy-ttl" "2")');
    const accepted = await raw.command("b", "LOGIN alice alice-pw");
    expect(accepted[accepted.length - 1]).toMatch(/^b OK/);
    raw.close();
  });

  it("LIST, CREATE, APPEND, SELECT, FETCH (small and streamed large bodies), STORE, SEARCH", async () => {
    const client = await connect();
    await client.mailboxCreate("Work/Projects");
    const boxes = await client.list();
    expect(boxes.map((b) => b.path)).toEqual(expect.arrayContaining(["INBOX", "Work", "Work/Projects"]));

    const small = MESSAGE("small one");
    const large = MESSAGE("large one", `${"0123456789abcdef".repeat(20_000)}\r\n`);
    const a1 = ok(await client.append("INBOX", small, ["\\Flagged"]));
    const a2 = ok(await client.append("INBOX", large));
    expect(a2.uid).toBeGreaterThan(a1.uid!);

    const lock = await client.getMailboxLock("INBOX");
    try {
      const mb = client.mailbox as { exists: number; uidValidity: bigint };
      expect(mb.exists).toBe(2);
      const fetched: { uid: number; source: Buffer; flags: Set<string> }[] = [];
      for await (const m of client.fetch("1:*", { uid: true, flags: true, source: true })) {
        fetched.push({ uid: m.uid, source: m.source!, flags: m.flags! });
      }
      expect(fetched.map((f) => f.uid)).toEqual([a1.uid, a2.uid]);
      expect(fetched[0]!.source.equals(small)).toBe(true);
      expect(fetched[1]!.source.equals(large)).toBe(true);
      expect(fetched[0]!.flags.has("\\Flagged")).toBe(true);

      const structure = ok(
        await client.fetchOne(String(a2.uid), { bodyStructure: true, envelope: true, size: true }, { uid: true }),
      );
      expect(structure.envelope?.subject).toBe("large one");
      expect(structure.size).toBe(large.length);
      expect(structure.bodyStructure?.type).toBe("text/plain");

      ok(await client.messageFlagsAdd(String(a2.uid), ["\\Seen", "$Important"], { uid: true }));
      const after = ok(await client.fetchOne(String(a2.uid), { flags: true }, { uid: true }));
      expect([...after.flags!]).toEqual(expect.arrayContaining(["\\Seen", "$Important"]));

      expect(await client.search({ flagged: true }, { uid: true })).toEqual([a1.uid]);
      expect(await client.search({ subject: "large" }, { uid: true })).toEqual([a2.uid]);
      expect(await client.search({ seen: false }, { uid: true })).toEqual([a1.uid]);
    } finally {
      lock.release();
    }
  });

  it("a non-PEEK body fetch sets \\Seen (and the client is told)", async () => {
    const client = await connect();
    const appended = ok(await client.append("INBOX", MESSAGE("unread")));
    const raw = await RawClient.open(port);
    await raw.line();
    await raw.command("a", "LOGIN alice alice-pw");
    await raw.command("b", "SELECT INBOX");
    const lines = await raw.command("c", `UID FETCH ${appended.uid} (BODY[TEXT])`);
    expect(lines.join("\n")).toMatch(/FLAGS \([^)]*\\Seen/);
    const flags = await raw.command("d", `UID FETCH ${appended.uid} (FLAGS)`);
    expect(flags.join("\n")).toMatch(/\\Seen/);
    raw.close();
  });

  it("COPY, MOVE and EXPUNGE", async () => {
    const client = await connect();
    await client.mailboxCreate("Archive");
    const lock = await client.getMailboxLock("INBOX");
    try {
      const before = (client.mailbox as { exists: number }).exists;
      const copied = ok(await client.messageCopy("1", "Archive"));
      expect(copied.uidMap?.size).toBe(1);
      const moved = ok(await client.messageMove("1", "Archive"));
      expect(moved.uidMap?.size).toBe(1);
      expect((client.mailbox as { exists: number }).exists).toBe(before - 1);
      ok(await client.messageDelete("1"));
      expect((client.mailbox as { exists: number }).exists).toBe(before - 2);
    } finally {
      lock.release();
    }
    const status = ok(await client.status("Archive", { messages: true, uidNext: true }));
    expect(status.messages).toBe(2);
    // STATUS DELETED (IMAP4rev2) is emulated on Dovecot 2.3, for the selected mailbox and others.
    const raw = await RawClient.open(port);
    await raw.line();
    await raw.command("a", "LOGIN alice alice-pw");
    await raw.command("b", "SELECT Archive");
    await raw.command("c", "STORE 1 +FLAGS (\\Deleted)");
    const selected = await raw.command("d", "STATUS Archive (MESSAGES DELETED SIZE)");
    expect(selected[0]).toMatch(/^\* STATUS Archive \(MESSAGES 2 DELETED 1 SIZE \d+\)/);
    const other = await raw.command("e", "STATUS INBOX (DELETED)");
    expect(other[0]).toMatch(/^\* STATUS INBOX \(DELETED 0\)/);
    raw.close();
  });

  it("a client in IDLE hears of another session's APPEND, flag change and EXPUNGE", async () => {
    const watcher = await connect();
    await watcher.mailboxOpen("INBOX");
    const events: string[] = [];
    watcher.on("exists", () => events.push("exists"));
    watcher.on("flags", () => events.push("flags"));
    watcher.on("expunge", () => events.push("expunge"));
    const idling = watcher.idle();

    // Another session straight on Dovecot: only the backend feed can tell the watcher.
    const direct = await connect(dovecot.port);
    const appended = ok(await direct.append("INBOX", MESSAGE("from elsewhere")));
    await waitFor(() => events.includes("exists")).catch((e) => {
      throw new Error(`${e.message}: ${events.join(",")}`);
    });
    const lock = await direct.getMailboxLock("INBOX");
    try {
      ok(await direct.messageFlagsAdd(String(appended.uid), ["\\Answered"], { uid: true }));
      await waitFor(() => events.includes("flags")).catch((e) => {
        throw new Error(`${e.message}: ${events.join(",")}`);
      });
      ok(await direct.messageDelete(String(appended.uid), { uid: true }));
      await waitFor(() => events.includes("expunge")).catch((e) => {
        throw new Error(`${e.message}: ${events.join(",")}`);
      });
    } finally {
      lock.release();
    }
    await watcher.noop();
    await idling.catch(() => {});
    expect(backend.sessionsOf("alice").length).toBeGreaterThan(0);
  });
});
