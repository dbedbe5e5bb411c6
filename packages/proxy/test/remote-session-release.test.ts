import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type DovecotServer, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ImapClient } from "../src/remote/index.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";
import { MESSAGE } from "./remote-fixtures.js";

/*
 * A closed session must not stay reachable. The stateful proxy's per-session state (Link,
 * tracker, the backend connection) is ~11 KB; kept alive after the client went, it adds up
 * with session churn. Found 2026-11-29: the timer bounding a backend exchange
 * (commandDeadlineMs, 30 s, re-armed lazily) was left running at close and held every closed
 * session for up to 30 s (1,000 IDLE sessions closed: heap 23 MB 3 s later, 12 MB after 35 s).
 */

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let dovecot: DovecotServer;
let proxy: RemoteProxy;

beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ name: "alice", password: "alice-pw" }] });
  const seed = await ImapClient.connect({ id: "direct", host: dovecot.host, port: dovecot.port });
  await seed.login("alice", "alice-pw");
  await seed.command({ name: "APPEND", mailbox: "INBOX", messages: [{ flags: [], data: MESSAGE("one", "x\r\n") }] });
  await seed.logout();
  // commandDeadlineMs far beyond the test: only a released session can be collected in time
  proxy = await startRemoteProxy([dovecot], { commandDeadlineMs: 600_000 });
});

afterAll(async () => {
  await proxy?.stop();
  await dovecot?.stop();
});

it("closed sessions are released at once (no timer keeps them)", async () => {
  const clients: ImapClient[] = [];
  for (let i = 0; i < 5; i++) {
    const c = await ImapClient.connect({ id: "proxy", host: "127.0.0.1", port: proxy.port });
    await c.login("alice", "alice-pw");
    await c.command({ name: "SELECT", mailbox: "INBOX", condstore: false });
    await c.command({
      name: "FETCH",
      uid: true,
      set: [{ start: 1, end: 1 }],
      items: [{ type: "FLAGS" }],
      vanished: false,
    });
    clients.push(c);
  }
  const sessions = proxy.backend.sessionsOf("alice");
  expect(sessions).toHaveLength(5);
  const refs = sessions.map((s) => new WeakRef((s as unknown as { link: object }).link));
  sessions.length = 0;
  for (const c of clients) await c.logout();
  for (let i = 0; i < 100 && proxy.backend.sessionsOf("alice").length > 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  expect(proxy.backend.sessionsOf("alice")).toEqual([]);
  let alive = refs.length;
  for (let i = 0; i < 20 && alive > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    gc();
    alive = refs.filter((r) => r.deref() !== undefined).length;
  }
  expect(alive).toBe(0);
});
