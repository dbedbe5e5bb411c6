import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackendSession, SelectedState } from "../src/backend.js";
import { LocalBackend } from "../src/index.js";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";
import { RawClient } from "./helpers/raw-client.js";

/*
 * SELECT on the local store hands sessions that select an unchanged mailbox one shared,
 * frozen message listing (10,000 IDLE sessions must not each build 200 objects per message
 * list). Sharing must never show a session a state other than its own: a listing is only
 * reused for the same UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ/count and never with \Recent.
 */

let local: LocalServer;
beforeAll(async () => {
  local = await startLocalServer({ lena: "pw" });
  const mail = await local.store.mailboxes("lena");
  for (let i = 1; i <= 5; i++) await mail.append("INBOX", Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`));
});
afterAll(() => local.stop());

async function open(): Promise<BackendSession> {
  return new LocalBackend(local.store).open("lena", {
    remoteAddress: "127.0.0.1",
    remotePort: 1,
    secure: false,
    sessionId: "test",
  });
}

async function selectState(session: BackendSession): Promise<SelectedState> {
  const { mailbox, state } = await session.select("INBOX", { readOnly: false });
  await mailbox.close();
  return state;
}

describe("LocalBackend SELECT listing", () => {
  it("is shared between sessions while the mailbox is unchanged and rebuilt after a change", async () => {
    const s1 = await open();
    const first = await selectState(s1); // claims \Recent: its own listing
    expect(first.recent).toEqual([1, 2, 3, 4, 5]);
    expect(first.messages.every((m) => m.flags.includes("\\Recent"))).toBe(true);
    const second = await selectState(s1);
    const third = await selectState(s1);
    expect(second.recent).toEqual([]);
    expect(second.messages).toBe(third.messages);
    expect(second.messages.some((m) => m.flags.includes("\\Recent"))).toBe(false);
    expect(Object.isFrozen(second.messages[0])).toBe(true);
    expect(second.flags).not.toBe(third.flags); // the per-session arrays are copies

    // A flag change: the next SELECT sees it, and earlier listings are untouched.
    const mail = await local.store.mailboxes("lena");
    await mail.storeFlags("INBOX", [2], "add", ["\\Seen", "$Work"]);
    const fourth = await selectState(s1);
    expect(fourth.messages).not.toBe(third.messages);
    expect(fourth.messages[1]!.flags).toEqual(["\\Seen", "$Work"]);
    expect(fourth.flags).toContain("$Work");
    expect(third.messages[1]!.flags).toEqual([]);
    expect(fourth.messages[1]!.modseq! > third.messages[1]!.modseq!).toBe(true);

    // An expunge and an append change the key too.
    await mail.expungeUids(await mail.handleByName("INBOX"), [1], false);
    const fifth = await selectState(s1);
    expect(fifth.messages.map((m) => m.uid)).toEqual([2, 3, 4, 5]);
    await s1.close();
  });

  it("gives every client over the wire its own correct state", async () => {
    const clients = await Promise.all(
      [0, 1, 2].map(async () => {
        const c = await RawClient.open(local.port);
        await c.line();
        await c.command("l", "LOGIN lena pw");
        return c;
      }),
    );
    const [a, b, c] = clients as [RawClient, RawClient, RawClient];
    const exists = (lines: string[]) => lines.find((l) => / EXISTS$/.test(l));
    const selA = await a.command("s", "SELECT INBOX");
    const selB = await b.command("s", "SELECT INBOX");
    expect(exists(selB)).toBe(exists(selA));
    await a.command("t", "STORE 1 +FLAGS (\\Flagged)");
    const selC = await c.command("s", "SELECT INBOX");
    expect(selC.at(-1)).toMatch(/^s OK/);
    const fetchC = await c.command("f", "FETCH 1 FLAGS");
    expect(fetchC.join("\n")).toMatch(/\* 1 FETCH \((UID 2 )?FLAGS \([^)]*\\Flagged/);
    // b selected before the change: it learns of it as a notification, not from the listing.
    const noopB = await b.command("n", "NOOP");
    expect(noopB.join("\n")).toMatch(/\* 1 FETCH \((UID 2 )?FLAGS \([^)]*\\Flagged/);
    for (const client of clients) client.socket.destroy();
  });
});
