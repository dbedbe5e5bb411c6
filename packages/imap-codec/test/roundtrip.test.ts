import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  type Command,
  CommandParser,
  type CommandParserEvent,
  type CommandToEncode,
  encodeCommand,
  encodeCommandParts,
  encodeResponse,
  expandSequenceSet,
  formatSequenceSet,
  parseSequenceSet,
  type Response,
  ResponseParser,
  type SearchKey,
  type SequenceSet,
  sequenceSetFromNumbers,
} from "../src/index.js";
import { allWays, driveCommands, driveResponses, type Normalized } from "./helpers.js";

/** Sends encoded parts to a parser as a client would: waiting at each continuation point. */
function clientToServer(
  cmd: CommandToEncode,
  opts: { literalPlus?: boolean; literalMinus?: boolean; utf8?: boolean } = {},
) {
  const parts = encodeCommandParts(cmd, opts);
  const p = new CommandParser({ literalPlus: opts.literalPlus ?? false });
  const events: CommandParserEvent[] = [];
  let waits = 0;
  for (const part of parts) {
    if (Buffer.isBuffer(part)) events.push(...p.push(part));
    else if ("wait" in part) {
      waits++;
      const last = events[events.length - 1];
      expect(last?.type).toBe("literal-request");
      events.push(...p.acceptLiteral());
    } else throw new Error("streamed sources are not used here");
  }
  return { events, waits };
}

const commands: Exclude<Command, { name: "APPEND" }>[] = [
  { tag: "a1", name: "CAPABILITY" },
  { tag: "a2", name: "NOOP" },
  { tag: "a3", name: "LOGOUT" },
  { tag: "a4", name: "STARTTLS" },
  { tag: "a5", name: "CHECK" },
  { tag: "a6", name: "CLOSE" },
  { tag: "a7", name: "UNSELECT" },
  { tag: "a8", name: "NAMESPACE" },
  { tag: "a9", name: "EXPUNGE", uid: false },
  { tag: "b1", name: "EXPUNGE", uid: true, set: [{ start: 1, end: "*" }] },
  { tag: "b2", name: "AUTHENTICATE", mechanism: "PLAIN", initialResponse: "dGVzdAB0ZXN0AHRlc3Q=" },
  { tag: "b3", name: "LOGIN", username: "fred foobar", password: 'x"y\\z\r\n{5}' },
  { tag: "b4", name: "ENABLE", capabilities: ["CONDSTORE", "UTF8=ACCEPT"] },
  { tag: "b5", name: "SELECT", mailbox: "INBOX", condstore: true },
  {
    tag: "b6",
    name: "EXAMINE",
    mailbox: "Archive/2024",
    condstore: false,
    qresync: {
      uidValidity: 67890007,
      modseq: 90060115194045000n,
      knownUids: [{ start: 1, end: 29997 }],
      seqMatch: { seqs: [{ start: 5000, end: 5000 }], uids: [{ start: 15000, end: 15000 }] },
    },
  },
  { tag: "b7", name: "CREATE", mailbox: "Important Messages", specialUse: ["\\Important"] },
  { tag: "b8", name: "DELETE", mailbox: "NIL" },
  { tag: "b9", name: "RENAME", from: "a", to: "" },
  { tag: "c1", name: "SUBSCRIBE", mailbox: "&ZeVnLIqe-" },
  { tag: "c2", name: "UNSUBSCRIBE", mailbox: "x]y" },
  { tag: "c3", name: "LIST", reference: "", patterns: ["%"], selection: [], returnOptions: {}, extended: false },
  {
    tag: "c4",
    name: "LIST",
    reference: "",
    patterns: ["INBOX", "Sent/%"],
    selection: ["SUBSCRIBED", "RECURSIVEMATCH"],
    returnOptions: { children: true, specialUse: true, status: ["MESSAGES", "HIGHESTMODSEQ"] },
    extended: true,
  },
  { tag: "c5", name: "LSUB", reference: "#news.", pattern: "comp.mail.*" },
  { tag: "c6", name: "STATUS", mailbox: "INBOX", items: ["MESSAGES", "SIZE", "DELETED", "APPENDLIMIT"] },
  {
    tag: "c7",
    name: "SEARCH",
    uid: true,
    charset: "UTF-8",
    returnOptions: ["MIN", "SAVE"],
    criteria: [
      { type: "OR", left: { type: "SUBJECT", value: "мама" }, right: { type: "NOT", key: { type: "SEEN" } } },
      { type: "SENTSINCE", date: "2024-02-29" },
      { type: "MODSEQ", modseq: 620162338n, entry: { name: "/flags/\\draft", kind: "all" } },
      {
        type: "AND",
        keys: [
          { type: "UID", set: "$" },
          { type: "LARGER", size: 10 },
        ],
      },
    ],
  },
  {
    tag: "c8",
    name: "FETCH",
    uid: true,
    set: [
      { start: 1, end: 5 },
      { start: 9, end: "*" },
    ],
    items: [
      { type: "UID" },
      {
        type: "BODY[]",
        peek: true,
        section: { part: [1, 2], text: "HEADER.FIELDS", fields: ["From", "Subject"] },
        partial: { offset: 0, length: 1024 },
      },
      { type: "BINARY[]", peek: false, part: [2] },
      { type: "BINARY.SIZE", part: [2] },
    ],
    changedSince: 12345n,
    vanished: true,
  },
  {
    tag: "c9",
    name: "FETCH",
    uid: false,
    set: [{ start: 12, end: 12 }],
    macro: "FULL",
    items: [
      { type: "FLAGS" },
      { type: "INTERNALDATE" },
      { type: "RFC822.SIZE" },
      { type: "ENVELOPE" },
      { type: "BODY" },
    ],
    vanished: false,
  },
  {
    tag: "d1",
    name: "STORE",
    uid: true,
    set: [{ start: 7, end: 7 }],
    action: { operation: "remove", silent: true, flags: ["\\Seen", "$Forwarded"] },
    unchangedSince: 320162338n,
  },
  { tag: "d2", name: "COPY", uid: false, set: [{ start: 2, end: 4 }], mailbox: "MEETING" },
  { tag: "d3", name: "MOVE", uid: true, set: "$", mailbox: "Trash" },
  {
    tag: "d4",
    name: "ID",
    params: [
      ["name", "holdfast"],
      ["version", null],
    ],
  },
  { tag: "d5", name: "ID", params: null },
  {
    tag: "d6",
    name: "SORT",
    uid: true,
    returnOptions: ["COUNT"],
    criteria: [
      { key: "SUBJECT", reverse: false },
      { key: "DATE", reverse: true },
    ],
    charset: "UTF-8",
    search: [{ type: "ALL" }],
  },
  {
    tag: "d7",
    name: "THREAD",
    uid: false,
    algorithm: "REFERENCES",
    charset: "US-ASCII",
    search: [{ type: "TEXT", value: "gewp" }],
  },
  { tag: "d8", name: "IDLE" },
];

