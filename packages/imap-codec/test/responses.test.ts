import { describe, expect, test } from "vitest";
import { type Response, ResponseParser, type ResponseParserOptions } from "../src/index.js";
import { allWays, driveResponses, type Normalized } from "./helpers.js";

function run(input: string, options?: ResponseParserOptions): Normalized[] {
  return allWays(
    input,
    (chunks) => driveResponses(chunks, options),
    (a, b, how) => expect(a, how).toEqual(b),
  );
}

function one(line: string, options?: ResponseParserOptions): Response {
  const events = run(`${line}\r\n`, options);
  expect(events.filter((e) => e.type === "error")).toEqual([]);
  expect(events).toHaveLength(1);
  return (events[0] as { response: Response }).response;
}

const untagged = (line: string) => {
  const r = one(line);
  if (r.kind !== "untagged") throw new Error("not untagged");
  return r.data;
};

describe("status responses and response codes", () => {
  test.each([
    ["* OK IMAP4rev2 server ready", { type: "STATUS-RESPONSE", status: "OK", text: "IMAP4rev2 server ready" }],
    [
      "* OK [ALERT] System shutdown in 10 minutes",
      { type: "STATUS-RESPONSE", status: "OK", code: { name: "ALERT" }, text: "System shutdown in 10 minutes" },
    ],
    [
      "* NO Disk is 98% full, please delete unnecessary data",
      { type: "STATUS-RESPONSE", status: "NO", text: "Disk is 98% full, please delete unnecessary data" },
    ],
    ["* BAD Command line too long", { type: "STATUS-RESPONSE", status: "BAD", text: "Command line too long" }],
    [
      "* PREAUTH IMAP4rev2 server logged in as Smith",
      { type: "STATUS-RESPONSE", status: "PREAUTH", text: "IMAP4rev2 server logged in as Smith" },
    ],
    [
      "* BYE Autologout; idle for too long",
      { type: "STATUS-RESPONSE", status: "BYE", text: "Autologout; idle for too long" },
    ],
    [
      "* OK [UNSEEN 12] Message 12 is first unseen",
      {
        type: "STATUS-RESPONSE",
        status: "OK",
        code: { name: "UNSEEN", value: 12 },
        text: "Message 12 is first unseen",
      },
    ],
    [
      "* OK [UIDVALIDITY 3857529045] UIDs valid",
      { type: "STATUS-RESPONSE", status: "OK", code: { name: "UIDVALIDITY", value: 3857529045 }, text: "UIDs valid" },
    ],
    [
      "* OK [UIDNEXT 4392] Predicted next UID",
      { type: "STATUS-RESPONSE", status: "OK", code: { name: "UIDNEXT", value: 4392 }, text: "Predicted next UID" },
    ],
    [
      "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited",
      {
        type: "STATUS-RESPONSE",
        status: "OK",
        code: { name: "PERMANENTFLAGS", flags: ["\\Deleted", "\\Seen", "\\*"] },
        text: "Limited",
      },
    ],
    [
      "* OK [HIGHESTMODSEQ 715194045007]",
      { type: "STATUS-RESPONSE", status: "OK", code: { name: "HIGHESTMODSEQ", modseq: 715194045007n }, text: "" },
    ],
    [
      "* OK [CLOSED] Previous mailbox closed",
      { type: "STATUS-RESPONSE", status: "OK", code: { name: "CLOSED" }, text: "Previous mailbox closed" },
    ],
    [
      "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences",
      {
        type: "STATUS-RESPONSE",
        status: "OK",
        code: { name: "NOMODSEQ" },
        text: "Sorry, this mailbox format doesn't support modsequences",
      },
    ],
    [
      "* OK [XSTRANGE some thing] hi",
      {
        type: "STATUS-RESPONSE",
        status: "OK",
        code: { name: "OTHER", atom: "XSTRANGE", text: "some thing" },
        text: "hi",
      },
    ],
    [
      "* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] ready",
      {
        type: "STATUS-RESPONSE",
        status: "OK",
        code: { name: "CAPABILITY", capabilities: ["IMAP4rev1", "LITERAL+", "IDLE"] },
        text: "ready",
      },
    ],
  ])("%s", (line, data) => {
    expect(untagged(line)).toEqual(data);
  });

  test("tagged responses with UIDPLUS, CONDSTORE and RFC 5530 codes", () => {
    expect(one("A003 OK [APPENDUID 38505 3955] APPEND completed")).toEqual({
      kind: "tagged",
      tag: "A003",
      status: "OK",
      code: { name: "APPENDUID", uidValidity: 38505, uids: [{ start: 3955, end: 3955 }] },
      text: "APPEND completed",
    });
    expect(one("A004 OK [COPYUID 38505 304,319:320 3956:3958] Done")).toMatchObject({
      code: {
        name: "COPYUID",
        uidValidity: 38505,
        sourceUids: [
          { start: 304, end: 304 },
          { start: 319, end: 320 },
        ],
        destinationUids: [{ start: 3956, end: 3958 }],
      },
    });
    expect(one("d105 OK [MODIFIED 7,9] Conditional STORE failed")).toMatchObject({
      code: {
        name: "MODIFIED",
        set: [
          { start: 7, end: 7 },
          { start: 9, end: 9 },
        ],
      },
    });
    expect(one("A1 NO [TRYCREATE] No such mailbox")).toMatchObject({ status: "NO", code: { name: "TRYCREATE" } });
    expect(one("A1 NO [BADCHARSET (UTF-8 US-ASCII)] charset")).toMatchObject({
      code: { name: "BADCHARSET", charsets: ["UTF-8", "US-ASCII"] },
    });
    expect(one("A1 NO [BADCHARSET] charset")).toMatchObject({ code: { name: "BADCHARSET", charsets: [] } });
    for (const code of [
      "NONEXISTENT",
      "ALREADYEXISTS",
      "AUTHENTICATIONFAILED",
      "OVERQUOTA",
      "TOOBIG",
      "UIDNOTSTICKY",
      "READ-WRITE",
      "READ-ONLY",
      "INUSE",
      "CANNOT",
      "LIMIT",
      "EXPUNGEISSUED",
      "SERVERBUG",
      "CLIENTBUG",
      "NOPERM",
      "PARSE",
      "USEATTR",
    ]) {
      expect(one(`A1 NO [${code}] x`)).toMatchObject({ code: { name: code } });
    }
    expect(one("a001 OK LOGIN completed")).toEqual({
      kind: "tagged",
      tag: "a001",
      status: "OK",
      text: "LOGIN completed",
    });
    expect(one("A1 BAD")).toEqual({ kind: "tagged", tag: "A1", status: "BAD", text: "" });
  });

  test("continuation requests", () => {
    expect(one("+ Ready for additional command text")).toEqual({
      kind: "continuation",
      text: "Ready for additional command text",
    });
    expect(one("+ ")).toEqual({ kind: "continuation", text: "" });
    expect(one("+")).toEqual({ kind: "continuation", text: "" });
    expect(one("+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+i")).toEqual({
      kind: "continuation",
      text: "YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+i",
    });
    expect(one("+ [ALERT] idling")).toEqual({ kind: "continuation", code: { name: "ALERT" }, text: "idling" });
  });
});

