import { describe, expect, test } from "vitest";
import type { Command, CommandParserOptions } from "../src/index.js";
import { allWays, type DrivePolicy, driveCommands, type Normalized } from "./helpers.js";

function run(input: string, options?: CommandParserOptions, policy?: DrivePolicy): Normalized[] {
  return allWays(
    input,
    (chunks) => driveCommands(chunks, options, policy),
    (a, b, how) => expect(a, how).toEqual(b),
  );
}

function commands(input: string, options?: CommandParserOptions): Command[] {
  const events = run(input, options);
  expect(events.filter((e) => e.type === "error")).toEqual([]);
  return events.flatMap((e) => (e.type === "command" ? [e.command] : []));
}

/** Parses one command line (CRLF appended) and returns the command. */
function one(line: string, options?: CommandParserOptions): Command {
  const cmds = commands(`${line}\r\n`, options);
  expect(cmds).toHaveLength(1);
  return cmds[0]!;
}

describe("commands without arguments (RFC 9051 6.1, 6.4)", () => {
  test.each([
    ["a001 CAPABILITY", "CAPABILITY"],
    ["a002 NOOP", "NOOP"],
    ["A023 LOGOUT", "LOGOUT"],
    ["a002 STARTTLS", "STARTTLS"],
    ["FXXZ CHECK", "CHECK"],
    ["A341 CLOSE", "CLOSE"],
    ["A342 UNSELECT", "UNSELECT"],
    ["A041 NAMESPACE", "NAMESPACE"],
    ["a003 noop", "NOOP"],
  ])("%s", (line, name) => {
    expect(one(line)).toEqual({ tag: line.split(" ")[0], name });
  });

  test("EXPUNGE and UID EXPUNGE (UIDPLUS)", () => {
    expect(one("A202 EXPUNGE")).toEqual({ tag: "A202", name: "EXPUNGE", uid: false });
    expect(one("A003 UID EXPUNGE 3000:3002")).toEqual({
      tag: "A003",
      name: "EXPUNGE",
      uid: true,
      set: [{ start: 3000, end: 3002 }],
    });
  });
});

describe("authentication", () => {
  test("LOGIN with atoms, quoted strings and literals", () => {
    expect(one("a001 LOGIN SMITH SESAME")).toEqual({
      tag: "a001",
      name: "LOGIN",
      username: "SMITH",
      password: "SESAME",
    });
    expect(one('a001 LOGIN "fred foobar" "pa\\"ss\\\\"')).toMatchObject({
      username: "fred foobar",
      password: 'pa"ss\\',
    });
    const events = run("A2 LOGIN {4}\r\nuser {6}\r\np@ss w\r\n");
    expect(events).toEqual([
      { type: "literal-request", tag: "A2", size: 4, purpose: "inline" },
      { type: "literal-request", tag: "A2", size: 6, purpose: "inline" },
      { type: "command", command: { tag: "A2", name: "LOGIN", username: "user", password: "p@ss w" } },
    ]);
  });

  test("AUTHENTICATE with continuation lines and SASL-IR", () => {
    const events = run(
      "A001 AUTHENTICATE GSSAPI\r\nYGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+i\r\n\r\n*\r\na2 NOOP\r\n",
      undefined,
      {
        moreSasl: (d) => d !== "*",
      },
    );
    expect(events).toEqual([
      { type: "command", command: { tag: "A001", name: "AUTHENTICATE", mechanism: "GSSAPI" } },
      { type: "sasl-response", data: "YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+i" },
      { type: "sasl-response", data: "" },
      { type: "sasl-response", data: "*" },
      { type: "command", command: { tag: "a2", name: "NOOP" } },
    ]);
    expect(one("a001 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=")).toEqual({
      tag: "a001",
      name: "AUTHENTICATE",
      mechanism: "PLAIN",
      initialResponse: "dGVzdAB0ZXN0AHRlc3Q=",
    });
    expect(one("a001 AUTHENTICATE plain =")).toMatchObject({ mechanism: "PLAIN", initialResponse: "=" });
  });

  test("ENABLE", () => {
    expect(one("t2 ENABLE CONDSTORE QRESYNC utf8=accept")).toEqual({
      tag: "t2",
      name: "ENABLE",
      capabilities: ["CONDSTORE", "QRESYNC", "UTF8=ACCEPT"],
    });
  });

  test("ID (RFC 2971)", () => {
    expect(one('a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")')).toEqual({
      tag: "a023",
      name: "ID",
      params: [
        ["name", "sodr"],
        ["version", "19.34"],
        ["vendor", "Pink Floyd Music Limited"],
      ],
    });
    expect(one("a024 ID NIL")).toEqual({ tag: "a024", name: "ID", params: null });
    expect(one('a025 ID ("x" NIL)')).toMatchObject({ params: [["x", null]] });
  });
});