describe("encode → parse round trips (commands)", () => {
  test.each(commands.map((c) => [`${c.tag} ${c.name}`, c] as const))("%s", (_n, cmd) => {
    for (const opts of [{ literalPlus: true }, {}, { literalMinus: true }]) {
      const { events } = clientToServer(cmd, opts);
      const parsed = events.filter((e) => e.type === "command");
      expect(events.filter((e) => e.type === "error")).toEqual([]);
      expect(parsed).toEqual([{ type: "command", command: cmd }]);
      // the same bytes fed whole, byte by byte and in random chunks (literal requests accepted)
      const wire = Buffer.concat(encodeCommandParts(cmd, opts).filter((p): p is Buffer => Buffer.isBuffer(p)));
      const events3 = allWays(
        wire,
        (chunks) => driveCommands(chunks, { literalPlus: opts.literalPlus ?? false }),
        (a, b, how) => expect(a, how).toEqual(b),
      );
      expect(events3.filter((e) => e.type === "command")).toEqual([{ type: "command", command: cmd }]);
    }
  });

  test("strings needing literals make the client wait unless LITERAL+/LITERAL- applies", () => {
    const cmd: CommandToEncode = { tag: "x", name: "LOGIN", username: "a\r\nb", password: "ü" };
    expect(clientToServer(cmd).waits).toBe(2);
    expect(clientToServer(cmd, { literalPlus: true }).waits).toBe(0);
    expect(clientToServer(cmd, { literalMinus: true }).waits).toBe(0);
    expect(encodeCommand(cmd, { literalPlus: true }).toString()).toBe("x LOGIN {4+}\r\na\r\nb {2+}\r\nü\r\n");
    expect(encodeCommand({ tag: "x", name: "LOGIN", username: "u", password: "ü" }, { utf8: true }).toString()).toBe(
      'x LOGIN u "ü"\r\n',
    );
    expect(() => encodeCommand(cmd)).toThrow(/continuation/);
  });

  test("SEARCH strings in a non-UTF-8 CHARSET round-trip byte for byte", () => {
    const cmd: Command = {
      tag: "s1",
      name: "SEARCH",
      uid: false,
      charset: "ISO-8859-1",
      criteria: [
        { type: "OR", left: { type: "SUBJECT", value: "Grüße" }, right: { type: "HEADER", field: "X-A", value: "ü" } },
      ],
    };
    const wire = encodeCommand(cmd, { literalPlus: true });
    expect(wire.includes(Buffer.from("Gr\xfc\xdfe", "latin1"))).toBe(true);
    expect(clientToServer(cmd, { literalPlus: true }).events).toEqual([{ type: "command", command: cmd }]);
    expect(() => encodeCommand({ ...cmd, criteria: [{ type: "TEXT", value: "€" }] })).toThrow(/outside ISO-8859-1/);
  });

  test("APPEND with bytes in hand, MULTIAPPEND and literal8", () => {
    const cmd: CommandToEncode = {
      tag: "A1",
      name: "APPEND",
      mailbox: "Sent",
      messages: [
        { flags: ["\\Seen"], date: "17-Jul-1996 02:44:25 -0700", data: Buffer.from("Subject: hi\r\n\r\nbody\r\n") },
        { flags: [], data: Buffer.from("\0bin"), binary: true },
        { flags: [], data: Buffer.from("utf8 ü"), utf8: true },
      ],
    };
    const { events, waits } = clientToServer(cmd);
    expect(waits).toBe(3);
    const bodies = events
      .filter((e) => e.type === "literal-chunk")
      .map((e) => (e as { chunk: Buffer }).chunk.toString("latin1"));
    expect(bodies.join("|")).toBe("Subject: hi\r\n\r\nbody\r\n|\0bin|utf8 \xc3\xbc");
    expect(events.at(-1)).toEqual({
      type: "command",
      command: {
        tag: "A1",
        name: "APPEND",
        mailbox: "Sent",
        messages: [
          { flags: ["\\Seen"], date: "17-Jul-1996 02:44:25 -0700", utf8: false, size: 21, binary: false },
          { flags: [], utf8: false, size: 4, binary: true },
          { flags: [], utf8: true, size: 7, binary: true },
        ],
      },
    });
  });
});

