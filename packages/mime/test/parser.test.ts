import { describe, expect, it } from "vitest";
import { bodystructure, parseMessage, sectionBytes } from "../src/index.js";
import { loadCorpus } from "./helpers/corpus.js";
import { checkInvariants } from "./helpers/invariants.js";

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, "\r\n"), "latin1");

describe("parseMessage", () => {
  it("keeps offsets, sizes and line counts consistent on the whole corpus", () => {
    for (const m of loadCorpus()) checkInvariants(parseMessage(m.bytes));
  });

  it("does not copy the message: the tree points into the caller's buffer", () => {
    const backing = new Uint8Array(crlf("Subject: x\n\nbody\n"));
    const msg = parseMessage(backing);
    expect(msg.bytes.buffer).toBe(backing.buffer);
    expect(msg.bytes.byteOffset).toBe(backing.byteOffset);
    const section = sectionBytes(msg, "TEXT");
    expect(section.buffer).toBe(backing.buffer);
  });

  it("gives header and body offsets of a simple message", () => {
    const msg = parseMessage(crlf("Subject: hi\nFrom: a@b\n\nline 1\nline 2\n"));
    const r = msg.root;
    expect([r.headerStart, r.headerEnd, r.bodyStart, r.bodyEnd]).toEqual([0, 26, 26, 42]);
    expect(r.header.hasEoh).toBe(true);
    expect(r.bodySize).toEqual({ physical: 16, virtual: 16, lines: 2 });
    expect(r.header.fields.map((f) => f.name)).toEqual(["subject", "from"]);
  });

  it("counts bare LF as CRLF in virtual sizes", () => {
    const msg = parseMessage(Buffer.from("Subject: x\n\na\nb\n"));
    expect(msg.root.bodySize).toEqual({ physical: 4, virtual: 6, lines: 2 });
    expect(msg.size.virtual).toBe(msg.size.physical + 4);
  });

  it("gives the line break before a boundary to the boundary", () => {
    const msg = parseMessage(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n\n--b--\n"));
    const [a, b] = msg.root.children;
    expect(msg.bytes.subarray(a!.bodyStart, a!.bodyEnd).toString()).toBe("one");
    expect(msg.bytes.subarray(b!.bodyStart, b!.bodyEnd).toString()).toBe("two\r\n");
  });

  it("ends a multipart without a closing boundary at the end of the data", () => {
    const msg = parseMessage(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nopen\n"));
    expect(msg.root.children).toHaveLength(1);
    expect(msg.root.children[0]!.bodyEnd).toBe(msg.bytes.length);
  });

  it("matches boundaries by prefix, innermost first", () => {
    const msg = parseMessage(
      crlf(
        "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=ab\n\n--ab\n\nin\n--a\n\nout\n--a--\n",
      ),
    );
    expect(msg.root.children).toHaveLength(2);
    expect(msg.root.children[0]!.children).toHaveLength(1);
  });

  it("parses message/rfc822 as one encapsulated message", () => {
    const msg = parseMessage(crlf("Content-Type: message/rfc822\n\nSubject: inner\n\ninner body\n"));
    expect(msg.root.kind).toBe("message");
    const inner = msg.root.children[0]!;
    expect(inner.header.fields[0]!.name).toBe("subject");
    expect(msg.bytes.subarray(inner.bodyStart, inner.bodyEnd).toString()).toBe("inner body\r\n");
  });

  it("uses message/rfc822 as the default type inside multipart/digest", () => {
    const msg = parseMessage(crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: x\n\ny\n--d--\n"));
    expect(msg.root.children[0]!.kind).toBe("message");
  });

  it("stops splitting at maxDepth and shows the part as application/octet-stream", () => {
    let text = "Content-Type: multipart/mixed; boundary=q0z\n\n";
    for (let i = 1; i < 10; i++) text += `--q${i - 1}z\nContent-Type: multipart/mixed; boundary=q${i}z\n\n`;
    const msg = parseMessage(crlf(text), { maxDepth: 3 });
    checkInvariants(msg, 3);
    const deepest = msg.root.children[0]!.children[0]!;
    expect(deepest.overflow).toBe(true);
    expect([deepest.type, deepest.subtype]).toEqual(["application", "octet-stream"]);
    expect(bodystructure(msg.bytes, msg.root)).toContain('("application" "octet-stream" ("boundary" "q2z")');
  });

  it("stops splitting after maxParts parts", () => {
    let text = "Content-Type: multipart/mixed; boundary=b\n\n";
    for (let i = 0; i < 20; i++) text += "--b\nContent-Type: message/rfc822\n\nSubject: s\n\nx\n";
    const msg = parseMessage(crlf(text), { maxParts: 10 });
    const kinds = msg.root.children.map((c) => c.kind);
    expect(kinds.slice(0, 4)).toEqual(["message", "message", "message", "message"]);
    expect(kinds.at(-1)).toBe("single");
    expect(msg.root.children.at(-1)!.overflow).toBe(true);
  });

  it("treats a broken Content-Type as an empty type", () => {
    const msg = parseMessage(crlf("Content-Type: text/\n\nx\n"));
    expect([msg.root.type, msg.root.subtype, msg.root.params]).toEqual(["", "", []]);
  });

  it("copes with an empty message and with a header that never ends", () => {
    const empty = parseMessage(new Uint8Array(0));
    expect(empty.root.headerEnd).toBe(0);
    expect(bodystructure(empty.bytes, empty.root)).toBe(
      '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)',
    );
    const noEnd = parseMessage(Buffer.from("Subject: x"));
    expect(noEnd.root.header.hasEoh).toBe(false);
    expect(noEnd.root.header.fields[0]!.valueEnd).toBe(10);
  });

  it("keeps a header line without a colon as a field", () => {
    const msg = parseMessage(crlf("garbage line\nSubject: s\n\nb\n"));
    expect(msg.root.header.fields.map((f) => [f.name, f.hasColon])).toEqual([
      ["garbage line", false],
      ["subject", true],
    ]);
  });

  it("parses a 1 MB header with 20000 fields", () => {
    let text = "";
    for (let i = 0; i < 20000; i++) text += `X-F${i}: ${"v".repeat(40)}\n`;
    const msg = parseMessage(crlf(`${text}\nbody\n`));
    expect(msg.root.header.fields).toHaveLength(20000);
    expect(msg.bytes.subarray(msg.root.bodyStart).toString()).toBe("body\r\n");
  });
});
