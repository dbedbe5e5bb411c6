/**
 * The section specifier of BODY[...] / BINARY[...] (RFC 9051 §6.4.5):
 * `[part ["." text]]` where part is `1.2.3` and text is HEADER, HEADER.FIELDS (...),
 * HEADER.FIELDS.NOT (...), TEXT or MIME (MIME only after a part number).
 */
import { SectionSyntaxError } from "./errors.js";

export type SectionText = "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";

export interface SectionSpec {
  /** Part numbers, each >= 1; empty for the whole message. */
  path: number[];
  text?: SectionText;
  /** Field names for HEADER.FIELDS[.NOT], as given. */
  fields?: string[];
}

function parseFieldList(src: string, spec: string): string[] {
  const s = src.trim();
  if (!s.startsWith("(") || !s.endsWith(")")) throw new SectionSyntaxError(spec, "header list must be parenthesised");
  const inner = s.slice(1, -1);
  const out: string[] = [];
  let i = 0;
  while (i < inner.length) {
    const c = inner[i]!;
    if (c === " ") {
      i++;
      continue;
    }
    if (c === '"') {
      let v = "";
      i++;
      while (i < inner.length && inner[i] !== '"') {
        if (inner[i] === "\\") i++;
        v += inner[i] ?? "";
        i++;
      }
      if (i >= inner.length) throw new SectionSyntaxError(spec, "unterminated quoted field name");
      i++;
      out.push(v);
      continue;
    }
    let j = i;
    while (j < inner.length && inner[j] !== " ") j++;
    const name = inner.slice(i, j);
    if (/[\x00-\x20\x7f-\uffff():]/.test(name)) throw new SectionSyntaxError(spec, `bad field name "${name}"`);
    out.push(name);
    i = j;
  }
  if (out.length === 0) throw new SectionSyntaxError(spec, "empty header list");
  return out;
}

/** Parses the text between the brackets. Throws SectionSyntaxError when it is not valid. */
export function parseSectionSpec(spec: string): SectionSpec {
  const path: number[] = [];
  let rest = spec;
  while (rest.length > 0 && rest[0]! >= "0" && rest[0]! <= "9") {
    const m = /^(\d+)(\.|$)/.exec(rest);
    if (!m) throw new SectionSyntaxError(spec, "part number must be followed by '.' or the end");
    const n = Number(m[1]);
    if (n < 1 || !Number.isSafeInteger(n) || m[1]!.startsWith("0")) {
      throw new SectionSyntaxError(spec, "part numbers start at 1");
    }
    path.push(n);
    rest = rest.slice(m[0].length);
    if (m[2] === "." && rest.length === 0) throw new SectionSyntaxError(spec, "trailing '.'");
  }
  if (rest.length === 0) return { path };
  const upper = rest.toUpperCase();
  if (upper === "HEADER" || upper === "TEXT") return { path, text: upper };
  if (upper === "MIME") {
    if (path.length === 0) throw new SectionSyntaxError(spec, "MIME needs a part number");
    return { path, text: "MIME" };
  }
  const m = /^HEADER\.FIELDS(\.NOT)?\s+(\(.*\))$/is.exec(rest);
  if (m) {
    return { path, text: m[1] ? "HEADER.FIELDS.NOT" : "HEADER.FIELDS", fields: parseFieldList(m[2]!, spec) };
  }
  throw new SectionSyntaxError(spec, `unknown section text "${rest}"`);
}