const responses: Response[] = [
  { kind: "continuation", text: "Ready" },
  { kind: "continuation", code: { name: "ALERT" }, text: "idling" },
  {
    kind: "tagged",
    tag: "A1",
    status: "OK",
    code: { name: "APPENDUID", uidValidity: 38505, uids: [{ start: 3955, end: 3957 }] },
    text: "APPEND completed",
  },
  {
    kind: "tagged",
    tag: "A2",
    status: "OK",
    code: {
      name: "COPYUID",
      uidValidity: 1,
      sourceUids: [{ start: 1, end: 3 }],
      destinationUids: [{ start: 10, end: 12 }],
    },
    text: "Done",
  },
  {
    kind: "tagged",
    tag: "A3",
    status: "NO",
    code: { name: "MODIFIED", set: [{ start: 7, end: 9 }] },
    text: "Conditional STORE failed",
  },
  { kind: "tagged", tag: "A4", status: "NO", code: { name: "BADCHARSET", charsets: ["UTF-8"] }, text: "x" },
  { kind: "tagged", tag: "A5", status: "BAD", code: { name: "OTHER", atom: "XFOO", text: "a b" }, text: "bad" },
  {
    kind: "untagged",
    data: {
      type: "STATUS-RESPONSE",
      status: "OK",
      code: { name: "PERMANENTFLAGS", flags: ["\\Seen", "\\*"] },
      text: "Limited",
    },
  },
  {
    kind: "untagged",
    data: {
      type: "STATUS-RESPONSE",
      status: "OK",
      code: { name: "HIGHESTMODSEQ", modseq: 9007199254740993n },
      text: "x",
    },
  },
  {
    kind: "untagged",
    data: { type: "STATUS-RESPONSE", status: "OK", code: { name: "UIDVALIDITY", value: 4294967295 }, text: "x" },
  },
  { kind: "untagged", data: { type: "STATUS-RESPONSE", status: "BYE", code: { name: "UNAVAILABLE" }, text: "bye" } },
  {
    kind: "untagged",
    data: {
      type: "STATUS-RESPONSE",
      status: "PREAUTH",
      code: { name: "CAPABILITY", capabilities: ["IMAP4rev2", "LITERAL+"] },
      text: "hi",
    },
  },
  {
    kind: "untagged",
    data: { type: "CAPABILITY", capabilities: ["IMAP4rev1", "IMAP4rev2", "AUTH=PLAIN", "APPENDLIMIT=35651584"] },
  },
  { kind: "untagged", data: { type: "ENABLED", capabilities: ["QRESYNC"] } },
  { kind: "untagged", data: { type: "FLAGS", flags: ["\\Answered", "$Label1"] } },
  {
    kind: "untagged",
    data: { type: "LIST", attributes: ["\\HasNoChildren", "\\Sent"], delimiter: "/", mailbox: "Sent Items" },
  },
  {
    kind: "untagged",
    data: {
      type: "LIST",
      attributes: [],
      delimiter: null,
      mailbox: 'a"b',
      extended: [
        ["CHILDINFO", ["SUBSCRIBED"]],
        ["OLDNAME", ["old"]],
      ],
    },
  },
  { kind: "untagged", data: { type: "LSUB", attributes: ["\\Noselect"], delimiter: ".", mailbox: "#news.comp" } },
  {
    kind: "untagged",
    data: {
      type: "STATUS",
      mailbox: "INBOX",
      attributes: { MESSAGES: 3, HIGHESTMODSEQ: 5n, APPENDLIMIT: null, SIZE: 100 },
    },
  },
  {
    kind: "untagged",
    data: {
      type: "NAMESPACE",
      personal: [{ prefix: "", delimiter: "/" }],
      other: null,
      shared: [{ prefix: "#shared/", delimiter: "/", extensions: [["X-PARAM", ["A", "B"]]] }],
    },
  },
  {
    kind: "untagged",
    data: {
      type: "ID",
      params: [
        ["name", "Dovecot"],
        ["x", null],
      ],
    },
  },
  { kind: "untagged", data: { type: "SEARCH", numbers: [2, 84, 882], modseq: 917162500n } },
  { kind: "untagged", data: { type: "SORT", numbers: [] } },
  {
    kind: "untagged",
    data: {
      type: "ESEARCH",
      tag: "A282",
      uid: true,
      min: 2,
      max: 9,
      all: [{ start: 2, end: 9 }],
      count: 4,
      modseq: 7n,
    },
  },
  {
    kind: "untagged",
    data: {
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
        {
          ids: [],
          children: [
            { ids: [3], children: [] },
            { ids: [5], children: [] },
          ],
        },
      ],
    },
  },
  { kind: "untagged", data: { type: "EXISTS", count: 23 } },
  { kind: "untagged", data: { type: "RECENT", count: 0 } },
  { kind: "untagged", data: { type: "EXPUNGE", seq: 44 } },
  { kind: "untagged", data: { type: "VANISHED", earlier: true, uids: [{ start: 41, end: 43 }] } },
  {
    kind: "untagged",
    data: {
      type: "FETCH",
      seq: 12,
      items: [
        { name: "UID", value: 4 },
        { name: "FLAGS", value: ["\\Seen"] },
        { name: "INTERNALDATE", value: "17-Jul-1996 02:44:25 -0700" },
        { name: "RFC822.SIZE", value: 4286 },
        { name: "MODSEQ", value: 12n },
        {
          name: "ENVELOPE",
          value: {
            date: "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
            subject: "multi\r\nline",
            from: [{ name: "Terry Gray", adl: null, mailbox: "gray", host: "cac.washington.edu" }],
            sender: null,
            replyTo: null,
            to: [{ name: null, adl: null, mailbox: "imap", host: "example.org" }],
            cc: null,
            bcc: null,
            inReplyTo: null,
            messageId: "<B27397-0100000@cac.washington.edu>",
          },
        },
        { name: "BODYSTRUCTURE", value: ["TEXT", "PLAIN", ["CHARSET", "US-ASCII"], null, null, "7BIT", 3028, 92] },
        {
          name: "BODY[]",
          section: { part: [1], text: "MIME" },
          value: Buffer.from("Content-Type: text/plain\r\n\r\n"),
        },
        { name: "BODY[]", section: { part: [] }, origin: 0, value: null },
        { name: "BINARY[]", part: [2], value: Buffer.from([0, 1, 2]) },
        { name: "BINARY.SIZE", part: [2], value: 3 },
        { name: "RFC822.HEADER", value: Buffer.from("a: b\r\n") },
        { name: "EMAILID", value: "M123" },
        { name: "THREADID", value: null },
      ],
    },
  },
  { kind: "untagged", data: { type: "OTHER", name: "XDATA", values: [1, "two", [null, 3]] } },
];

