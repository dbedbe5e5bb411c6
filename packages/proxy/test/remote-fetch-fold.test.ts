import type { FetchResponseItem } from "@holdfast/imap-codec";
import { type DovecotServer, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImapClient } from "../src/remote/index.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";
import { type RelayHandlers, startTamperingRelay, type TamperingRelay } from "./helpers/tampering-relay.js";
import { MESSAGE } from "./remote-fixtures.js";

/*
 * A client fetching one message's body costs one backend command: `UID FETCH uid (UID <the
 * other items> BODY.PEEK[...])`, the response written to the client as soon as the literal
 * starts, since Dovecot sends the other items before the body. IMAP does not order FETCH
 * items, so a backend may send the body first: then the proxy cannot write the response in
 * the client's order while the body streams, and fetches the body once more. A relay between
 * the proxy and Dovecot records the proxy's commands and, when told to, moves the body
 * literal of a FETCH response in front of the other items.
 */

let dovecot: DovecotServer;
let relay: TamperingRelay;
let proxy: RemoteProxy;
let port: number;
/** Commands the proxy sent to Dovecot (tags removed), in order. */
const sent: string[] = [];
let bodyFirst = false;
/** FETCH responses the relay reordered. */
let reordered = 0;

const LARGE = MESSAGE("fold large", `${"0123456789abcdef".repeat(63)}\r\n`.repeat(300)); // ~300 KB
const SMALL = MESSAGE("fold small", "short\r\n");

/** `* n FETCH (<items> BODY[] {size}\r\n<bytes>)`: the body moved before the items. */
function moveBodyFirst(blob: Buffer): Buffer {
  const text = blob.toString("latin1");
  const m = /\* (\d+) FETCH \(([^\r\n]*?) ?(BODY\[\] \{(\d+)\}\r\n)/.exec(text);
  if (m === null || m[2] === "") return blob;
  reordered++;
  const bodyAt = m.index + m[0].length;
  const size = Number(m[4]);
  const rest = text.slice(bodyAt + size); // ")\r\n…" or " MODSEQ (…))\r\n…"
  return Buffer.from(
    `${text.slice(0, m.index)}* ${m[1]} FETCH (${m[3]}${text.slice(bodyAt, bodyAt + size)} ${m[2]}${rest}`,
    "latin1",
  );
}

/** Records the proxy's commands; with `bodyFirst`, rewrites the answers to body FETCHes. */
function relayHandlers(): RelayHandlers {
  let held: Buffer[] = [];
  /** A body FETCH was sent and its answer is due (only those are held and rewritten). */
  let bodyFetch = false;
  return {
    toServer(d, { upstream }) {
      for (const line of d.toString("latin1").split("\r\n")) {
        const m = /^H\d+ (.+)$/.exec(line);
        if (m) sent.push(m[1]!);
        if (m && /FETCH .*BODY\.PEEK/.test(m[1]!)) bodyFetch = true;
      }
      upstream.write(d);
    },
    toClient(d, { client }) {
      if (!bodyFirst || !bodyFetch) {
        client.write(d);
        return;
      }
      // whole command answers only (the test's bodies hold no tagged lines)
      held.push(d);
      const blob = Buffer.concat(held);
      if (!/(^|\r\n)H\d+ (OK|NO|BAD)[^\r\n]*\r\n$/.test(blob.toString("latin1", Math.max(0, blob.length - 200))))
        return;
      held = [];
      bodyFetch = false;
      client.write(moveBodyFirst(blob));
    },
  };
}

beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ name: "alice", password: "alice-pw" }] });
  const seed = await ImapClient.connect({ id: "direct", host: dovecot.host, port: dovecot.port });
  await seed.login("alice", "alice-pw");
  for (const m of [LARGE, SMALL])
    await seed.command({ name: "APPEND", mailbox: "INBOX", messages: [{ flags: ["$Fold"], data: m }] });
  await seed.logout();
  relay = await startTamperingRelay(dovecot, relayHandlers);
  proxy = await startRemoteProxy([relay]);
  port = proxy.port;
});

afterAll(async () => {
  await proxy?.stop();
  relay?.close();
  await dovecot?.stop();
});

