import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Ledger, messageId, soakMessage } from "./helpers/failover-ledger.js";
import { RawClient } from "./helpers/raw-client.js";
import { WireRecorder } from "./helpers/wire-recorder.js";

/*
 * The failover soak test is only as good as its checkers: here each one is shown to catch
 * what it is for (and to stay quiet on legal traffic). The "server" is a script that answers
 * each command line with fixed bytes — the point is the recorder's reading of them.
 */

let server: Server | undefined;
let recorder: WireRecorder | undefined;
afterEach(async () => {
  await recorder?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = recorder = undefined;
});

/** A server that greets, then answers a command by `script[verb]` (tag substituted for $T). */
async function scripted(script: Record<string, string>): Promise<{ raw: RawClient; recorder: WireRecorder }> {
  server = createServer((socket) => {
    socket.write("* OK scripted\r\n");
    let buf = "";
    socket.on("data", (d) => {
      buf += d.toString("latin1");
      for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const [tag, ...rest] = line.split(" ");
        const verb = rest.join(" ");
        const answer = script[verb] ?? (line === "DONE" ? script.DONE : undefined);
        if (answer !== undefined) socket.write(answer.replaceAll("$T", tag!));
        else socket.write(`${tag} OK\r\n`);
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  recorder = await WireRecorder.start({ host: "127.0.0.1", port });
  const raw = await RawClient.open(recorder.port);
  await raw.line();
  return { raw, recorder };
}

const SELECT = "* 3 EXISTS\r\n* OK [UIDVALIDITY 1]\r\n$T OK [READ-WRITE] done\r\n";

describe("wire recorder", () => {
  it("accepts EXPUNGE during NOOP, UID FETCH, UID STORE and IDLE", async () => {
    const { raw, recorder } = await scripted({
      "SELECT INBOX": SELECT,
      NOOP: "* 1 EXPUNGE\r\n$T OK\r\n",
      "UID FETCH 1:* (FLAGS)": "* 1 FETCH (UID 7 FLAGS ())\r\n* 1 EXPUNGE\r\n$T OK\r\n",
      "UID STORE 9 +FLAGS (x)": "* 1 FETCH (UID 9 FLAGS (x))\r\n$T OK\r\n",
      IDLE: "+ idling\r\n* 1 EXPUNGE\r\n",
      DONE: "",
    });
    await raw.command("a", "SELECT INBOX");
    await raw.command("b", "NOOP");
    await raw.command("c", "UID FETCH 1:* (FLAGS)");
    await raw.command("d", "UID STORE 9 +FLAGS (x)");
    raw.write("e IDLE\r\n");
    await raw.line();
    await raw.line();
    raw.write("DONE\r\n");
    raw.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(recorder.violations).toEqual([]);
    expect(recorder.stats.expunges).toBe(3);
  });

  it("flags EXPUNGE during FETCH, STORE and SEARCH by sequence number", async () => {
    const { raw, recorder } = await scripted({
      "SELECT INBOX": SELECT,
      "FETCH 1:* (FLAGS)": "* 1 FETCH (FLAGS ())\r\n* 1 EXPUNGE\r\n$T OK\r\n",
      "STORE 1 +FLAGS (x)": "* 1 EXPUNGE\r\n$T OK\r\n",
      "SEARCH ALL": "* SEARCH\r\n* VANISHED 5\r\n$T OK\r\n",
    });
    await raw.command("a", "SELECT INBOX");
    await raw.command("b", "FETCH 1:* (FLAGS)");
    await raw.command("c", "STORE 1 +FLAGS (x)");
    await raw.command("d", "SEARCH ALL");
    raw.close();
    expect(recorder.violations).toHaveLength(3);
    expect(recorder.violations[0]).toMatch(/\* 1 EXPUNGE sent during b FETCH/);
    expect(recorder.violations[1]).toMatch(/during c STORE/);
    expect(recorder.violations[2]).toMatch(/VANISHED 5 sent during d SEARCH/);
  });

  it("flags EXPUNGE with no command in progress, EXISTS going down and numbers past the end", async () => {
    const { raw, recorder } = await scripted({
      "SELECT INBOX": SELECT,
      NOOP: "$T OK\r\n* 1 EXPUNGE\r\n",
      CHECK: "* 1 EXISTS\r\n* 5 EXPUNGE\r\n$T OK\r\n",
    });
    await raw.command("a", "SELECT INBOX");
    await raw.command("b", "NOOP");
    await raw.line(); // the stray EXPUNGE
    await raw.command("c", "CHECK");
    raw.close();
    expect(recorder.violations.join("\n")).toMatch(/EXPUNGE sent with no command in progress/);
    expect(recorder.violations.join("\n")).toMatch(/EXISTS went down from 2 to 1/);
    expect(recorder.violations.join("\n")).toMatch(/\* 5 EXPUNGE with 1 messages/);
  });

  it("skips literals both ways: response text inside a body or an APPEND is not a response", async () => {
    const body = "* 1 EXPUNGE\r\nb OK fake\r\n";
    const { raw, recorder } = await scripted({
      "SELECT INBOX": SELECT,
      "FETCH 1 BODY[]": `* 1 FETCH (BODY[] {${body.length}}\r\n${body})\r\n$T OK\r\n`,
    });
    await raw.command("a", "SELECT INBOX");
    await raw.command("b", "FETCH 1 BODY[]");
    await raw.command("c", `APPEND INBOX {${body.length}+}\r\n${body}`);
    raw.close();
    expect(recorder.violations).toEqual([]);
    expect(recorder.stats.expunges).toBe(0);
    expect(recorder.stats.commands).toBe(3);
  });
});

describe("ledger", () => {
  const listing = (messages: Array<{ uid: number; id: string; flags?: string[] }>) => ({
    uidValidity: 5,
    messages: messages.map((m) => ({
      uid: m.uid,
      id: m.id,
      flags: m.flags ?? [],
      size: Buffer.byteLength(soakMessage(m.id)),
    })),
  });

  it("finds a lost acknowledged APPEND, a lost STORE, a resurrected EXPUNGE and a duplicate", () => {
    const ledger = new Ledger(2);
    const a = messageId(0, 0, 300);
    const b = messageId(1, 0, 300);
    const c = messageId(1, 1, 300);
    ledger.appended(a, 0, ["$c0a"], 10);
    ledger.appended(b, 1, [], 11);
    ledger.appended(c, 1, [], 12);
    ledger.stored(11, "$c0b", true, true);
    ledger.expunged(12, true);
    expect(
      ledger.check(
        listing([
          { uid: 10, id: a, flags: ["$c0a"] },
          { uid: 11, id: b, flags: ["$c0b"] },
        ]),
        5,
      ),
    ).toEqual([]);
    const problems = ledger.check(
      listing([
        { uid: 11, id: b },
        { uid: 12, id: c },
        { uid: 13, id: c },
      ]),
      5,
    );
    expect(problems.join("\n")).toMatch(/c1-0-300 \(UID 11\): \$c0b is not set/);
    expect(problems.join("\n")).toMatch(/c1-1-300 \(UID 12\): UID EXPUNGE was acknowledged, still there/);
    expect(problems.join("\n")).toMatch(/c1-1-300 is in the mailbox twice/);
    expect(problems.join("\n")).toMatch(/c0-0-300 \(UID 10\): APPEND was acknowledged .* gone/);
  });

  it("accepts either outcome of a command that was not acknowledged", () => {
    const ledger = new Ledger(1);
    const a = messageId(0, 0, 300);
    const b = messageId(0, 1, 300);
    ledger.appended(a, 0, [], 10);
    ledger.appended(b, 0, [], undefined);
    ledger.stored(10, "$c0a", true, false);
    ledger.expunged(10, false);
    expect(ledger.check(listing([]), 5)).toEqual([]);
    expect(
      ledger.check(
        listing([
          { uid: 10, id: a, flags: ["$c0a"] },
          { uid: 11, id: b },
        ]),
        5,
      ),
    ).toEqual([]);
    expect(ledger.check(listing([{ uid: 10, id: a }]), 6)).toEqual(["UIDVALIDITY changed from 6 to 5"]);
  });
});