describe("encode → parse round trips (responses)", () => {
  test.each(responses.map((r, i) => [i, r] as const))("response %i", (_i, response) => {
    const wire = encodeResponse(response);
    const events = allWays(
      wire,
      (chunks) => driveResponses(chunks, { streamThreshold: Number.POSITIVE_INFINITY }),
      (a, b, how) => expect(a, how).toEqual(b),
    );
    expect(events).toEqual([{ type: "response", response } satisfies Normalized]);
  });

  test("strings are atoms, quoted or literals as the grammar needs", () => {
    const list = (mailbox: string, utf8 = false) =>
      encodeResponse(
        { kind: "untagged", data: { type: "LIST", attributes: [], delimiter: "/", mailbox } },
        { utf8 },
      ).toString();
    expect(list("INBOX")).toBe('* LIST () "/" INBOX\r\n');
    expect(list("Sent Items")).toBe('* LIST () "/" "Sent Items"\r\n');
    expect(list("a\\b")).toBe('* LIST () "/" "a\\\\b"\r\n');
    expect(list("NIL")).toBe('* LIST () "/" "NIL"\r\n');
    expect(list("")).toBe('* LIST () "/" ""\r\n');
    expect(list("Entwürfe")).toBe('* LIST () "/" {9}\r\nEntwürfe\r\n');
    expect(list("Entwürfe", true)).toBe('* LIST () "/" "Entwürfe"\r\n');
    expect(list("a\nb")).toBe('* LIST () "/" {3}\r\na\nb\r\n');
  });

  test("text that would break the framing is refused", () => {
    expect(() => encodeResponse({ kind: "tagged", tag: "A1", status: "OK", text: "x\r\n* BYE" })).toThrow(/CR/);
    expect(() => encodeResponse({ kind: "untagged", data: { type: "FLAGS", flags: ["bad flag"] } })).toThrow(/flag/);
    expect(() => encodeResponse({ kind: "untagged", data: { type: "CAPABILITY", capabilities: ["A B"] } })).toThrow(
      /atom/,
    );
  });
});