describe("server data", () => {
  test("CAPABILITY, ENABLED, FLAGS, EXISTS, RECENT, EXPUNGE", () => {
    expect(untagged("* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI XPIG-LATIN")).toEqual({
      type: "CAPABILITY",
      capabilities: ["IMAP4rev2", "STARTTLS", "AUTH=GSSAPI", "XPIG-LATIN"],
    });
    expect(untagged("* ENABLED CONDSTORE QRESYNC")).toEqual({
      type: "ENABLED",
      capabilities: ["CONDSTORE", "QRESYNC"],
    });
    expect(untagged("* ENABLED")).toEqual({ type: "ENABLED", capabilities: [] });
    expect(untagged("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")).toEqual({
      type: "FLAGS",
      flags: ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"],
    });
    expect(untagged("* 23 EXISTS")).toEqual({ type: "EXISTS", count: 23 });
    expect(untagged("* 5 RECENT")).toEqual({ type: "RECENT", count: 5 });
    expect(untagged("* 44 EXPUNGE")).toEqual({ type: "EXPUNGE", seq: 44 });
  });

  test("LIST, LSUB, LIST-EXTENDED data", () => {
    expect(untagged('* LIST (\\Noselect) "/" ~/Mail/foo')).toEqual({
      type: "LIST",
      attributes: ["\\Noselect"],
      delimiter: "/",
      mailbox: "~/Mail/foo",
    });
    expect(untagged('* LIST () "." #news.comp.mail.misc')).toMatchObject({ attributes: [], delimiter: "." });
    expect(untagged('* LIST (\\Noselect) NIL ""')).toMatchObject({ delimiter: null, mailbox: "" });
    expect(untagged('* LIST (\\Subscribed \\HasChildren) "/" "Sent" ("CHILDINFO" ("SUBSCRIBED"))')).toEqual({
      type: "LIST",
      attributes: ["\\Subscribed", "\\HasChildren"],
      delimiter: "/",
      mailbox: "Sent",
      extended: [["CHILDINFO", ["SUBSCRIBED"]]],
    });
    expect(untagged('* LIST (\\Marked \\Sent) "/" inbox')).toMatchObject({ mailbox: "INBOX" });
    expect(untagged('* LSUB () "." #news.comp.mail.misc')).toMatchObject({ type: "LSUB" });
    expect(untagged('* LIST () "/" {5}\r\nA b c')).toMatchObject({ mailbox: "A b c" });
  });

  test("STATUS, NAMESPACE, ID", () => {
    expect(untagged("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)")).toEqual({
      type: "STATUS",
      mailbox: "blurdybloop",
      attributes: { MESSAGES: 231, UIDNEXT: 44292 },
    });
    expect(
      untagged(
        '* STATUS "a b" (HIGHESTMODSEQ 7011231777 SIZE 123 APPENDLIMIT NIL DELETED 2 UNSEEN 1 UIDVALIDITY 9 RECENT 0)',
      ),
    ).toEqual({
      type: "STATUS",
      mailbox: "a b",
      attributes: {
        HIGHESTMODSEQ: 7011231777n,
        SIZE: 123,
        APPENDLIMIT: null,
        DELETED: 2,
        UNSEEN: 1,
        UIDVALIDITY: 9,
        RECENT: 0,
      },
    });
    expect(untagged('* NAMESPACE (("" "/")) (("~" "/")) NIL')).toEqual({
      type: "NAMESPACE",
      personal: [{ prefix: "", delimiter: "/" }],
      other: [{ prefix: "~", delimiter: "/" }],
      shared: null,
    });
    expect(untagged('* NAMESPACE (("" "/")("#mh/" "/" "X-PARAM" ("FLAG1" "FLAG2"))) NIL NIL')).toMatchObject({
      personal: [{ prefix: "" }, { prefix: "#mh/", extensions: [["X-PARAM", ["FLAG1", "FLAG2"]]] }],
    });
    expect(untagged('* ID ("name" "Cyrus" "version" "1.5" "support-url" "mailto:cyrus-bugs+@andrew.cmu.edu")')).toEqual(
      {
        type: "ID",
        params: [
          ["name", "Cyrus"],
          ["version", "1.5"],
          ["support-url", "mailto:cyrus-bugs+@andrew.cmu.edu"],
        ],
      },
    );
    expect(untagged("* ID NIL")).toEqual({ type: "ID", params: null });
  });

  test("SEARCH, ESEARCH, SORT, THREAD", () => {
    expect(untagged("* SEARCH 2 84 882")).toEqual({ type: "SEARCH", numbers: [2, 84, 882] });
    expect(untagged("* SEARCH")).toEqual({ type: "SEARCH", numbers: [] });
    expect(untagged("* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)")).toMatchObject({ modseq: 917162500n });
    expect(untagged('* ESEARCH (TAG "A282") MIN 2 COUNT 3')).toEqual({
      type: "ESEARCH",
      tag: "A282",
      uid: false,
      min: 2,
      count: 3,
    });
    expect(untagged('* ESEARCH (TAG "A283") UID ALL 4,10:11 MAX 11 MODSEQ 5')).toEqual({
      type: "ESEARCH",
      tag: "A283",
      uid: true,
      all: [
        { start: 4, end: 4 },
        { start: 10, end: 11 },
      ],
      max: 11,
      modseq: 5n,
    });
    expect(untagged("* ESEARCH")).toEqual({ type: "ESEARCH", uid: false });
    expect(untagged("* SORT 2 3 6")).toEqual({ type: "SORT", numbers: [2, 3, 6] });
    expect(untagged("* THREAD (2)(3 6 (4 23)(44 7 96))")).toEqual({
      type: "THREAD",
      threads: [
        { ids: [2], children: [] },
        {
          ids: [3, 6],
          children: [
            { ids: [4, 23], children: [] },
            { ids: [44, 7, 96], children: [] },
          ],
        },
      ],
    });
    expect(untagged("* THREAD ((3)(5))")).toEqual({
      type: "THREAD",
      threads: [
        {
          ids: [],
          children: [
            { ids: [3], children: [] },
            { ids: [5], children: [] },
          ],
        },
      ],
    });
    expect(untagged("* THREAD")).toEqual({ type: "THREAD", threads: [] });
  });

  test("a SEARCH answer for a large mailbox fits the response defaults", () => {
    const numbers = Array.from({ length: 200_000 }, (_, i) => i + 1);
    const events = driveResponses([Buffer.from(`* SEARCH ${numbers.join(" ")}\r\n`)]);
    expect(events).toEqual([{ type: "response", response: { kind: "untagged", data: { type: "SEARCH", numbers } } }]);
  });

  test("VANISHED (QRESYNC)", () => {
    expect(untagged("* VANISHED (EARLIER) 41,43:116,118,120:211,214:540")).toMatchObject({
      type: "VANISHED",
      earlier: true,
    });
    expect(untagged("* VANISHED 405,407,410,425")).toEqual({
      type: "VANISHED",
      earlier: false,
      uids: [405, 407, 410, 425].map((n) => ({ start: n, end: n })),
    });
  });

  test("unknown responses are kept as generic values", () => {
    expect(untagged('* XFOO 1 "two" (3 NIL)')).toEqual({ type: "OTHER", name: "XFOO", values: [1, "two", [3, null]] });
  });
});