/** `UID FETCH uid (FLAGS BODY.PEEK[])` through the proxy: the items and the body's bytes, and the proxy's FETCH commands meanwhile. */
async function fetchThroughProxy(
  uid: number,
): Promise<{ items: FetchResponseItem[]; body: Buffer; backend: string[] }> {
  const c = await ImapClient.connect({ id: "proxy", host: "127.0.0.1", port }, { streamThreshold: 0 });
  try {
    await c.login("alice", "alice-pw");
    await c.command({ name: "EXAMINE", mailbox: "INBOX", condstore: false });
    const from = sent.length;
    const chunks: Buffer[] = [];
    const result = await c.command(
      {
        name: "FETCH",
        uid: true,
        set: [{ start: uid, end: uid }],
        items: [{ type: "FLAGS" }, { type: "BODY[]", peek: true, section: { part: [] } }],
        vanished: false,
      },
      { onLiteral: (ev) => ev.type === "literal-chunk" && chunks.push(Buffer.from(ev.chunk)) },
    );
    const backend = sent.slice(from).filter((s) => /FETCH .*(BODY|RFC822)/.test(s));
    const fetch = result.untagged.find((u) => u.type === "FETCH");
    return { items: fetch?.type === "FETCH" ? fetch.items : [], body: Buffer.concat(chunks), backend };
  } finally {
    await c.logout().catch(() => {});
  }
}

describe("one message's body: one backend command", () => {
  it("a large body streams from a single UID FETCH that also asks for the other items", async () => {
    const { items, body, backend } = await fetchThroughProxy(1);
    expect(items.map((i) => i.name)).toEqual(["UID", "FLAGS", "BODY[]"]);
    expect(items.find((i) => i.name === "FLAGS")?.value).toContain("$Fold");
    expect(body.equals(LARGE)).toBe(true);
    expect(backend).toEqual(["UID FETCH 1 (UID FLAGS BODY.PEEK[])"]);
  });

  it("a small body too", async () => {
    const { items, body, backend } = await fetchThroughProxy(2);
    expect(items.find((i) => i.name === "FLAGS")?.value).toContain("$Fold");
    expect(body.equals(SMALL)).toBe(true);
    expect(backend).toEqual(["UID FETCH 2 (UID FLAGS BODY.PEEK[])"]);
  });

  it("a backend that sends the body before the other items: the body is fetched again, the client's answer is the same", async () => {
    bodyFirst = true;
    const before = reordered;
    try {
      const { items, body, backend } = await fetchThroughProxy(1);
      expect(items.map((i) => i.name)).toEqual(["UID", "FLAGS", "BODY[]"]);
      expect(items.find((i) => i.name === "FLAGS")?.value).toContain("$Fold");
      expect(body.equals(LARGE)).toBe(true);
      expect(backend).toEqual(["UID FETCH 1 (UID FLAGS BODY.PEEK[])", "UID FETCH 1 (BODY.PEEK[])"]);
      expect(reordered).toBe(before + 2); // the second answer's UID moved after the body too
    } finally {
      bodyFirst = false;
    }
  });

  it("a small body in that order needs no second command (the whole response is read before it is used)", async () => {
    bodyFirst = true;
    const before = reordered;
    try {
      const { items, body, backend } = await fetchThroughProxy(2);
      expect(items.find((i) => i.name === "FLAGS")?.value).toContain("$Fold");
      expect(body.equals(SMALL)).toBe(true);
      expect(backend).toEqual(["UID FETCH 2 (UID FLAGS BODY.PEEK[])"]);
      expect(reordered).toBe(before + 1);
    } finally {
      bodyFirst = false;
    }
  });

  it("several messages keep the metadata-first path (sizes decide which bodies stream)", async () => {
    const from = sent.length;
    const c = await ImapClient.connect({ id: "proxy", host: "127.0.0.1", port }, { streamThreshold: 0 });
    await c.login("alice", "alice-pw");
    await c.command({ name: "EXAMINE", mailbox: "INBOX", condstore: false });
    const r = await c.command({
      name: "FETCH",
      uid: true,
      set: [{ start: 1, end: 2 }],
      items: [{ type: "BODY[]", peek: true, section: { part: [] } }],
      vanished: false,
    });
    await c.logout();
    expect(r.untagged.filter((u) => u.type === "FETCH")).toHaveLength(2);
    expect(sent.slice(from).filter((s) => /FETCH .*(BODY|RFC822)/.test(s))[0]).toBe("UID FETCH 1:2 (UID RFC822.SIZE)");
  });
});