describe("mailbox commands", () => {
  test("SELECT / EXAMINE with CONDSTORE and QRESYNC (RFC 7162)", () => {
    expect(one("A142 SELECT INBOX")).toEqual({ tag: "A142", name: "SELECT", mailbox: "INBOX", condstore: false });
    expect(one("A932 EXAMINE blurdybloop")).toMatchObject({ name: "EXAMINE", mailbox: "blurdybloop" });
    expect(one("a SELECT inbox (CONDSTORE)")).toMatchObject({ mailbox: "INBOX", condstore: true });
    expect(one("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))")).toMatchObject({
      qresync: {
        uidValidity: 67890007,
        modseq: 20050715194045000n,
        knownUids: [
          { start: 41, end: 41 },
          { start: 43, end: 211 },
          { start: 214, end: 541 },
        ],
      },
    });
    const b04 = one(
      "B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))",
    );
    expect(b04).toMatchObject({ qresync: { uidValidity: 67890007, knownUids: [{ start: 1, end: 29997 }] } });
    if (b04.name !== "SELECT") throw new Error("not SELECT");
    expect(b04.qresync?.seqMatch?.seqs).toHaveLength(4);
    expect(one("A03 SELECT INBOX (QRESYNC (1 2 (1:3 4:6)))")).toMatchObject({
      qresync: { uidValidity: 1, modseq: 2n, seqMatch: { seqs: [{ start: 1, end: 3 }], uids: [{ start: 4, end: 6 }] } },
    });
  });

  test("CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE", () => {
    expect(one("A003 CREATE owatagusiam/")).toEqual({ tag: "A003", name: "CREATE", mailbox: "owatagusiam/" });
    expect(one('t1 CREATE "Important Messages" (USE (\\Important))')).toEqual({
      tag: "t1",
      name: "CREATE",
      mailbox: "Important Messages",
      specialUse: ["\\Important"],
    });
    expect(one("A683 DELETE blurdybloop")).toEqual({ tag: "A683", name: "DELETE", mailbox: "blurdybloop" });
    expect(one("A683 RENAME blurdybloop sarasoop")).toEqual({
      tag: "A683",
      name: "RENAME",
      from: "blurdybloop",
      to: "sarasoop",
    });
    expect(one("A002 SUBSCRIBE #news.comp.mail.mime")).toMatchObject({
      name: "SUBSCRIBE",
      mailbox: "#news.comp.mail.mime",
    });
    expect(one("A002 UNSUBSCRIBE #news.comp.mail.mime")).toMatchObject({ name: "UNSUBSCRIBE" });
    expect(one('A1 CREATE "~peter/mail/&U,BTFw-/&ZeVnLIqe-"')).toMatchObject({
      mailbox: "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
    });
  });

  test("LIST basic (RFC 9051 6.3.9 examples) and LSUB", () => {
    expect(one('A101 LIST "" ""')).toEqual({
      tag: "A101",
      name: "LIST",
      reference: "",
      patterns: [""],
      selection: [],
      returnOptions: {},
      extended: false,
    });
    expect(one('A102 LIST #news.comp.mail.misc ""')).toMatchObject({
      reference: "#news.comp.mail.misc",
      patterns: [""],
    });
    expect(one("A202 LIST ~/Mail/ %")).toMatchObject({ reference: "~/Mail/", patterns: ["%"] });
    expect(one('A1 LIST "" *')).toMatchObject({ patterns: ["*"] });
    expect(one('A002 LSUB "#news." "comp.mail.*"')).toEqual({
      tag: "A002",
      name: "LSUB",
      reference: "#news.",
      pattern: "comp.mail.*",
    });
  });

  test("LIST-EXTENDED, LIST-STATUS, SPECIAL-USE (RFC 5258, 5819, 6154)", () => {
    expect(one('A02 LIST (SUBSCRIBED) "" "*"')).toMatchObject({ selection: ["SUBSCRIBED"], extended: true });
    expect(one('A03 LIST () "" "%" RETURN (CHILDREN)')).toMatchObject({
      returnOptions: { children: true },
      extended: true,
    });
    expect(one('A05 LIST (REMOTE SUBSCRIBED RECURSIVEMATCH) "" "*"')).toMatchObject({
      selection: ["REMOTE", "SUBSCRIBED", "RECURSIVEMATCH"],
    });
    expect(one('A07 LIST "" ("INBOX" "Drafts" "Sent/%")')).toMatchObject({ patterns: ["INBOX", "Drafts", "Sent/%"] });
    expect(one('A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))')).toMatchObject({
      returnOptions: { status: ["MESSAGES", "UNSEEN"] },
    });
    expect(one('t1 LIST "" "%" RETURN (SPECIAL-USE SUBSCRIBED)')).toMatchObject({
      returnOptions: { specialUse: true, subscribed: true },
    });
    expect(one('t3 LIST (SPECIAL-USE) "" "*" RETURN (STATUS (MESSAGES SIZE DELETED HIGHESTMODSEQ))')).toMatchObject({
      selection: ["SPECIAL-USE"],
    });
  });

  test("STATUS with SIZE, DELETED, HIGHESTMODSEQ, APPENDLIMIT", () => {
    expect(one("A042 STATUS blurdybloop (UIDNEXT MESSAGES)")).toEqual({
      tag: "A042",
      name: "STATUS",
      mailbox: "blurdybloop",
      items: ["UIDNEXT", "MESSAGES"],
    });
    expect(one("A043 STATUS INBOX (SIZE DELETED HIGHESTMODSEQ APPENDLIMIT UIDVALIDITY UNSEEN RECENT)")).toMatchObject({
      items: ["SIZE", "DELETED", "HIGHESTMODSEQ", "APPENDLIMIT", "UIDVALIDITY", "UNSEEN", "RECENT"],
    });
  });
});

