import { describe, expect, it } from "vitest";
import {
  buildEnvelope,
  fetchBody,
  fetchBodystructure,
  fetchEnvelope,
  nstring,
  nstringNoLf,
  parseAddressList,
  parseContentType,
  parseDisposition,
  parseLanguage,
  parseMessage,
  parseTransferEncoding,
  serializeEnvelope,
  stringForHumans,
} from "../src/index.js";

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, "\r\n"), "latin1");
const params = (v: string) => parseContentType(v).params.map((p) => [p.name, p.value]);

describe("Content-Type parameters", () => {
  it("keeps case and order, unquotes values", () => {
    expect(parseContentType('TEXT/Plain; CharSet="UTF-8"; format=flowed')).toEqual({
      type: "TEXT",
      subtype: "Plain",
      params: [
        { name: "CharSet", value: "UTF-8" },
        { name: "format", value: "flowed" },
      ],
    });
  });
  it("joins RFC 2231 continuations and keeps extended values encoded under name*", () => {
    expect(params("a/b; name*0*=UTF-8''%E6%97%A5; name*1*=%E6%9C%AC.pdf")).toEqual([
      ["name*", "UTF-8''%E6%97%A5%E6%9C%AC.pdf"],
    ]);
    expect(params('a/b; url*1="/path"; url*0="ftp://host"')).toEqual([["url", "ftp://host/path"]]);
    expect(params("a/b; f*0*=UTF-8''a; f*1=50%")).toEqual([["f*", "UTF-8''a50%25"]]);
    expect(params("a/b; f*0=x; f*1*=%41")).toEqual([["f*", "''x%41"]]);
  });
  it("keeps pieces apart when an index is missing", () => {
    expect(params("a/b; c*2=gap; c*0=start")).toEqual([
      ["c*0", "start"],
      ["c*2", "gap"],
    ]);
  });
  it("skips broken parameters byte by byte, as Dovecot does", () => {
    expect(params("text/plain; charset; foo=; =bar; name=ok")).toEqual([
      ["", "bar"],
      ["name", "ok"],
    ]);
    expect(params('text/plain; charset="utf-8; name=foo')).toEqual([]);
    expect(params("text/plain; a=b c=d; e=f")).toEqual([
      ["a", "b"],
      ["e", "f"],
    ]);
    expect(params("text/plain; name==?utf-8?q?x?=; b=c")).toEqual([
      ["name", "=?utf-8?q?x?="],
      ["b", "c"],
    ]);
  });
  it("gives an empty type for anything that is not type/subtype", () => {
    for (const v of ["text/", "/plain", "text; charset=x", "", "  (c)  ", "text / ", "text/p(lain", "text/p x"]) {
      expect(parseContentType(v), v).toEqual({ type: "", subtype: "", params: [] });
    }
    expect(parseContentType("multip")).toEqual({ type: "multip", subtype: "", params: [] });
    expect(parseContentType("mes(sage/rfc822")).toEqual({ type: "mes", subtype: "", params: [] });
    expect(parseContentType("text (c) / (d) html").subtype).toBe("html");
  });
  it("parses transfer encoding, disposition and language", () => {
    expect(parseTransferEncoding(" base64 (comment)")).toBe("base64");
    expect(parseTransferEncoding("base64 junk")).toBeUndefined();
    expect(parseDisposition("attachment; filename=a.txt")).toEqual({
      type: "attachment",
      params: [{ name: "filename", value: "a.txt" }],
    });
    expect(parseDisposition(";x")).toEqual({ type: "", params: [] });
    expect(parseLanguage("en, de-DE (German) , fr")).toEqual(["en", "de-DE", "fr"]);
    expect(parseLanguage("   ")).toBeUndefined();
  });
});

