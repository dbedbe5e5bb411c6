import { isDigit } from "./char-classes.js";
import type { Reader } from "./reader.js";
import type { BodySection, FetchAttribute, FetchMacro, SimpleFetchAttribute } from "./types/fetch.js";

const SIMPLE_ATTRIBUTES = new Set<string>([
  "ENVELOPE",
  "FLAGS",
  "INTERNALDATE",
  "RFC822",
  "RFC822.HEADER",
  "RFC822.SIZE",
  "RFC822.TEXT",
  "UID",
  "BODY",
  "BODYSTRUCTURE",
  "MODSEQ",
  "EMAILID",
  "THREADID",
  "SAVEDATE",
]);

/** Expansion of the FETCH macros (RFC 9051 section 6.4.5). */
export const FETCH_MACROS: Record<FetchMacro, FetchAttribute[]> = {
  ALL: [{ type: "FLAGS" }, { type: "INTERNALDATE" }, { type: "RFC822.SIZE" }, { type: "ENVELOPE" }],
  FAST: [{ type: "FLAGS" }, { type: "INTERNALDATE" }, { type: "RFC822.SIZE" }],
  FULL: [{ type: "FLAGS" }, { type: "INTERNALDATE" }, { type: "RFC822.SIZE" }, { type: "ENVELOPE" }, { type: "BODY" }],
};

const NAME_CHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  NAME_CHAR[c] = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x2e || c === 0x2d ? 1 : 0;
}

/** Name of a fetch attribute or response item (letters, digits, `.`, `-`), upper-cased. */
export function readItemName(r: Reader): string {
  return r.chars(NAME_CHAR, "a fetch item name").toUpperCase();
}

/** section-part = nz-number *("." nz-number) — reads the numbers and the dot after the last one. */
function readPartPath(r: Reader): number[] {
  const part: number[] = [];
  while (isDigit(r.peek())) {
    part.push(r.nzNumber("a section part number"));
    if (r.peek() === 0x2e && isDigit(r.peekAt(1))) r.pos++;
    else break;
  }
  return part;
}

/** The inside of `[...]` for BODY: section-spec; the cursor is after `[`, stops before `]`. */
export function readSection(r: Reader): BodySection {
  const part = readPartPath(r);
  if (r.peek() === 0x5d) return { part };
  if (part.length > 0) r.expect(0x2e, ". after section part");
  const text = readItemName(r);
  if (text === "HEADER" || text === "TEXT") return { part, text };
  if (text === "MIME") {
    if (part.length === 0) r.fail("MIME needs a section part");
    return { part, text };
  }
  if (text === "HEADER.FIELDS" || text === "HEADER.FIELDS.NOT") {
    r.sp();
    const fields = r.list(() => r.astring("a header field name"), "header list");
    if (fields.length === 0) r.fail("header list must not be empty");
    return { part, text, fields };
  }
  return r.fail(`bad section text "${text}"`);
}

/** section-binary = "[" [section-part] "]", cursor after `[`. */
export function readBinaryPart(r: Reader): number[] {
  return readPartPath(r);
}

function readPartial(r: Reader): { offset: number; length: number } | undefined {
  if (r.peek() !== 0x3c) return undefined;
  r.pos++;
  const offset = r.number32("a partial offset");
  r.expect(0x2e, ". in partial");
  const length = r.nzNumber("a partial length");
  r.expect(0x3e, "> closing partial");
  return { offset, length };
}

/** One fetch-att of a FETCH command. */
export function readFetchAttribute(r: Reader): FetchAttribute {
  const name = readItemName(r);
  if (r.peek() === 0x5b) {
    r.pos++;
    if (name === "BODY" || name === "BODY.PEEK") {
      const section = readSection(r);
      r.expect(0x5d, "] closing section");
      const partial = readPartial(r);
      return partial === undefined
        ? { type: "BODY[]", peek: name === "BODY.PEEK", section }
        : { type: "BODY[]", peek: name === "BODY.PEEK", section, partial };
    }
    if (name === "BINARY" || name === "BINARY.PEEK") {
      const part = readBinaryPart(r);
      r.expect(0x5d, "] closing section");
      const partial = readPartial(r);
      return partial === undefined
        ? { type: "BINARY[]", peek: name === "BINARY.PEEK", part }
        : { type: "BINARY[]", peek: name === "BINARY.PEEK", part, partial };
    }
    if (name === "BINARY.SIZE") {
      const part = readBinaryPart(r);
      r.expect(0x5d, "] closing section");
      return { type: "BINARY.SIZE", part };
    }
    return r.fail(`${name} takes no section`);
  }
  if (SIMPLE_ATTRIBUTES.has(name)) return { type: name as SimpleFetchAttribute };
  return r.fail(`unknown fetch attribute "${name}"`);
}