describe("APPEND (streamed message literals)", () => {
  const message =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\nSubject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu.example\r\nMessage-Id: <B27397-0100000@Blurdybloop.example>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

  test("RFC 9051 example: APPEND with flags and a synchronizing literal", () => {
    const events = run(`A003 APPEND saved-messages (\\Seen) {${message.length}}\r\n${message}\r\n`);
    expect(events).toEqual([
      { type: "literal-request", tag: "A003", size: message.length, purpose: "message" },
      { type: "append-message", tag: "A003", mailbox: "saved-messages", index: 0, size: message.length },
      { type: "literal", data: message },
      {
        type: "command",
        command: {
          tag: "A003",
          name: "APPEND",
          mailbox: "saved-messages",
          messages: [{ flags: ["\\Seen"], utf8: false, size: message.length, binary: false }],
        },
      },
    ]);
  });

  test("MULTIAPPEND with date-time, LITERAL+, literal8 and UTF8 (...)", () => {
    const input =
      'A1 APPEND {5+}\r\nDraft (\\Draft $X) "14-Jul-2017 02:44:25 -0700" {5+}\r\nhello "1-Jan-2020 00:00:00 +0000" ~{4+}\r\n\0a\r\n UTF8 (~{3+}\r\nabc)\r\n';
    const events = run(input, { literalPlus: true });
    expect(events).toEqual([
      { type: "append-message", tag: "A1", mailbox: "Draft", index: 0, size: 5 },
      { type: "literal", data: "hello" },
      { type: "append-message", tag: "A1", mailbox: "Draft", index: 1, size: 4 },
      { type: "literal", data: "\0a\r\n" },
      { type: "append-message", tag: "A1", mailbox: "Draft", index: 2, size: 3 },
      { type: "literal", data: "abc" },
      {
        type: "command",
        command: {
          tag: "A1",
          name: "APPEND",
          mailbox: "Draft",
          messages: [
            { flags: ["\\Draft", "$X"], date: "14-Jul-2017 02:44:25 -0700", utf8: false, size: 5, binary: false },
            { flags: [], date: "1-Jan-2020 00:00:00 +0000", utf8: false, size: 4, binary: true },
            { flags: [], utf8: true, size: 3, binary: true },
          ],
        },
      },
    ]);
  });
});