describe("FETCH responses", () => {
  test("RFC 9051 example with ENVELOPE and BODY", () => {
    const data = untagged(
      '* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))',
    );
    if (data.type !== "FETCH") throw new Error("not FETCH");
    expect(data.seq).toBe(12);
    expect(data.items.map((i) => i.name)).toEqual(["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"]);
    expect(data.items[3]).toEqual({
      name: "ENVELOPE",
      value: {
        date: "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
        subject: "IMAP4rev2 WG mtg summary and minutes",
        from: [{ name: "Terry Gray", adl: null, mailbox: "gray", host: "cac.washington.edu" }],
        sender: [{ name: "Terry Gray", adl: null, mailbox: "gray", host: "cac.washington.edu" }],
        replyTo: [{ name: "Terry Gray", adl: null, mailbox: "gray", host: "cac.washington.edu" }],
        to: [{ name: null, adl: null, mailbox: "imap", host: "cac.washington.edu" }],
        cc: [
          { name: null, adl: null, mailbox: "minutes", host: "CNRI.Reston.VA.US" },
          { name: "John Klensin", adl: null, mailbox: "KLENSIN", host: "MIT.EDU" },
        ],
        bcc: null,
        inReplyTo: null,
        messageId: "<B27397-0100000@cac.washington.edu>",
      },
    });
    expect(data.items[4]).toEqual({
      name: "BODY",
      value: ["TEXT", "PLAIN", ["CHARSET", "US-ASCII"], null, null, "7BIT", 3028, 92],
    });
  });

  test("UID, MODSEQ, BINARY.SIZE, EMAILID, THREADID", () => {
    expect(
      untagged(
        "* 1 FETCH (UID 1 MODSEQ (624140003) FLAGS (\\Seen) BINARY.SIZE[1] 123 EMAILID (M6d99ac3275bb4e) THREADID NIL)",
      ),
    ).toEqual({
      type: "FETCH",
      seq: 1,
      items: [
        { name: "UID", value: 1 },
        { name: "MODSEQ", value: 624140003n },
        { name: "FLAGS", value: ["\\Seen"] },
        { name: "BINARY.SIZE", part: [1], value: 123 },
        { name: "EMAILID", value: "M6d99ac3275bb4e" },
        { name: "THREADID", value: null },
      ],
    });
    expect(untagged("* 2 FETCH (FLAGS (\\Deleted \\Seen))")).toEqual({
      type: "FETCH",
      seq: 2,
      items: [{ name: "FLAGS", value: ["\\Deleted", "\\Seen"] }],
    });
  });

  test("body literals are streamed, not kept", () => {
    const input =
      "* 12 FETCH (UID 5 BODY[HEADER] {11}\r\nhello world FLAGS (\\Seen))\r\n* 13 FETCH (BINARY[1]<0> ~{3}\r\n\0\r\n RFC822.TEXT NIL)\r\n";
    const events = run(input);
    expect(events).toEqual([
      { type: "literal-start", seq: 12, item: "BODY[HEADER]", size: 11 },
      { type: "literal", data: "hello world" },
      {
        type: "response",
        response: {
          kind: "untagged",
          data: {
            type: "FETCH",
            seq: 12,
            items: [
              { name: "UID", value: 5 },
              { name: "BODY[]", section: { part: [], text: "HEADER" }, value: { streamed: true, size: 11, id: 0 } },
              { name: "FLAGS", value: ["\\Seen"] },
            ],
          },
        },
      },
      { type: "literal-start", seq: 13, item: "BINARY[1]<0>", size: 3 },
      { type: "literal", data: "\0\r\n" },
      {
        type: "response",
        response: {
          kind: "untagged",
          data: {
            type: "FETCH",
            seq: 13,
            items: [
              { name: "BINARY[]", part: [1], origin: 0, value: { streamed: true, size: 3, id: 1 } },
              { name: "RFC822.TEXT", value: null },
            ],
          },
        },
      },
    ]);
  });

  test("literal-start carries the items that came before the body literal", () => {
    const befores = (input: string) =>
      new ResponseParser().push(Buffer.from(input)).flatMap((ev) => (ev.type === "literal-start" ? [ev.before] : []));
    expect(befores("* 12 FETCH (UID 5 FLAGS (\\Seen $X) RFC822.SIZE 11 BODY[] {11}\r\nhello world)\r\n")).toEqual([
      [
        { name: "UID", value: 5 },
        { name: "FLAGS", value: ["\\Seen", "$X"] },
        { name: "RFC822.SIZE", value: 11 },
      ],
    ]);
    // nothing before, and an item after the body: not known at the start
    expect(befores("* 1 FETCH (BODY[] {2}\r\nhi UID 7)\r\n")).toEqual([null]);
    // a literal earlier in the same response is part of what came before
    expect(
      befores("* 3 FETCH (UID 9 BODY[HEADER] {2}\r\nhi BODY[TEXT]<0> {3}\r\nabc)\r\n").map((b) =>
        b?.map((i) => i.name),
      ),
    ).toEqual([["UID"], ["UID", "BODY[]"]]);
  });

  test("RFC822, RFC822.HEADER and RFC822.TEXT literals stream too", () => {
    const events = run('* 4 FETCH (RFC822 {5}\r\nhello RFC822.HEADER {2}\r\nhi RFC822.TEXT "x")\r\n');
    expect(events).toEqual([
      { type: "literal-start", seq: 4, item: "RFC822", size: 5 },
      { type: "literal", data: "hello" },
      { type: "literal-start", seq: 4, item: "RFC822.HEADER", size: 2 },
      { type: "literal", data: "hi" },
      {
        type: "response",
        response: {
          kind: "untagged",
          data: {
            type: "FETCH",
            seq: 4,
            items: [
              { name: "RFC822", value: { streamed: true, size: 5, id: 0 } },
              { name: "RFC822.HEADER", value: { streamed: true, size: 2, id: 1 } },
              { name: "RFC822.TEXT", value: "x" },
            ],
          },
        },
      },
    ]);
  });

  test("small literals below the threshold and non-body literals are kept inline", () => {
    const events = run(
      "* 1 FETCH (ENVELOPE (NIL {5}\r\nhello NIL NIL NIL NIL NIL NIL NIL NIL) BODY[] {3}\r\nabc)\r\n",
      { streamThreshold: 10 },
    );
    expect(events).toHaveLength(1);
    const data = (events[0] as { response: Response }).response;
    if (data.kind !== "untagged" || data.data.type !== "FETCH") throw new Error("bad");
    expect(data.data.items[0]).toMatchObject({ name: "ENVELOPE", value: { subject: "hello" } });
    expect(data.data.items[1]).toEqual({ name: "BODY[]", section: { part: [] }, value: Buffer.from("abc") });
  });

  test("malformed responses are recoverable, the next one parses", () => {
    const events = run("* 1 FETCH (UID x)\r\nA1 MAYBE\r\n* 3 EXISTS\r\n");
    expect(events.map((e) => (e.type === "error" ? `error:${e.recoverable}:${e.tag}` : e.type))).toEqual([
      "error:true:undefined",
      "error:true:A1",
      "response",
    ]);
  });

  test("an oversized inline literal is fatal", () => {
    const events = run("* 1 FETCH (ENVELOPE (NIL {100000}\r\n", { limits: { maxInlineLiteral: 1000 } });
    expect(events).toMatchObject([{ type: "error", code: "LITERAL_TOO_LARGE", recoverable: false }]);
  });
});
