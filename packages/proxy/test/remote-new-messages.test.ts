import type { UntaggedData } from "@holdfast/imap-codec";
import { type DovecotServer, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImapClient } from "../src/remote/index.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";
import { startTamperingRelay, type TamperingRelay } from "./helpers/tampering-relay.js";
import { MESSAGE } from "./remote-fixtures.js";

/*
 * New messages other sessions add reach a session through the backend's EXISTS, after which
 * the stateful proxy fetches their UIDs (`UID FETCH n:* (UID FLAGS MODSEQ)`). While the client
 * is busy with FETCH and STORE that fetch may wait `newMessagesDelayMs`, so that several
 * EXISTS cost one fetch; NOOP (and APPEND, COPY, backend IDLE) fetch at once. A relay between
 * the proxies and Dovecot records what each backend connection is sent.
 */

let dovecot: DovecotServer;
let relay: TamperingRelay;
let delayed: RemoteProxy;
let immediate: RemoteProxy;
/** A delay far longer than Dovecot's own IDLE notification latency. */
let slow: RemoteProxy;
/** Commands sent per backend connection (tags removed), in the order the connections came. */
const perConnection: string[][] = [];

beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ name: "alice", password: "alice-pw" }] });
  const seed = await ImapClient.connect({ id: "direct", host: dovecot.host, port: dovecot.port });
  await seed.login("alice", "alice-pw");
  for (let i = 0; i < 3; i++)
    await seed.command({
      name: "APPEND",
      mailbox: "INBOX",
      messages: [{ flags: [], data: MESSAGE(`seed ${i}`, "x\r\n") }],
    });
  await seed.logout();
  relay = await startTamperingRelay(dovecot, () => {
    const mine: string[] = [];
    perConnection.push(mine);
    return {
      toServer(d, { upstream }) {
        for (const line of d.toString("latin1").split("\r\n")) {
          const m = /^H\d+ (.+)$/.exec(line);
          if (m) mine.push(m[1]!);
        }
        upstream.write(d);
      },
    };
  });
  delayed = await startRemoteProxy([relay], { newMessagesDelayMs: 400 });
  immediate = await startRemoteProxy([relay], { newMessagesDelayMs: 0 });
  slow = await startRemoteProxy([relay], { newMessagesDelayMs: 10_000 });
});

afterAll(async () => {
  await delayed?.stop();
  await immediate?.stop();
  await slow?.stop();
  relay?.close();
  await dovecot?.stop();
});

/** A session through `proxy` with INBOX selected, and the commands its backend connection gets. */
async function selected(proxy: RemoteProxy): Promise<{ c: ImapClient; backend: string[] }> {
  const c = await ImapClient.connect({ id: "proxy", host: "127.0.0.1", port: proxy.port });
  await c.login("alice", "alice-pw");
  const backend = perConnection[perConnection.length - 1]!;
  await c.command({ name: "SELECT", mailbox: "INBOX", condstore: false });
  return { c, backend };
}

async function appendDirect(n: number): Promise<number[]> {
  const a = await ImapClient.connect({ id: "direct", host: dovecot.host, port: dovecot.port });
  await a.login("alice", "alice-pw");
  const uids: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await a.command({
      name: "APPEND",
      mailbox: "INBOX",
      messages: [{ flags: ["$New"], data: MESSAGE(`new ${Date.now()} ${i}`, "y\r\n") }],
    });
    if (r.code?.name === "APPENDUID" && r.code.uids !== "$")
      for (const s of r.code.uids) if (typeof s.start === "number") uids.push(s.start);
  }
  await a.logout();
  return uids;
}

const storeFlag = (c: ImapClient, uid: number) =>
  c.command({
    name: "STORE",
    uid: true,
    set: [{ start: uid, end: uid }],
    action: { operation: "add", silent: true, flags: ["$Busy"] },
  });

const newMessageFetches = (cmds: string[]) => cmds.filter((c) => /^UID FETCH \d+:\* \(UID FLAGS/.test(c));
const existsIn = (untagged: UntaggedData[]) =>
  untagged.flatMap((u) => (u.type === "EXISTS" ? [u.count] : [])).pop() ?? null;

describe("the fetch of new messages while the client is busy", () => {
  it("EXISTS seen by several STOREs in a row cost one fetch, within newMessagesDelayMs", async () => {
    const { c, backend } = await selected(delayed);
    const from = backend.length;
    for (let round = 0; round < 3; round++) {
      await appendDirect(1);
      await storeFlag(c, 1); // each brings an EXISTS from the backend
    }
    expect(newMessageFetches(backend.slice(from))).toEqual([]); // none yet: all within the delay
    await new Promise((r) => setTimeout(r, 600));
    expect(newMessageFetches(backend.slice(from))).toHaveLength(1);
    // the client hears of all three at its next command
    const r = await storeFlag(c, 1);
    expect(existsIn(r.untagged)).toBeGreaterThanOrEqual(6);
    await c.logout();
  });

  it("NOOP fetches at once: its answer carries the EXISTS and the new UIDs are known", async () => {
    const { c, backend } = await selected(delayed);
    const uids = await appendDirect(2);
    await storeFlag(c, 1); // brings the EXISTS; the fetch waits
    const started = performance.now();
    const noop = await c.command({ name: "NOOP" });
    expect(performance.now() - started).toBeLessThan(300);
    const count = existsIn(noop.untagged);
    expect(count).not.toBeNull();
    const search = await c.command({ name: "SEARCH", uid: true, criteria: [{ type: "ALL" }] });
    const found = search.untagged.flatMap((u) => (u.type === "SEARCH" ? u.numbers : []));
    expect(found.slice(-2)).toEqual(uids);
    expect(newMessageFetches(backend).length).toBeGreaterThanOrEqual(1);
    await c.logout();
  });

  it("a client in IDLE gets the EXISTS at once (newMessagesDelayMs 10 s)", async () => {
    const { c } = await selected(slow);
    const events: UntaggedData[] = [];
    c.onMailboxEvent = (e) => events.push(e);
    const idle = await c.idle();
    await new Promise((r) => setTimeout(r, 300)); // the proxy's backend connection is in IDLE by now
    const started = performance.now();
    await appendDirect(1);
    for (let i = 0; i < 300 && !events.some((e) => e.type === "EXISTS"); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(events.some((e) => e.type === "EXISTS")).toBe(true);
    // Dovecot itself tells an IDLE session of a change ~0.5 s after it; far below the delay
    expect(performance.now() - started).toBeLessThan(2500);
    await idle.done();
    await c.logout();
  });

  it("newMessagesDelayMs 0: every EXISTS is fetched right after the command that brought it", async () => {
    const { c, backend } = await selected(immediate);
    const from = backend.length;
    for (let round = 0; round < 3; round++) {
      await appendDirect(1);
      await storeFlag(c, 1);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(newMessageFetches(backend.slice(from))).toHaveLength(3);
    await c.logout();
  });
});