describe("address lists", () => {
  const fmt = (v: string) => parseAddressList(v).map((a) => [a.name, a.route, a.mailbox, a.host]);
  it("reads names, comments, routes and groups", () => {
    expect(fmt('"Joe Q. Public" <john.q.public@example.com>, x@y (Comment)')).toEqual([
      ["Joe Q. Public", undefined, "john.q.public", "example.com"],
      ["Comment", undefined, "x", "y"],
    ]);
    expect(fmt("<@a,@b:c@d>")).toEqual([[undefined, "@a,@b", "c", "d"]]);
    expect(fmt("team: a@b, c@d;, e@f")).toEqual([
      [undefined, undefined, "team", undefined],
      [undefined, undefined, "a", "b"],
      [undefined, undefined, "c", "d"],
      [undefined, undefined, undefined, undefined],
      [undefined, undefined, "e", "f"],
    ]);
  });
  it("fills in what is missing like Dovecot", () => {
    expect(fmt("local, @dom, <>, Name <x@y")).toEqual([
      [undefined, undefined, "local", "MISSING_DOMAIN"],
      [undefined, undefined, "MISSING_MAILBOX", "dom"],
      [undefined, undefined, "MISSING_MAILBOX", "MISSING_DOMAIN"],
      ["Name", undefined, "x", "SYNTAX_ERROR"],
    ]);
    expect(fmt("")).toEqual([]);
  });
  it("never loops or throws on junk", () => {
    for (const junk of ['"', "<", "(", ":", ";", ",,,", "@@@", "a b c d <", "g: <", "\\", "\x00\xff"]) {
      expect(() => parseAddressList(junk)).not.toThrow();
    }
  });
});

