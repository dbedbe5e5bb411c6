import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";
import { RawClient } from "./helpers/raw-client.js";

/*
 * CONDSTORE/QRESYNC resynchronisation (RFC 7162): a client that remembers UIDVALIDITY and
 * HIGHESTMODSEQ comes back after other sessions changed flags, expunged and appended; one
 * SELECT (QRESYNC ...) tells it exactly what happened.
 */

let local: LocalServer;
beforeAll(async () => {
  local = await startLocalServer({ dave: "pw" });
});
afterAll(() => local.stop());

const login = () => RawClient.loggedIn(local.port, "dave", "pw");

const msg = (n: number) => `Subject: m${n}\r\n\r\nbody ${n}\r\n`;

describe("QRESYNC", () => {
  it("SELECT with QRESYNC reports VANISHED (EARLIER) and the changed flags since the known MODSEQ", async () => {
    const writer = await login();
    for (let i = 1; i <= 5; i++) await writer.command("a", `APPEND INBOX {${msg(i).length}+}\r\n${msg(i)}`);

    const client = await login();
    expect((await client.command("e", "ENABLE QRESYNC")).join("\n")).toContain("ENABLED QRESYNC");
    const first = (await client.command("s", "SELECT INBOX")).join("\n");
    const uidValidity = /UIDVALIDITY (\d+)/.exec(first)![1];
    const modseq = /HIGHESTMODSEQ (\d+)/.exec(first)![1];
    await client.command("u", "UNSELECT");

    await writer.command("b", "SELECT INBOX");
    await writer.command("c", "UID STORE 2 +FLAGS (\\Deleted)");
    await writer.command("d", "UID EXPUNGE 2");
    await writer.command("f", "UID STORE 4 +FLAGS (\\Seen)");
    await writer.command("g", `APPEND INBOX {${msg(6).length}+}\r\n${msg(6)}`);

    const again = await client.command("t", `SELECT INBOX (QRESYNC (${uidValidity} ${modseq} 1:5))`);
    const text = again.join("\n");
    expect(text).toContain("* VANISHED (EARLIER) 2");
    expect(text).toMatch(/\* \d+ FETCH \(UID 4 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)/);
    expect(text).toMatch(
      /\* \d+ FETCH \(UID 6 FLAGS \(\\Recent\) MODSEQ \(\d+\)\)|\* \d+ FETCH \(UID 6 FLAGS \(\) MODSEQ/,
    );
    expect(text).not.toMatch(/FETCH \(UID [135] /);
    expect(again.at(-1)).toBe("t OK [READ-WRITE] SELECT completed.");

    // VANISHED instead of EXPUNGE while selected, and UID FETCH (CHANGEDSINCE .. VANISHED).
    const since = /HIGHESTMODSEQ (\d+)/.exec(text)![1];
    await writer.command("h", "UID STORE 1 +FLAGS (\\Deleted)");
    await writer.command("i", "UID EXPUNGE 1");
    const noop = await client.command("n", "NOOP");
    expect(noop).toContain("* VANISHED 1");
    const changed = await client.command("v", `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${since} VANISHED)`);
    expect(changed.join("\n")).toContain("* VANISHED (EARLIER) 1");
    writer.close();
    client.close();
  });

  it("refuses QRESYNC parameters without ENABLE QRESYNC", async () => {
    const c = await login();
    expect((await c.command("s", "SELECT INBOX (QRESYNC (1 1))")).at(-1)).toMatch(/^s BAD /);
    c.close();
  });
});