describe("property tests (fast-check)", () => {
  // any Unicode text except NUL, which no IMAP string can carry
  const noNul = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\0"));

  test("NUL cannot be encoded into a string", () => {
    expect(() =>
      encodeCommand({ tag: "a", name: "LOGIN", username: "u", password: "a\0b" }, { literalPlus: true }),
    ).toThrow(/NUL/);
  });

  const seqNumber = fc.oneof(fc.integer({ min: 1, max: 0xffffffff }), fc.constant("*" as const));
  const seqSet: fc.Arbitrary<SequenceSet> = fc.oneof(
    fc.array(
      fc.tuple(seqNumber, seqNumber).map(([start, end]) => ({ start, end })),
      { minLength: 1, maxLength: 20 },
    ),
    fc.constant("$" as const),
  );

  test("sequence sets format and parse back", () => {
    fc.assert(
      fc.property(seqSet, (set) => {
        expect(parseSequenceSet(formatSequenceSet(set))).toEqual(set);
      }),
    );
  });

  test("any LOGIN strings survive encode → parse (atom, quoted or literal)", () => {
    fc.assert(
      fc.property(noNul, noNul, fc.boolean(), (u, p, plus) => {
        const cmd: Command = { tag: "t1", name: "LOGIN", username: u, password: p };
        const { events } = clientToServer(cmd, { literalPlus: plus });
        expect(events.filter((e) => e.type === "command")).toEqual([{ type: "command", command: cmd }]);
      }),
      { numRuns: 300 },
    );
  });

  test("any mailbox name, delimiter and envelope text survive response encode → parse", () => {
    const text = noNul;
    const nText = fc.option(text, { nil: null });
    fc.assert(
      fc.property(text, nText, nText, fc.boolean(), (mailbox, subject, name, utf8) => {
        const list: Response = {
          kind: "untagged",
          data: { type: "LIST", attributes: ["\\HasNoChildren"], delimiter: "/", mailbox },
        };
        const fetch: Response = {
          kind: "untagged",
          data: {
            type: "FETCH",
            seq: 1,
            items: [
              {
                name: "ENVELOPE",
                value: {
                  date: null,
                  subject,
                  from: [{ name, adl: null, mailbox: "m", host: "h" }],
                  sender: null,
                  replyTo: null,
                  to: null,
                  cc: null,
                  bcc: null,
                  inReplyTo: null,
                  messageId: null,
                },
              },
            ],
          },
        };
        const wire = Buffer.concat([encodeResponse(list, { utf8 }), encodeResponse(fetch, { utf8 })]);
        const events = driveResponses([wire]);
        const expectedList =
          mailbox.toUpperCase() === "INBOX" ? { ...list, data: { ...list.data, mailbox: "INBOX" } } : list;
        expect(events).toEqual([
          { type: "response", response: expectedList },
          { type: "response", response: fetch },
        ]);
      }),
      { numRuns: 300 },
    );
  });

  test("search key trees survive encode → parse", () => {
    const str = fc.string({ unit: "grapheme", maxLength: 12 });
    const date = fc
      .date({ min: new Date("1970-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    const { key } = fc.letrec<{ key: SearchKey }>((tie) => ({
      key: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.constantFrom<SearchKey>({ type: "ALL" }, { type: "SEEN" }, { type: "UNDRAFT" }, { type: "RECENT" }),
        fc.record({ type: fc.constantFrom("FROM", "SUBJECT", "BODY", "TEXT") as fc.Arbitrary<"FROM">, value: str }),
        fc.record({ type: fc.constant("HEADER" as const), field: fc.constantFrom("X-Spam", "Message-ID"), value: str }),
        fc.record({ type: fc.constantFrom("SINCE", "BEFORE", "SENTON") as fc.Arbitrary<"SINCE">, date }),
        fc.record({ type: fc.constantFrom("LARGER", "SMALLER") as fc.Arbitrary<"LARGER">, size: fc.nat() }),
        fc.record({ type: fc.constant("UID" as const), set: seqSet }),
        fc.record({ type: fc.constant("SEQ" as const), set: seqSet }),
        fc.record({ type: fc.constant("MODSEQ" as const), modseq: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }) }),
        fc.record({ type: fc.constant("NOT" as const), key: tie("key") }),
        fc.record({ type: fc.constant("OR" as const), left: tie("key"), right: tie("key") }),
        fc.record({ type: fc.constant("AND" as const), keys: fc.array(tie("key"), { minLength: 1, maxLength: 3 }) }),
      ),
    }));
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 4 }), (criteria) => {
        const cmd: Command = { tag: "s", name: "SEARCH", uid: false, charset: "UTF-8", criteria };
        const { events } = clientToServer(cmd, { literalPlus: true });
        const errors = events.filter((e) => e.type === "error");
        // deep trees may exceed maxNesting: then the error must be TOO_DEEP, never anything else
        if (errors.length > 0) expect(errors).toMatchObject([{ error: { code: "TOO_DEEP" } }]);
        else expect(events).toEqual([{ type: "command", command: cmd }]);
      }),
      { numRuns: 300 },
    );
  });
});

