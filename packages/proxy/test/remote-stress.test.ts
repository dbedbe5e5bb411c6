import { type DovecotCluster, startDovecotCluster } from "@holdfast/testkit";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImapServer } from "../src/index.js";
import { createRemoteBackend, ImapClient, type RemoteBackend } from "../src/remote/index.js";
import type { BackendHost } from "../src/remote/types.js";
import { uidAndFlagsOf } from "./helpers/backend-listing.js";
import { MESSAGE } from "./remote-fixtures.js";

/*
 * A bounded mixed workload across backend kills: CLIENTS imapflow sessions through the
 * proxy APPEND, STORE, FETCH and SEARCH in a loop while the test SIGKILLs the Dovecot they
 * use and restarts it, CYCLES times (HOLDFAST_LONG=1: many more). Checked: no client
 * connection drops, every acknowledged APPEND is in the mailbox, every acknowledged STORE's
 * flag is set, and each client's final view (UIDs, flags) equals the backend's.
 */

const LONG = process.env.HOLDFAST_LONG === "1";
const CLIENTS = LONG ? 8 : 3;
const CYCLES = LONG ? 40 : 4;

let cluster: DovecotCluster;
let hosts: BackendHost[];
let server: ImapServer;
let port: number;
let backend: RemoteBackend;

beforeAll(async () => {
  cluster = await startDovecotCluster({ users: [{ name: "alice", password: "alice-pw" }] });
  hosts = cluster.servers.map((s, i) => ({ id: `imap${i}`, host: s.host, port: s.port }));
  const remote = createRemoteBackend({
    route: async () => hosts,
    // Generous: a SIGKILLed Dovecot can leave a stale lock on the shared maildir that the
    // other instance only overrides after about a minute; the sessions must outlast it.
    reconnect: { budgetMs: 150_000, initialDelayMs: 20, spreadMs: 200 },
    idleAfterMs: 30,
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
  await server?.close(200);
  await cluster?.stop();
});

describe("mixed workload across backend kills", () => {
  it(`${CLIENTS} sessions, ${CYCLES} kill/restart cycles: no drop, nothing acknowledged lost, views match`, {
    timeout: LONG ? 900_000 : 300_000,
  }, async () => {
    const setup = await ImapClient.connect(hosts[1]!);
    await setup.login("alice", "alice-pw");
    await setup.command({ name: "CREATE", mailbox: "Stress" });
    await setup.logout();

    const drops: string[] = [];
    const clients: ImapFlow[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const c = new ImapFlow({
        host: "127.0.0.1",
        port,
        secure: false,
        doSTARTTLS: false,
        auth: { user: "alice", pass: "alice-pw" },
        logger: false,
        disableAutoIdle: true,
      });
      c.on("error", () => {});
      c.on("close", () => drops.push(`client ${i}`));
      await c.connect();
      await c.mailboxOpen("Stress");
      clients.push(c);
    }

    const appended = new Set<string>(); // Message-IDs acknowledged
    const flagged = new Set<number>(); // UIDs whose \Flagged STORE was acknowledged
    let failures = 0;
    let stop = false;
    const work = clients.map(async (c, i) => {
      let n = 0;
      while (!stop) {
        n++;
        const id = `s${i}-${n}@stress`;
        try {
          const r = await c.append("Stress", MESSAGE(`stress ${i} ${n}`, "x\r\n", id));
          if (r) appended.add(id);
          else failures++;
        } catch {
          failures++;
        }
        try {
          const uids = (await c.search({ all: true }, { uid: true })) as number[] | false;
          if (uids && uids.length > 0) {
            const uid = uids[(n * 7 + i) % uids.length]!;
            if (await c.messageFlagsAdd(String(uid), ["\\Flagged"], { uid: true })) flagged.add(uid);
            for await (const _m of c.fetch(`${Math.max(1, uids.length - 3)}:*`, { flags: true, envelope: true })) {
              // read through
            }
          }
        } catch {
          failures++;
        }
      }
    });

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await new Promise((r) => setTimeout(r, 400));
      const active = backend.sessionsOf("alice")[0]?.hostId === "imap1" ? 1 : 0;
      await cluster.servers[active]!.kill();
      await new Promise((r) => setTimeout(r, 300));
      await cluster.servers[active]!.restart();
    }
    await new Promise((r) => setTimeout(r, 400));
    stop = true;
    await Promise.all(work);

    expect(drops).toEqual([]);
    const check = await ImapClient.connect(hosts[0]!);
    await check.login("alice", "alice-pw");
    await check.command({ name: "SELECT", mailbox: "Stress", condstore: false });
    const truth = await check.command({
      name: "FETCH",
      uid: true,
      set: [{ start: 1, end: "*" }],
      items: [{ type: "UID" }, { type: "FLAGS" }, { type: "ENVELOPE" }],
      vanished: false,
    });
    const messages = truth.untagged.flatMap((u) => (u.type === "FETCH" ? [u.items] : []));
    const ids = new Set(
      messages.map((items) =>
        (items.find((i) => i.name === "ENVELOPE") as { value: { messageId: string } }).value.messageId.replace(
          /[<>]/g,
          "",
        ),
      ),
    );
    for (const id of appended) expect(ids.has(id), `acknowledged APPEND ${id}`).toBe(true);
    const state = messages.map(uidAndFlagsOf).sort((a, b) => a.uid - b.uid);
    for (const uid of flagged)
      expect(state.find((m) => m.uid === uid)?.flags, `acknowledged STORE on ${uid}`).toContain("\\Flagged");

    for (const c of clients) {
      await c.noop();
      // Keyed by UID: a flag notification may legally arrive in the middle of the FETCH
      // answer (imapflow reports it as one more message); the last word on a UID counts.
      const seen = new Map<number, string[]>();
      for await (const m of c.fetch("1:*", { uid: true, flags: true }))
        seen.set(m.uid, [...m.flags!].filter((f) => f !== "\\Recent").sort());
      const view = [...seen].map(([uid, flags]) => ({ uid, flags })).sort((a, b) => a.uid - b.uid);
      expect((c.mailbox as { exists: number }).exists).toBe(state.length);
      expect(view).toEqual(state);
      await c.logout();
    }
    expect(appended.size).toBeGreaterThan(CYCLES);
    console.log(
      `stress: ${appended.size} appends acknowledged, ${failures} commands refused during switches, ${CYCLES} kills`,
    );
    await check.logout();
  });
});
