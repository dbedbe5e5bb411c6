import { type DovecotServer, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImapClient } from "../src/remote/index.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";
import { startTamperingRelay, type TamperingRelay } from "./helpers/tampering-relay.js";
import { MESSAGE } from "./remote-fixtures.js";

/*
 * Before a client sends an APPEND's message, the stateful proxy makes sure the target mailbox
 * exists (`STATUS box (UIDVALIDITY)`), so that a missing one is NO [TRYCREATE] before any
 * byte of the message is sent. The mailbox the client has selected is not checked: it
 * existed at SELECT, and if another session has deleted it since, the backend refuses the
 * APPEND itself with TRYCREATE. That saves a backend command on every APPEND of a client
 * that files into the mailbox it has open (the bench's mixed load: 20% of its commands).
 * A relay between the proxy and Dovecot records the proxy's commands.
 */

let dovecot: DovecotServer;
let relay: TamperingRelay;
let proxy: RemoteProxy;
/** Commands the proxy sent to Dovecot (tags removed), in order. */
const sent: string[] = [];

beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ name: "alice", password: "alice-pw" }] });
  relay = await startTamperingRelay(dovecot, () => ({
    toServer(d, { upstream }) {
      for (const line of d.toString("latin1").split("\r\n")) {
        const m = /^H\d+ (.+)$/.exec(line);
        if (m) sent.push(m[1]!);
      }
      upstream.write(d);
    },
  }));
  proxy = await startRemoteProxy([relay]);
});

afterAll(async () => {
  await proxy?.stop();
  relay?.close();
  await dovecot?.stop();
});

async function loggedIn(): Promise<ImapClient> {
  const c = await ImapClient.connect({ id: "proxy", host: "127.0.0.1", port: proxy.port });
  await c.login("alice", "alice-pw");
  return c;
}

const append = (c: ImapClient, mailbox: string, subject: string) =>
  c.command({ name: "APPEND", mailbox, messages: [{ flags: [], data: MESSAGE(subject, "body\r\n") }] });

describe("APPEND: the mailbox check before the message", () => {
  it("into the selected mailbox: no STATUS, the APPEND goes straight to the backend", async () => {
    const c = await loggedIn();
    await c.command({ name: "SELECT", mailbox: "INBOX", condstore: false });
    const from = sent.length;
    const r = await append(c, "INBOX", "into the selected one");
    expect(r.code?.name).toBe("APPENDUID");
    const during = sent.slice(from);
    expect(during.filter((s) => s.startsWith("STATUS"))).toEqual([]);
    expect(during[0]).toMatch(/^APPEND INBOX /);
    await c.logout();
  });

  it("into another mailbox: STATUS first; a missing one is NO [TRYCREATE] and nothing is appended", async () => {
    const c = await loggedIn();
    await c.command({ name: "CREATE", mailbox: "Archive" });
    await c.command({ name: "SELECT", mailbox: "INBOX", condstore: false });
    let from = sent.length;
    expect((await append(c, "Archive", "filed")).code?.name).toBe("APPENDUID");
    expect(sent.slice(from, from + 2)).toEqual([
      "STATUS Archive (UIDVALIDITY)",
      expect.stringMatching(/^APPEND Archive /),
    ]);
    from = sent.length;
    await expect(append(c, "Nowhere", "lost")).rejects.toThrow(/TRYCREATE/);
    expect(sent.slice(from)).toEqual(["STATUS Nowhere (UIDVALIDITY)"]);
    await c.logout();
  });

  it("the selected mailbox deleted by another session meanwhile: the APPEND is refused (as by Dovecot itself), nothing is stored", async () => {
    // Dovecot answers such an APPEND with NO [SERVERBUG] (its save finds the folder gone) and
    // the next command with BYE ("session state is inconsistent"); the proxy passes the NO
    // on and, its backend session gone, ends the client's session as Dovecot would.
    const a = await loggedIn();
    await a.command({ name: "CREATE", mailbox: "Doomed" });
    await a.command({ name: "SELECT", mailbox: "Doomed", condstore: false });
    const b = await loggedIn();
    await b.command({ name: "DELETE", mailbox: "Doomed" });
    await expect(append(a, "Doomed", "too late")).rejects.toThrow(/^APPEND: NO/);
    const noop = await a.command({ name: "NOOP" }).then(
      () => "OK",
      (error: Error) => error.message,
    );
    expect(noop).toMatch(/^OK$|BYE|closed|UNAVAILABLE/i);
    const list = await b.command({
      name: "LIST",
      reference: "",
      patterns: ["*"],
      selection: [],
      returnOptions: {},
      extended: false,
    });
    const names = list.untagged.flatMap((u) => (u.type === "LIST" ? [u.mailbox] : []));
    expect(names).not.toContain("Doomed");
    const search = await b.command({ name: "EXAMINE", mailbox: "INBOX", condstore: false });
    expect(search.untagged.some((u) => u.type === "EXISTS")).toBe(true);
    await b.logout();
    a.destroy();
  });
});