test("ResponseParser is usable directly", () => {
  const p = new ResponseParser();
  expect(p.push(Buffer.from("* 3 EXISTS\r\n* 1 REC"))).toHaveLength(1);
  expect(p.push(Buffer.from("ENT\r\n"))).toEqual([
    { type: "response", response: { kind: "untagged", data: { type: "RECENT", count: 1 } } },
  ]);
});

describe("sequence set helpers", () => {
  test("parse errors are messages, not exceptions", () => {
    expect(parseSequenceSet("0")).toMatch(/start at 1/);
    expect(parseSequenceSet("1:")).toMatch(/bad sequence set/);
    expect(parseSequenceSet("4294967296")).toMatch(/32 bits/);
    expect(parseSequenceSet("1,2,3", 2)).toMatch(/more than 2 ranges/);
    expect(parseSequenceSet("")).toMatch(/empty/);
  });

  test("compact from numbers and expand with a bound", () => {
    expect(formatSequenceSet(sequenceSetFromNumbers([5, 1, 2, 3, 9, 10, 3]))).toBe("1:3,5,9:10");
    expect(
      expandSequenceSet(
        [
          { start: 3, end: "*" },
          { start: 1, end: 1 },
        ],
        5,
      ),
    ).toEqual([1, 3, 4, 5]);
    expect(() => expandSequenceSet([{ start: 1, end: 4294967295 }], 1, 1000)).toThrow(RangeError);
    expect(() => formatSequenceSet([])).toThrow(RangeError);
  });
});
