import { describe, expect, test } from "vitest";
import { allWays, driveCommands, driveResponses, type Normalized } from "./helpers.js";

/**
 * The sample connections of RFC 3501 section 8 and RFC 9051 section 8, both directions, each
 * parsed whole, one byte at a time and in random chunks.
 */

const header = (rev: string) =>
  [
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
    "From: Terry Gray <gray@cac.washington.edu>",
    `Subject: ${rev} WG mtg summary and minutes`,
    "To: imap@cac.washington.edu",
    "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>",
    "Message-Id: <B27397-0100000@cac.washington.edu>",
    "MIME-Version: 1.0",
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII",
    "",
    "",
  ].join("\r\n");

const fetchFull = (rev: string, messageId: string) =>
  `* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "${rev} WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US") ("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "${messageId}") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n`;

function commands(input: string): Normalized[] {
  return allWays(
    input,
    // the server answers each SASL step with "+ challenge" until the client's empty response
    (chunks) => driveCommands(chunks, {}, { saslAfterAuthenticate: () => true, moreSasl: (d) => d.length > 0 }),
    (a, b, how) => expect(a, how).toEqual(b),
  );
}

function responses(input: string): Normalized[] {
  return allWays(
    input,
    (chunks) => driveResponses(chunks),
    (a, b, how) => expect(a, how).toEqual(b),
  );
}

describe("RFC 3501 section 8", () => {
  test("client side", () => {
    const events = commands(
      "a001 login mrc secret\r\na002 select inbox\r\na003 fetch 12 full\r\na004 fetch 12 body[header]\r\na005 store 12 +flags \\deleted\r\na006 logout\r\n",
    );
    expect(events.map((e) => (e.type === "command" ? `${e.command.tag} ${e.command.name}` : e.type))).toEqual([
      "a001 LOGIN",
      "a002 SELECT",
      "a003 FETCH",
      "a004 FETCH",
      "a005 STORE",
      "a006 LOGOUT",
    ]);
    expect(events[0]).toMatchObject({ command: { username: "mrc", password: "secret" } });
    expect(events[1]).toMatchObject({ command: { mailbox: "INBOX" } });
    expect(events[2]).toMatchObject({ command: { macro: "FULL" } });
    expect(events[3]).toMatchObject({
      command: { items: [{ type: "BODY[]", peek: false, section: { part: [], text: "HEADER" } }] },
    });
    expect(events[4]).toMatchObject({ command: { action: { operation: "add", silent: false, flags: ["\\deleted"] } } });
  });

  test("server side", () => {
    const h = header("IMAP4rev1");
    expect(h.length).toBe(342);
    const events = responses(
      [
        "* OK IMAP4rev1 Service Ready\r\n",
        "a001 OK LOGIN completed\r\n",
        "* 18 EXISTS\r\n",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        "* 2 RECENT\r\n",
        "* OK [UNSEEN 17] Message 17 is the first unseen message\r\n",
        "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        "a002 OK [READ-WRITE] SELECT completed\r\n",
        fetchFull("IMAP4rev1", "<B27397-0100000@cac.washington.edu>"),
        "a003 OK FETCH completed\r\n",
        `* 12 FETCH (BODY[HEADER] {342}\r\n${h})\r\n`,
        "a004 OK FETCH completed\r\n",
        "* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n",
        "a005 OK +FLAGS completed\r\n",
        "* BYE IMAP4rev1 server terminating connection\r\n",
        "a006 OK LOGOUT completed\r\n",
      ].join(""),
    );
    expect(events.filter((e) => e.type === "error")).toEqual([]);
    expect(events).toContainEqual({ type: "literal-start", seq: 12, item: "BODY[HEADER]", size: 342 });
    expect(events).toContainEqual({ type: "literal", data: h });
    expect(events.filter((e) => e.type === "response")).toHaveLength(16);
    expect(events[5]).toEqual({
      type: "response",
      response: {
        kind: "untagged",
        data: {
          type: "STATUS-RESPONSE",
          status: "OK",
          code: { name: "UNSEEN", value: 17 },
          text: "Message 17 is the first unseen message",
        },
      },
    });
    expect(events[7]).toEqual({
      type: "response",
      response: { kind: "tagged", tag: "a002", status: "OK", code: { name: "READ-WRITE" }, text: "SELECT completed" },
    });
  });
});

describe("RFC 9051 section 8", () => {
  test("client side, with SASL continuation lines", () => {
    const events = commands(
      [
        "a000 starttls",
        "A001 AUTHENTICATE SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=",
        "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==",
        "",
        "babc ENABLE IMAP4rev2",
        "a002 select inbox",
        "a003 fetch 12 full",
        "a004 fetch 12 body[header]",
        "a005 store 12 +flags \\deleted",
        "a006 logout",
        "",
      ].join("\r\n"),
    );
    expect(events.filter((e) => e.type === "error")).toEqual([]);
    expect(events.slice(0, 4)).toEqual([
      { type: "command", command: { tag: "a000", name: "STARTTLS" } },
      {
        type: "command",
        command: {
          tag: "A001",
          name: "AUTHENTICATE",
          mechanism: "SCRAM-SHA-256",
          initialResponse: "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=",
        },
      },
      {
        type: "sasl-response",
        data: "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==",
      },
      { type: "sasl-response", data: "" },
    ]);
    expect(events.slice(4).map((e) => (e.type === "command" ? `${e.command.tag} ${e.command.name}` : e.type))).toEqual([
      "babc ENABLE",
      "a002 SELECT",
      "a003 FETCH",
      "a004 FETCH",
      "a005 STORE",
      "a006 LOGOUT",
    ]);
  });

  test("server side", () => {
    const h = header("IMAP4rev2");
    const events = responses(
      [
        "* OK [CAPABILITY STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED IMAP4rev2] IMAP4rev2 Service Ready\r\n",
        "a000 OK Proceed with TLS negotiation\r\n",
        "+ cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=\r\n",
        "+ dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==\r\n",
        "A001 OK SCRAM-SHA-256 authentication successful\r\n",
        "* ENABLED IMAP4rev2\r\n",
        "babc OK Some capabilities enabled\r\n",
        "* 18 EXISTS\r\n",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        '* LIST () "/" INBOX ("OLDNAME" ("inbox"))\r\n',
        "a002 OK [READ-WRITE] SELECT completed\r\n",
        fetchFull("IMAP4rev2", "<B27397-0100000@cac.washington.ed>"),
        "a003 OK FETCH completed\r\n",
        `* 12 FETCH (BODY[HEADER] {342}\r\n${h})\r\n`,
        "a004 OK FETCH completed\r\n",
        "* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n",
        "a005 OK +FLAGS completed\r\n",
        "* BYE IMAP4rev2 server terminating connection\r\n",
        "a006 OK LOGOUT completed\r\n",
      ].join(""),
    );
    expect(events.filter((e) => e.type === "error")).toEqual([]);
    expect(events[0]).toMatchObject({
      response: {
        data: {
          code: { name: "CAPABILITY", capabilities: ["STARTTLS", "AUTH=SCRAM-SHA-256", "LOGINDISABLED", "IMAP4rev2"] },
        },
      },
    });
    expect(events[2]).toMatchObject({ response: { kind: "continuation", text: expect.stringMatching(/^cj1y/) } });
    expect(events[10]).toEqual({
      type: "response",
      response: {
        kind: "untagged",
        data: { type: "LIST", attributes: [], delimiter: "/", mailbox: "INBOX", extended: [["OLDNAME", ["inbox"]]] },
      },
    });
    expect(events).toContainEqual({ type: "literal", data: h });
  });
});