describe("SEARCH (full key grammar)", () => {
  test("RFC 9051 / RFC 3501 examples", () => {
    expect(one('A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"')).toEqual({
      tag: "A282",
      name: "SEARCH",
      uid: false,
      criteria: [
        { type: "FLAGGED" },
        { type: "SINCE", date: "1994-02-01" },
        { type: "NOT", key: { type: "FROM", value: "Smith" } },
      ],
    });
    expect(one('A283 SEARCH TEXT "string not in mailbox"')).toMatchObject({
      criteria: [{ type: "TEXT", value: "string not in mailbox" }],
    });
    const withCharset = run(
      "A284 SEARCH CHARSET UTF-8 TEXT {12}\r\n\xd0\xbc\xd0\xb0\xd0\xbc\xd0\xb0\xd1\x80\xd0\xb0\r\n",
    );
    expect(withCharset[1]).toEqual({
      type: "command",
      command: {
        tag: "A284",
        name: "SEARCH",
        uid: false,
        charset: "UTF-8",
        criteria: [{ type: "TEXT", value: "мамара" }],
      },
    });
  });

  test("ESEARCH RETURN options and SEARCHRES $", () => {
    expect(one('A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"')).toMatchObject({
      returnOptions: ["MIN", "COUNT"],
    });
    expect(one("A283 SEARCH RETURN () FLAGGED")).toMatchObject({ returnOptions: [] });
    expect(one("A284 UID SEARCH RETURN (SAVE MAX ALL) UID 1:1000 UNSEEN")).toMatchObject({
      uid: true,
      returnOptions: ["SAVE", "MAX", "ALL"],
      criteria: [{ type: "UID", set: [{ start: 1, end: 1000 }] }, { type: "UNSEEN" }],
    });
    expect(one("A285 SEARCH $ DELETED")).toMatchObject({ criteria: [{ type: "SEQ", set: "$" }, { type: "DELETED" }] });
    expect(one("A286 UID SEARCH UID $")).toMatchObject({ criteria: [{ type: "UID", set: "$" }] });
  });

  test("every key", () => {
    const all =
      'S1 SEARCH ALL ANSWERED BCC x BEFORE "2-Mar-2001" BODY y CC z DELETED DRAFT FLAGGED FROM a HEADER Message-ID "<x@y>" KEYWORD $Label1 LARGER 100 NEW NOT SEEN OLD ON 31-Dec-1999 OR ANSWERED DELETED RECENT SEEN SENTBEFORE 1-Jan-2000 SENTON 2-Jan-2000 SENTSINCE 3-Jan-2000 SINCE 4-Jan-2000 SMALLER 5000 SUBJECT hi TEXT t TO u UID 1,3:* UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD $Junk UNSEEN 1:5 OLDER 3600 YOUNGER 60 (SEEN FLAGGED)';
    const cmd = one(all);
    if (cmd.name !== "SEARCH") throw new Error("not SEARCH");
    expect(cmd.criteria.map((k) => k.type)).toEqual([
      "ALL",
      "ANSWERED",
      "BCC",
      "BEFORE",
      "BODY",
      "CC",
      "DELETED",
      "DRAFT",
      "FLAGGED",
      "FROM",
      "HEADER",
      "KEYWORD",
      "LARGER",
      "NEW",
      "NOT",
      "OLD",
      "ON",
      "OR",
      "RECENT",
      "SEEN",
      "SENTBEFORE",
      "SENTON",
      "SENTSINCE",
      "SINCE",
      "SMALLER",
      "SUBJECT",
      "TEXT",
      "TO",
      "UID",
      "UNANSWERED",
      "UNDELETED",
      "UNDRAFT",
      "UNFLAGGED",
      "UNKEYWORD",
      "UNSEEN",
      "SEQ",
      "OLDER",
      "YOUNGER",
      "AND",
    ]);
    expect(cmd.criteria[3]).toEqual({ type: "BEFORE", date: "2001-03-02" });
    expect(cmd.criteria[10]).toEqual({ type: "HEADER", field: "Message-ID", value: "<x@y>" });
    expect(cmd.criteria[17]).toEqual({ type: "OR", left: { type: "ANSWERED" }, right: { type: "DELETED" } });
  });

  test("MODSEQ (RFC 7162) and nested OR/NOT/parentheses", () => {
    expect(one('a SEARCH MODSEQ "/flags/\\\\draft" all 620162338')).toMatchObject({
      criteria: [{ type: "MODSEQ", modseq: 620162338n, entry: { name: "/flags/\\draft", kind: "all" } }],
    });
    expect(one("t SEARCH OR NOT MODSEQ 720162338 LARGER 50000")).toMatchObject({
      criteria: [
        {
          type: "OR",
          left: { type: "NOT", key: { type: "MODSEQ", modseq: 720162338n } },
          right: { type: "LARGER", size: 50000 },
        },
      ],
    });
    expect(one("t SEARCH (OR (FROM a TO b) NOT (SUBJECT c BODY d))")).toMatchObject({
      criteria: [
        {
          type: "AND",
          keys: [
            {
              type: "OR",
              left: { type: "AND", keys: [{ type: "FROM" }, { type: "TO" }] },
              right: { type: "NOT", key: { type: "AND", keys: [{ type: "SUBJECT" }, { type: "BODY" }] } },
            },
          ],
        },
      ],
    });
  });
});

