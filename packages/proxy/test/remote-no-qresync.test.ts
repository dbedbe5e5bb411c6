import { type DovecotCluster, startDovecotCluster } from "@holdfast/testkit";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImapServer } from "../src/index.js";
import { createRemoteBackend, ImapClient, type RemoteBackend } from "../src/remote/index.js";
import type { BackendHost } from "../src/remote/types.js";
import { uidsAndFlags } from "./helpers/backend-listing.js";
import { MESSAGE } from "./remote-fixtures.js";

/*
 * A backend without QRESYNC, CONDSTORE and IDLE (Dovecot told to advertise less): the
 * proxy keeps the backend's sequence → UID list for EXPUNGE by number, polls with NOOP
 * instead of IDLE, and after a failover re-reads the whole UID list and diffs it against
 * what it delivered (no QRESYNC to ask for the changes).
 */

const CAPS =
  "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS MOVE UNSELECT CHILDREN NAMESPACE LIST-EXTENDED ESEARCH MULTIAPPEND";

let cluster: DovecotCluster;
let hosts: BackendHost[];
let server: ImapServer;
let port: number;
let backend: RemoteBackend;
const clients: ImapFlow[] = [];

beforeAll(async () => {
  cluster = await startDovecotCluster({
    users: [{ name: "alice", password: "alice-pw" }],
    extraConfig: `protocol imap {\n  imap_capability = ${CAPS}\n}\n`,
  });
  hosts = cluster.servers.map((s, i) => ({ id: `imap${i}`, host: s.host, port: s.port }));
  const remote = createRemoteBackend({
    route: async () => hosts,
    reconnect: { budgetMs: 20_000, initialDelayMs: 20 },
    pollMs: 100,
  });
  backend = remote.backend;
  server = new ImapServer({
    backend,
    authenticator: remote.authenticator,
    plaintextAuth: true,
    throttle: { failureDelayMs: 10 },
  });
  port = await server.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close(200);
  await cluster?.stop();
});

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a backend without QRESYNC, CONDSTORE or IDLE", () => {
  it("changes by others arrive by NOOP polling, and a failover re-reads the whole list", async () => {
    const direct = await ImapClient.connect(hosts[1]!);
    await direct.login("alice", "alice-pw");
    expect(direct.capabilities.has("QRESYNC")).toBe(false);
    expect(direct.capabilities.has("IDLE")).toBe(false);
    await direct.command({ name: "CREATE", mailbox: "Plain" });
    for (const s of ["a", "b", "c", "d"]) {
      await direct.command({ name: "APPEND", mailbox: "Plain", messages: [{ flags: [], data: MESSAGE(s) }] });
    }
    await direct.command({ name: "SELECT", mailbox: "Plain", condstore: false });

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
    await client.mailboxOpen("Plain");
    const events: string[] = [];
    client.on("exists", () => events.push("exists"));
    client.on("expunge", () => events.push("expunge"));
    client.on("flags", () => events.push("flags"));
    const idling = client.idle();

    // Expunge the second message (EXPUNGE by sequence number on the backend side), flag the
    // first, add one: the proxy hears of it by polling.
    const before = await uidsAndFlags(direct);
    await direct.command({
      name: "STORE",
      uid: true,
      set: [{ start: before[1]!.uid, end: before[1]!.uid }],
      action: { operation: "add", silent: true, flags: ["\\Deleted"] },
    });
    await direct.command({ name: "EXPUNGE", uid: false });
    await direct.command({
      name: "STORE",
      uid: true,
      set: [{ start: before[0]!.uid, end: before[0]!.uid }],
      action: { operation: "add", silent: true, flags: ["\\Flagged"] },
    });
    await direct.command({ name: "APPEND", mailbox: "Plain", messages: [{ flags: [], data: MESSAGE("e") }] });
    await waitFor(() => events.includes("exists") && events.includes("expunge") && events.includes("flags"));
    await client.noop();
    await idling.catch(() => {});

    // Failover without QRESYNC: changes made while imap0 is down come from the full list.
    await cluster.servers[0]!.kill();
    const mid = await uidsAndFlags(direct);
    await direct.command({
      name: "STORE",
      uid: true,
      set: [{ start: mid[2]!.uid, end: mid[2]!.uid }],
      action: { operation: "add", silent: true, flags: ["\\Deleted"] },
    });
    await direct.command({ name: "EXPUNGE", uid: false });
    await direct.command({
      name: "STORE",
      uid: true,
      set: [{ start: mid[0]!.uid, end: mid[0]!.uid }],
      action: { operation: "add", silent: true, flags: ["\\Answered"] },
    });
    await direct.command({ name: "APPEND", mailbox: "Plain", messages: [{ flags: ["\\Seen"], data: MESSAGE("f") }] });
    await waitFor(() => backend.sessionsOf("alice")[0]?.hostId === "imap1");
    await client.noop();

    const view: { uid: number; flags: string[] }[] = [];
    for await (const m of client.fetch("1:*", { uid: true, flags: true })) {
      view.push({ uid: m.uid, flags: [...m.flags!].filter((f) => f !== "\\Recent").sort() });
    }
    expect(view).toEqual(await uidsAndFlags(direct));
    expect((client.mailbox as { exists: number }).exists).toBe(view.length);
    await direct.logout();
    await cluster.servers[0]!.restart();
  });
});