describe("IMAP strings", () => {
  it("quotes, escapes up to four specials, else sends a literal", () => {
    expect(nstring(undefined)).toBe("NIL");
    expect(nstring("")).toBe('""');
    expect(nstring('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(nstring('""""')).toBe('"\\"\\"\\"\\""');
    expect(nstring('"""""')).toBe('{5}\r\n"""""');
    expect(nstring("caf\xe9")).toBe("{4}\r\ncaf\xe9");
    expect(nstring("a\r\nb")).toBe("{4}\r\na\r\nb");
    expect(nstringNoLf("a\r\n b")).toBe('"a b"');
  });
  it("writes strings for humans: whitespace collapsed, literal when changed", () => {
    expect(stringForHumans("plain words")).toBe('"plain words"');
    expect(stringForHumans("folded\r\n\tline")).toBe("{11}\r\nfolded line");
    expect(stringForHumans("  padded  ")).toBe("{6}\r\npadded");
    expect(stringForHumans('say "hi"')).toBe('{8}\r\nsay "hi"');
    expect(stringForHumans("   ")).toBe('""');
    expect(stringForHumans("")).toBe('""');
    expect(stringForHumans("nul\x00")).toBe("{4}\r\nnul\x80");
  });
});

describe("ENVELOPE and BODYSTRUCTURE", () => {
  it("defaults Sender and Reply-To to From and keeps encoded words raw", () => {
    const msg = parseMessage(
      crlf(
        "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>\nReply-To:\nSubject: =?UTF-8?B?SGk=?=\nMessage-ID: <1@x>\n\nb\n",
      ),
    );
    const env = buildEnvelope(msg.bytes, msg.root.header.fields);
    expect(env.sender).toBe(env.from);
    expect(env.replyTo).toBe(env.from);
    expect(fetchEnvelope(msg).toString("latin1")).toBe(
      '(NIL "=?UTF-8?B?SGk=?=" (("=?UTF-8?Q?J=C3=BCrgen?=" NIL "j" "example.de")) (("=?UTF-8?Q?J=C3=BCrgen?=" NIL "j" "example.de")) (("=?UTF-8?Q?J=C3=BCrgen?=" NIL "j" "example.de")) NIL NIL NIL NIL "<1@x>")',
    );
    expect(serializeEnvelope(undefined)).toBe("(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
  });
  it("writes extension data and the default charset", () => {
    const msg = parseMessage(
      crlf(
        'Content-Type: text/html\nContent-Disposition: inline; filename="a b.html"\nContent-Language: en\nContent-Location: /a\nContent-MD5: x\n\n<p>\n',
      ),
    );
    expect(fetchBodystructure(msg).toString()).toBe(
      '("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 5 1 "x" ("inline" ("filename" "a b.html")) ("en") "/a")',
    );
    expect(fetchBody(msg).toString()).toBe('("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 5 1)');
  });
  it("shows one empty text/plain part for a multipart without parts", () => {
    const msg = parseMessage(crlf("Content-Type: multipart/mixed; boundary=x\n\nnothing\n"));
    expect(fetchBody(msg).toString()).toBe('(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")');
  });
});

describe("Dovecot's error recovery (found by comparing mutated mail)", () => {
  const fmt = (v: string) => parseAddressList(v).map((a) => [a.name, a.route, a.mailbox, a.host]);
  it("treats unterminated comments as errors", () => {
    expect(fmt("alice@example.org (Alice")).toEqual([[undefined, undefined, "alice", "MISSING_DOMAIN"]]);
    expect(fmt("Alice <alice@example.org> (x")).toEqual([["Alice", undefined, "alice", "SYNTAX_ERROR"]]);
    expect(parseTransferEncoding("base64 (x")).toBeUndefined();
    expect(params("text/plain; charset=utf(8; name=x")).toEqual([]);
  });
  it("reads a lone quoted string or several words as a name without address", () => {
    expect(fmt('"Only Name"')).toEqual([["Only Name", undefined, "MISSING_MAILBOX", "MISSING_DOMAIN"]]);
    expect(fmt("two words")).toEqual([["two words", undefined, "MISSING_MAILBOX", "MISSING_DOMAIN"]]);
    expect(fmt("user")).toEqual([[undefined, undefined, "user", "MISSING_DOMAIN"]]);
  });
  it("marks broken routes and stops at junk inside a group", () => {
    expect(fmt("<@route x:a@b>")).toEqual([[undefined, "INVALID_ROUTE", "MISSING_MAILBOX", "SYNTAX_ERROR"]]);
    expect(fmt("g: a@b,\x01c@d;")).toEqual([
      [undefined, undefined, "g", undefined],
      [undefined, undefined, "a", "b"],
      [undefined, undefined, "MISSING_MAILBOX", "MISSING_DOMAIN"],
      [undefined, undefined, undefined, undefined],
    ]);
    expect(fmt(": a@b;")[0]).toEqual([undefined, undefined, "", undefined]);
  });
  it("keeps an empty parameter value at the end", () => {
    expect(params("multipart/mixed; boundary=")).toEqual([["boundary", ""]]);
  });
  it("turns a lone CR inside a value into a space and drops line breaks", () => {
    expect(nstringNoLf("a\rb")).toBe('"a b"');
    expect(nstringNoLf("a\r\tb")).toBe('"a\tb"');
    expect(nstringNoLf("a\r\n b")).toBe('"a b"');
  });
  it("ignores the Content-* fields of a non-MIME part without Content-Type only", () => {
    const plain = parseMessage(crlf("Content-Transfer-Encoding: base64\nContent-ID: <x>\n\naGk=\n"));
    expect(fetchBody(plain).toString()).toBe('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1)');
    const mime = parseMessage(crlf("MIME-Version: 1.0\nContent-Transfer-Encoding: base64\nContent-ID: <x>\n\naGk=\n"));
    expect(fetchBody(mime).toString()).toBe('("text" "plain" ("charset" "us-ascii") "<x>" NIL "base64" 6 1)');
  });
  it("shows multipart without a subtype as application/octet-stream", () => {
    const msg = parseMessage(crlf("Content-Type: multipart\n\n--x\n\nbody\n"));
    expect(fetchBody(msg).toString()).toBe('("application" "octet-stream" NIL NIL NIL "7bit" 13)');
  });
});