describe("FETCH", () => {
  test("RFC 9051 examples and macros", () => {
    expect(one("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])")).toEqual({
      tag: "A654",
      name: "FETCH",
      uid: false,
      set: [{ start: 2, end: 4 }],
      items: [
        { type: "FLAGS" },
        { type: "BODY[]", peek: false, section: { part: [], text: "HEADER.FIELDS", fields: ["DATE", "FROM"] } },
      ],
      vanished: false,
    });
    expect(one("A003 FETCH 12 FULL")).toMatchObject({
      macro: "FULL",
      items: [
        { type: "FLAGS" },
        { type: "INTERNALDATE" },
        { type: "RFC822.SIZE" },
        { type: "ENVELOPE" },
        { type: "BODY" },
      ],
    });
    expect(one("A004 FETCH 12 ALL")).toMatchObject({ macro: "ALL" });
    expect(one("A005 FETCH 12 fast")).toMatchObject({ macro: "FAST" });
    expect(one("A006 FETCH 12 BODY[HEADER]")).toMatchObject({
      items: [{ type: "BODY[]", peek: false, section: { part: [], text: "HEADER" } }],
    });
    expect(one("A007 FETCH 12 (RFC822.SIZE BODY[TEXT]<0.2048>)")).toMatchObject({
      items: [
        { type: "RFC822.SIZE" },
        { type: "BODY[]", section: { part: [], text: "TEXT" }, partial: { offset: 0, length: 2048 } },
      ],
    });
    expect(one("A999 UID FETCH 4827313:4828442 FLAGS")).toMatchObject({ uid: true, items: [{ type: "FLAGS" }] });
  });

  test("every attribute, sections, partials, BINARY (RFC 3516)", () => {
    const cmd = one(
      "f1 FETCH 1:* (ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT UID BODY BODYSTRUCTURE MODSEQ BODY[] BODY.PEEK[1.2.MIME] BODY[3.HEADER.FIELDS.NOT (Received X-Spam)] BODY[4.1.TEXT]<10.20> BINARY[1.2]<0.100> BINARY.PEEK[3] BINARY.SIZE[1] BINARY[])",
    );
    if (cmd.name !== "FETCH") throw new Error("not FETCH");
    expect(cmd.items.slice(11)).toEqual([
      { type: "BODY[]", peek: false, section: { part: [] } },
      { type: "BODY[]", peek: true, section: { part: [1, 2], text: "MIME" } },
      {
        type: "BODY[]",
        peek: false,
        section: { part: [3], text: "HEADER.FIELDS.NOT", fields: ["Received", "X-Spam"] },
      },
      { type: "BODY[]", peek: false, section: { part: [4, 1], text: "TEXT" }, partial: { offset: 10, length: 20 } },
      { type: "BINARY[]", peek: false, part: [1, 2], partial: { offset: 0, length: 100 } },
      { type: "BINARY[]", peek: true, part: [3] },
      { type: "BINARY.SIZE", part: [1] },
      { type: "BINARY[]", peek: false, part: [] },
    ]);
  });

  test("CONDSTORE / QRESYNC modifiers", () => {
    expect(one("s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345)")).toMatchObject({
      changedSince: 12345n,
      vanished: false,
    });
    expect(one("s101 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)")).toMatchObject({
      changedSince: 12345n,
      vanished: true,
    });
    expect(one("t FETCH 1:* (FLAGS MODSEQ)")).toMatchObject({ items: [{ type: "FLAGS" }, { type: "MODSEQ" }] });
    expect(one("A283 FETCH $ (UID INTERNALDATE FLAGS RFC822.HEADER)")).toMatchObject({ set: "$" });
  });
});

