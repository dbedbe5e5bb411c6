import { describe, expect, it } from "vitest";
import {
  chunksToStream,
  extractSection,
  parseMessage,
  parseSectionSpec,
  resolvePart,
  SectionSyntaxError,
  sectionBytes,
} from "../src/index.js";

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, "\r\n"), "latin1");
const text = (msg: ReturnType<typeof parseMessage>, s: string, partial?: { offset: number; length?: number }) =>
  sectionBytes(msg, s, partial).toString("latin1");

const nested = parseMessage(
  crlf(`From: a@b
Subject: outer
Content-Type: multipart/mixed; boundary=o

--o
Content-Type: text/plain

one
--o
Content-Type: message/rfc822

Subject: inner
Content-Type: multipart/alternative; boundary=i

--i
Content-Type: text/plain

two
--i
Content-Type: text/html

<b>three</b>
--i--
--o
Content-Type: message/rfc822

Subject: inner single

four
--o--
`),
);

describe("section specifiers", () => {
  it("parses part numbers and section texts", () => {
    expect(parseSectionSpec("")).toEqual({ path: [] });
    expect(parseSectionSpec("1.2.3")).toEqual({ path: [1, 2, 3] });
    expect(parseSectionSpec("2.mime")).toEqual({ path: [2], text: "MIME" });
    expect(parseSectionSpec('HEADER.FIELDS.NOT (From "X-Odd name")')).toEqual({
      path: [],
      text: "HEADER.FIELDS.NOT",
      fields: ["From", "X-Odd name"],
    });
    expect(parseSectionSpec("3.header.fields (subject)").text).toBe("HEADER.FIELDS");
  });
  it("rejects malformed specifiers with a typed error", () => {
    for (const bad of ["0", "1.", "01", "1..2", "MIME", "HEADER.FIELDS", "HEADER.FIELDS ()", "BODY", "1.FOO", "1.2x"]) {
      expect(() => parseSectionSpec(bad), bad).toThrow(SectionSyntaxError);
    }
  });
});

describe("section extraction", () => {
  it("extracts message-level sections", () => {
    expect(text(nested, "HEADER")).toBe(
      "From: a@b\r\nSubject: outer\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n",
    );
    expect(text(nested, "TEXT").startsWith("--o\r\n")).toBe(true);
    expect(text(nested, "HEADER.FIELDS (subject)")).toBe("Subject: outer\r\n\r\n");
    expect(text(nested, "HEADER.FIELDS.NOT (Subject Content-Type)")).toBe("From: a@b\r\n\r\n");
    expect(text(nested, "").length).toBe(nested.size.virtual);
  });
  it("follows part numbers into multiparts and encapsulated messages", () => {
    expect(text(nested, "1")).toBe("one");
    expect(text(nested, "1.1")).toBe("one");
    expect(text(nested, "1.MIME")).toBe("Content-Type: text/plain\r\n\r\n");
    expect(text(nested, "2.HEADER")).toBe("Subject: inner\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n");
    expect(text(nested, "2.1")).toBe("two");
    expect(text(nested, "2.2")).toBe("<b>three</b>");
    expect(text(nested, "2.2.MIME")).toBe("Content-Type: text/html\r\n\r\n");
    expect(text(nested, "2.TEXT").startsWith("--i\r\n")).toBe(true);
    expect(text(nested, "3.1")).toBe("four");
    expect(text(nested, "3.1.MIME")).toBe("Subject: inner single\r\n\r\n");
    expect(text(nested, "3.HEADER.FIELDS (SUBJECT)")).toBe("Subject: inner single\r\n\r\n");
  });
  it("answers nothing for parts that do not exist or sections that do not apply", () => {
    for (const s of ["4", "2.3", "3.2", "3.1.1", "1.HEADER", "1.TEXT", "9.MIME"]) {
      const c = extractSection(nested, s);
      expect([c.size, c.found], s).toEqual([0, false]);
    }
    const single = parseMessage(crlf("Subject: s\n\nbody\n"));
    expect(text(single, "1")).toBe("body\r\n");
    expect(text(single, "1.MIME")).toBe("Subject: s\r\n\r\n");
    expect(extractSection(single, "1.1").found).toBe(false);
    expect(resolvePart(single.root, [1])).toBe(single.root);
  });
  it("turns bare LF into CRLF and counts partial ranges on that form", () => {
    const lf = parseMessage(Buffer.from("Subject: x\n\nab\ncd\n"));
    expect(text(lf, "TEXT")).toBe("ab\r\ncd\r\n");
    expect(text(lf, "TEXT", { offset: 2, length: 3 })).toBe("\r\nc");
    expect(text(lf, "", { offset: 100 })).toBe("");
    expect(text(lf, "", { offset: 0, length: 4 })).toBe("Subj");
  });
  it("returns views into the message, streamable", async () => {
    const c = extractSection(nested, "2");
    expect(c.chunks.every((b) => b.buffer === nested.bytes.buffer)).toBe(true);
    const parts: Buffer[] = [];
    for await (const chunk of chunksToStream(c)) parts.push(chunk as Buffer);
    expect(Buffer.concat(parts).toString("latin1")).toBe(text(nested, "2"));
  });
  it("ends HEADER.FIELDS like Dovecot when the header has no empty line", () => {
    const noEoh = parseMessage(Buffer.from("From: a@b\r\nSubject: s\r\n"));
    expect(text(noEoh, "HEADER.FIELDS (SUBJECT)")).toBe("Subject: s\r\n\r\n");
    expect(text(noEoh, "HEADER.FIELDS (X-NONE)")).toBe("");
    expect(text(noEoh, "HEADER.FIELDS.NOT (FROM)")).toBe("Subject: s\r\n");
  });
});
