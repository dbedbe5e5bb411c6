import { describe, expect, it } from "vitest";
import {
  bodyText,
  charsetToText,
  decodeHeaderValue,
  headerAddresses,
  headerValue,
  headerValues,
  parseMessage,
  searchText,
} from "../src/index.js";

const bytes = (s: string) => Buffer.from(s.replace(/\r?\n/g, "\r\n"), "latin1");
const utf8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");

describe("header lookup with decoding", () => {
  it("decodes encoded words, folding and charsets", () => {
    expect(decodeHeaderValue("=?ISO-8859-1?Q?Andr=E9?= Pirard")).toBe("André Pirard");
    expect(decodeHeaderValue("=?UTF-8?B?w5xiZXI=?=\r\n =?UTF-8?Q?_more?=")).toBe("Über more");
    expect(decodeHeaderValue(utf8("raw Grüße"))).toBe("raw Grüße");
    expect(decodeHeaderValue("latin1 caf\xe9")).toBe("latin1 café");
    expect(decodeHeaderValue("=?bogus?Q?x?= plain")).toContain("plain");
  });
  it("finds every occurrence of a field", () => {
    const msg = parseMessage(bytes("Received: one\nSubject: =?UTF-8?Q?caf=C3=A9?=\nReceived: two\n\nb\n"));
    expect(headerValues(msg, "RECEIVED")).toEqual(["one", "two"]);
    expect(headerValue(msg, "subject")).toBe("café");
    expect(headerValue(msg, "x-missing")).toBeUndefined();
  });
  it("gives decoded addresses for SORT and SEARCH", () => {
    const msg = parseMessage(bytes('From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>\nTo: team: a@x, "B" <b@x>;\n\nb\n'));
    expect(headerAddresses(msg, "from")).toEqual([{ name: "Jürgen", address: "j@example.de" }]);
    expect(headerAddresses(msg, "to")).toEqual([
      { name: undefined, address: "a@x" },
      { name: "B", address: "b@x" },
    ]);
  });
});

describe("text for SEARCH BODY / TEXT", () => {
  it("decodes text parts in their charsets and skips attachments", () => {
    const msg = parseMessage(
      bytes(`Subject: =?UTF-8?Q?S=C3=BCbject?=
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Caf=E9 cr=E8me
--b
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

${Buffer.from("<p>Grüße</p>").toString("base64")}
--b
Content-Type: application/pdf
Content-Transfer-Encoding: base64

JVBERi0=
--b
Content-Type: message/rfc822

Subject: inner

inner text
--b--
`),
    );
    expect(bodyText(msg)).toBe("Café crème\n<p>Grüße</p>\ninner text");
    const all = searchText(msg);
    expect(all).toContain("Subject: Sübject");
    expect(all).toContain("Café crème");
    expect(all).not.toContain("%PDF");
  });
  it("bounds the text it produces", () => {
    const msg = parseMessage(bytes(`Content-Type: text/plain\n\n${"x".repeat(1000)}\n`));
    expect(bodyText(msg, { maxBytes: 10 })).toBe("xxxxxxxxxx");
  });
  it("degrades on unknown charsets and invalid bytes", () => {
    expect(charsetToText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), "x-unknown")).toBe("café");
    expect(charsetToText(Buffer.from("日本", "utf8"), "UTF-8")).toBe("日本");
    expect(charsetToText(Buffer.from([0x82, 0xa0]), "shift_jis")).toBe("あ");
  });
});

describe("base subject (RFC 5256)", () => {
  it("strips reply and forward markers", async () => {
    const { baseSubject } = await import("../src/index.js");
    expect(baseSubject("Re: hello")).toBe("hello");
    expect(baseSubject("RE: Fwd: re[2]: [list] hello (fwd)  ")).toBe("hello");
    expect(baseSubject("[Fwd: Re: report]")).toBe("report");
    expect(baseSubject("[list] [tag]")).toBe("[tag]");
    expect(baseSubject("=?UTF-8?Q?Re=3A_Gr=C3=BC=C3=9Fe?=")).toBe("Grüße");
    expect(baseSubject("  multiple\t  spaces  ")).toBe("multiple spaces");
    expect(baseSubject("Reply about Rex")).toBe("Reply about Rex");
    expect(baseSubject(undefined)).toBe("");
  });
});