describe("STORE, COPY, MOVE", () => {
  test("STORE forms (RFC 9051, RFC 7162 UNCHANGEDSINCE)", () => {
    expect(one("A003 STORE 2:4 +FLAGS (\\Deleted)")).toEqual({
      tag: "A003",
      name: "STORE",
      uid: false,
      set: [{ start: 2, end: 4 }],
      action: { operation: "add", silent: false, flags: ["\\Deleted"] },
    });
    expect(one("A005 STORE 2:4 -FLAGS.SILENT (\\Seen)")).toMatchObject({
      action: { operation: "remove", silent: true },
    });
    expect(one("A006 UID STORE 1 FLAGS \\Deleted \\Seen $Fwd")).toMatchObject({
      uid: true,
      action: { operation: "set", silent: false, flags: ["\\Deleted", "\\Seen", "$Fwd"] },
    });
    expect(one("d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)")).toMatchObject({
      set: [
        { start: 7, end: 7 },
        { start: 5, end: 5 },
        { start: 9, end: 9 },
      ],
      unchangedSince: 320162338n,
      action: { operation: "add", silent: true, flags: ["\\Deleted"] },
    });
    expect(one("A7 STORE 1 FLAGS ()")).toMatchObject({ action: { flags: [] } });
  });

  test("COPY and MOVE, UID variants", () => {
    expect(one("A003 COPY 2:4 MEETING")).toEqual({
      tag: "A003",
      name: "COPY",
      uid: false,
      set: [{ start: 2, end: 4 }],
      mailbox: "MEETING",
    });
    expect(one("a UID MOVE 42:69 foo")).toEqual({
      tag: "a",
      name: "MOVE",
      uid: true,
      set: [{ start: 42, end: 69 }],
      mailbox: "foo",
    });
    expect(one('a UID COPY *:3 "Sent Items"')).toMatchObject({ set: [{ start: "*", end: 3 }], mailbox: "Sent Items" });
  });
});

describe("SORT and THREAD (RFC 5256, parse only)", () => {
  test("SORT", () => {
    expect(one("A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994")).toEqual({
      tag: "A282",
      name: "SORT",
      uid: false,
      criteria: [{ key: "SUBJECT", reverse: false }],
      charset: "UTF-8",
      search: [{ type: "SINCE", date: "1994-02-01" }],
    });
    expect(one("A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL")).toMatchObject({
      criteria: [
        { key: "SUBJECT", reverse: false },
        { key: "DATE", reverse: true },
      ],
    });
    expect(one('A284 UID SORT (REVERSE ARRIVAL) US-ASCII TEXT "not in mailbox"')).toMatchObject({ uid: true });
    expect(one("A285 SORT RETURN (MIN) (SIZE) UTF-8 ALL")).toMatchObject({ returnOptions: ["MIN"] });
  });

  test("THREAD", () => {
    expect(one("A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000")).toEqual({
      tag: "A283",
      name: "THREAD",
      uid: false,
      algorithm: "ORDEREDSUBJECT",
      charset: "UTF-8",
      search: [{ type: "SINCE", date: "2000-03-05" }],
    });
    expect(one('A284 UID THREAD REFERENCES US-ASCII TEXT "gewp"')).toMatchObject({
      uid: true,
      algorithm: "REFERENCES",
    });
  });
});

describe("IDLE", () => {
  test("IDLE ... DONE, then commands again", () => {
    expect(run("A001 IDLE\r\nDONE\r\nA002 NOOP\r\n")).toEqual([
      { type: "command", command: { tag: "A001", name: "IDLE" } },
      { type: "idle-done" },
      { type: "command", command: { tag: "A002", name: "NOOP" } },
    ]);
  });

  test("anything but DONE while idling is reported and IDLE continues", () => {
    const events = run("A001 IDLE\r\nA2 NOOP\r\ndone\r\n");
    expect(events.map((e) => e.type)).toEqual(["command", "error", "idle-done"]);
  });
});
