import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";
import { RawClient } from "./helpers/raw-client.js";

/*
 * Defects found in review, each reproduced here first: the connection must never hang,
 * notifications must never be reordered, and each answer must be what the RFC says.
 */

let local: LocalServer;
beforeAll(async () => {
  local = await startLocalServer({ erin: "pw", frank: "pw" });
});
afterAll(() => local.stop());

async function login(user = "erin"): Promise<RawClient> {
  const c = await RawClient.open(local.port);
  await c.line();
  expect((await c.command("l", `LOGIN ${user} pw`)).at(-1)).toMatch(/^l OK/);
  return c;
}

const msg = (n: number | string) => `Subject: m${n}\r\n\r\nbody ${n}\r\n`;
const append = (c: RawClient, tag: string, box: string, body: string, flags = "") =>
  c.command(tag, `APPEND ${box} ${flags}{${Buffer.byteLength(body)}+}\r\n${body}`);

describe("review regressions", () => {
  it("a refused STARTTLS, IDLE or AUTHENTICATE does not leave the connection deaf", async () => {
    const pre = await RawClient.open(local.port);
    await pre.line();
    expect((await pre.command("a", "STARTTLS")).at(-1)).toMatch(/^a BAD /); // no TLS configured here
    expect((await pre.command("b", "IDLE")).at(-1)).toMatch(/^b BAD /);
    expect((await pre.command("c", "NOOP")).at(-1)).toBe("c OK NOOP completed.");
    pre.close();
    const c = await login();
    expect((await c.command("d", "AUTHENTICATE PLAIN")).at(-1)).toMatch(/^d BAD /);
    expect((await c.command("e", "NOOP")).at(-1)).toBe("e OK NOOP completed.");
    c.close();
  });

  it("EXPUNGEs pushed in IDLE to a client that stopped reading arrive before IDLE's OK, in a valid order", async () => {
    const writer = await login("frank");
    await writer.command("c", "CREATE Slow");
    // One MULTIAPPEND of 1,000 messages, then enough flag changes (about 120,000 FETCH
    // lines) to fill the loopback socket buffers of a client that does not read.
    const parts = Array.from({ length: 1000 }, (_, i) => msg(i + 1));
    await writer.command(
      "a",
      `APPEND Slow ${parts.map((p) => `{${Buffer.byteLength(p)}+}\r\n${p}`).join(" ")}`,
      60_000,
    );
    const idler = await login("frank");
    await idler.command("s", "SELECT Slow");
    idler.write("i IDLE\r\n");
    expect(await idler.line()).toBe("+ idling");
    idler.socket.pause(); // stop reading: the server's writes back up
    await writer.command("s", "SELECT Slow");
    for (let i = 0; i < 120; i++)
      await writer.command("f", `STORE 1:1000 ${i % 2 ? "-" : "+"}FLAGS.SILENT (\\Flagged)`);
    await writer.command("x1", "UID STORE 3,5,6 +FLAGS.SILENT (\\Deleted)");
    await writer.command("x2", "UID EXPUNGE 3,5");
    await writer.command("x3", "UID EXPUNGE 6");
    idler.socket.resume();
    idler.write("DONE\r\nf FETCH 1:8 (UID)\r\n");
    const idleLines = await idler.untilTagged("i", 120_000);
    const fetchLines = await idler.untilTagged("f", 120_000);
    expect(fetchLines.some((l) => / EXPUNGE$/.test(l))).toBe(false);
    // Apply what the client saw to its model of the mailbox and compare with the truth.
    const model = Array.from({ length: 1000 }, (_, i) => i + 1);
    for (const l of idleLines) {
      const m = /^\* (\d+) EXPUNGE$/.exec(l);
      if (m) model.splice(Number(m[1]) - 1, 1);
    }
    expect(model.slice(0, 8)).toEqual([1, 2, 4, 7, 8, 9, 10, 11]);
    const uids = fetchLines.map((l) => /^\* (\d+) FETCH \(UID (\d+)\)/.exec(l)).filter(Boolean);
    for (const m of uids) expect(Number(m![2])).toBe(model[Number(m![1]) - 1]);
    idler.close();
    writer.close();
  });

  it("APPEND decodes the mailbox name like every other command", async () => {
    const c = await login();
    expect((await c.command("c", 'CREATE "&AOQ-pfel"')).at(-1)).toMatch(/^c OK/);
    expect((await append(c, "a", '"&AOQ-pfel"', msg("apple"))).at(-1)).toMatch(/^a OK \[APPENDUID /);
    expect((await append(c, "b", '"&AOQ"', msg("x"))).at(-1)).toMatch(/^b BAD /);
    c.close();
  });

  it("MULTIAPPEND assigns UIDs in the order the messages were given", async () => {
    const c = await login();
    await c.command("c", "CREATE Multi");
    const parts = Array.from({ length: 40 }, (_, i) => msg(`multi-${i}`));
    const text = parts.map((p) => `{${Buffer.byteLength(p)}+}\r\n${p}`).join(" ");
    const answer = (await c.command("a", `APPEND Multi ${text}`)).at(-1)!;
    expect(answer).toMatch(/^a OK \[APPENDUID \d+ 1:40\]/);
    await c.command("s", "EXAMINE Multi");
    const fetched = await c.command("f", "UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    const subjects = fetched.filter((l) => l.startsWith("Subject:"));
    expect(subjects).toEqual(parts.map((_, i) => `Subject: mmulti-${i}`));
    c.close();
  });

  it("COPY and MOVE to a missing mailbox answer TRYCREATE", async () => {
    const c = await login();
    await append(c, "a", "INBOX", msg("copy"));
    await c.command("s", "SELECT INBOX");
    expect((await c.command("b", "COPY 1 Nope")).at(-1)).toMatch(/^b NO \[TRYCREATE\]/);
    expect((await c.command("d", "MOVE 1 Nope")).at(-1)).toMatch(/^d NO \[TRYCREATE\]/);
    c.close();
  });

  it("a failed DELETE of the selected mailbox keeps it selected; a successful one ends the session", async () => {
    const c = await login();
    await c.command("s", "SELECT INBOX");
    expect((await c.command("a", "DELETE INBOX")).at(-1)).toMatch(/^a NO /);
    expect((await c.command("b", "FETCH 1 (UID)")).at(-1)).toBe("b OK FETCH completed.");
    await c.command("c", "CREATE Doomed");
    await c.command("d", "SELECT Doomed");
    const deleted = await c.command("e", "DELETE Doomed");
    expect(deleted.at(-1)).toBe("e OK DELETE completed.");
    expect(await c.line()).toMatch(/^\* BYE /);
    await c.waitClosed();
  });

  it("IMAP4rev2: SEARCH answers with ESEARCH and \\Recent is never shown", async () => {
    const c = await login();
    await c.command("e", "ENABLE IMAP4rev2");
    await append(c, "a", "INBOX", msg("rev2"));
    const sel = (await c.command("s", "SELECT INBOX")).join("\n");
    expect(sel).not.toMatch(/RECENT/);
    const search = await c.command("f", "SEARCH ALL");
    expect(search[0]).toMatch(/^\* ESEARCH \(TAG "f"\) ALL \d/);
    expect((await c.command("g", "FETCH 1:* (FLAGS)")).join("\n")).not.toContain("\\Recent");
    c.close();
  });

  it("SEARCHRES: $ starts empty, MIN alone saves only the minimum, a failed SEARCH empties it", async () => {
    const c = await login("frank");
    await c.command("s", "SELECT Slow");
    expect(await c.command("a", "FETCH $ (UID)")).toEqual(["a OK FETCH completed."]);
    await c.command("b", "SEARCH RETURN (SAVE MIN) 1:*");
    const saved = await c.command("c", "UID FETCH $ (UID)");
    expect(saved.filter((l) => l.includes("FETCH ("))).toHaveLength(1);
    await c.command("d", "SEARCH RETURN (SAVE) CHARSET KOI8-X ALL");
    expect(await c.command("e", "UID FETCH $ (UID)")).toEqual(["e OK UID FETCH completed."]);
    c.close();
  });

  it("STORE without .SILENT reports the flags of every message, changed or not; UID FETCH of a vanished UID is OK", async () => {
    const c = await login("frank");
    await c.command("s", "SELECT Slow");
    await c.command("a", "STORE 1 +FLAGS (\\Answered)");
    const again = await c.command("b", "STORE 1 +FLAGS (\\Answered)");
    expect(again[0]).toMatch(/^\* 1 FETCH \(FLAGS \(.*\\Answered.*\)\)$/);
    const other = await login("frank");
    await other.command("s", "SELECT Slow");
    await other.command("x", "UID STORE 1 +FLAGS (\\Deleted)");
    await other.command("y", "UID EXPUNGE 1");
    expect((await c.command("f", "UID FETCH 1 (FLAGS)")).at(-1)).toBe("f OK UID FETCH completed.");
    other.close();
    c.close();
  });

  it("a subscription whose mailbox is gone is still listed", async () => {
    const c = await login();
    await c.command("a", "CREATE Gone");
    await c.command("b", "SUBSCRIBE Gone");
    await c.command("d", "DELETE Gone");
    expect((await c.command("e", 'LSUB "" "*"')).join("\n")).toMatch(/\* LSUB \(\\Noselect\) "\/" Gone/);
    expect((await c.command("f", 'LIST (SUBSCRIBED) "" "*"')).join("\n")).toMatch(
      /\* LIST \(\\NonExistent \\Subscribed\) "\/" Gone/,
    );
    c.close();
  });
});
