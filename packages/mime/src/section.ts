/**
 * BODY[section]<partial> by offsets, with the rules Dovecot follows:
 *
 * - Part 1 of a non-multipart message (the whole message or an encapsulated one) is its
 *   body, which has no parts below it. Part 1 of a non-multipart sub-part of a multipart
 *   is that sub-part itself (`2.1` = `2` when part 2 is a leaf).
 * - For a message/rfc822 part X, `X.n` are the parts of the encapsulated message (its
 *   body when that is not multipart); `X.HEADER`, `X.TEXT`, `X.HEADER.FIELDS` apply to the
 *   encapsulated message, and are empty for other parts.
 * - `X.MIME` is the part's own header (for part 1 of a single-part message that is the
 *   message header).
 * - A section that names no part is empty (Dovecot answers an empty string, not NIL).
 * - HEADER.FIELDS[.NOT] output ends with an empty line when the header had one (or was
 *   ended by a boundary line); without one, HEADER.FIELDS still adds it when a field
 *   matched, HEADER.FIELDS.NOT never does.
 * - Bare LFs come out as CRLF and NUL bytes as 0x80 (a literal cannot carry NUL);
 *   <partial> offsets count in that form.
 */
import { ChunkList } from "./crlf-output.js";
import type { MimePart, ParsedMessage } from "./part.js";
import { parseSectionSpec, type SectionSpec } from "./section-spec.js";

const CRLF = Buffer.from("\r\n");

export interface Partial {
  offset: number;
  /** Omit for "to the end". */
  length?: number;
}

/** A section's bytes: views into the message buffer (plus inserted CRLFs). */
export interface SectionContent {
  /** The output bytes as chunks; concatenated they are the literal's content. */
  chunks: Buffer[];
  /** Total size (the literal's length). */
  size: number;
  /** False when the section names a part that does not exist (content is then empty). */
  found: boolean;
}

/** The part a section's part numbers name, or undefined. */
export function resolvePart(root: MimePart, path: readonly number[]): MimePart | undefined {
  let cur: MimePart | undefined;
  // true when `cur` is the body of a message (the root or an encapsulated message) rather
  // than a sub-part of a multipart: such a part has no part 1 below it
  let messageBody = false;
  for (let i = 0; i < path.length; i++) {
    const n = path[i]!;
    if (i === 0) {
      if (root.kind === "multipart") {
        cur = root.children[n - 1];
      } else {
        cur = n === 1 ? root : undefined;
        messageBody = true;
      }
    } else if (cur!.kind === "multipart") {
      cur = cur!.children[n - 1];
      messageBody = false;
    } else if (cur!.kind === "message") {
      const inner: MimePart | undefined = cur!.children[0];
      if (!inner) cur = undefined;
      else if (inner.kind === "multipart") cur = inner.children[n - 1];
      else cur = n === 1 ? inner : undefined;
      messageBody = inner !== undefined && inner.kind !== "multipart";
    } else if (messageBody || n !== 1) {
      cur = undefined;
    }
    if (!cur) return undefined;
  }
  return cur;
}

function headerFields(out: ChunkList, msg: ParsedMessage, part: MimePart, names: readonly string[], not: boolean) {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const h = part.header;
  let matched = false;
  for (const f of h.fields) {
    // a line without a colon is no field: HEADER.FIELDS never names it, .NOT always keeps it
    if ((f.hasColon && wanted.has(f.name)) !== not) {
      matched = true;
      out.pushRange(msg.bytes, f.start, f.end);
    }
  }
  // Dovecot ends the output with an empty line when the header had one (a boundary line
  // counts as one), and for HEADER.FIELDS when a field matched; HEADER.FIELDS.NOT of a
  // header cut off by the end of the message gets none
  if (h.hasEoh || h.stoppedAt !== undefined || (!not && matched)) out.push(CRLF);
}

function fill(out: ChunkList, msg: ParsedMessage, spec: SectionSpec): boolean {
  const buf = msg.bytes;
  const root = msg.root;
  let part: MimePart | undefined;
  if (spec.path.length === 0) {
    part = root;
    if (!spec.text) {
      out.pushRange(buf, 0, buf.length);
      return true;
    }
  } else {
    part = resolvePart(root, spec.path);
    if (!part) return false;
    if (!spec.text) {
      out.pushRange(buf, part.bodyStart, part.bodyEnd);
      return true;
    }
    if (spec.text === "MIME") {
      out.pushRange(buf, part.headerStart, part.headerEnd);
      return true;
    }
    // HEADER / TEXT / HEADER.FIELDS address the encapsulated message
    if (part.kind !== "message" || !part.children[0]) return false;
    part = part.children[0];
  }
  switch (spec.text) {
    case "HEADER":
      out.pushRange(buf, part.headerStart, part.headerEnd);
      return true;
    case "TEXT":
      out.pushRange(buf, part.bodyStart, part.bodyEnd);
      return true;
    case "HEADER.FIELDS":
    case "HEADER.FIELDS.NOT":
      headerFields(out, msg, part, spec.fields ?? [], spec.text === "HEADER.FIELDS.NOT");
      return true;
    default:
      return false;
  }
}

/**
 * The content of BODY[section]<partial>. `section` is the text between the brackets
 * (e.g. "1.2.MIME", "HEADER.FIELDS (From To)") or an already parsed SectionSpec. Throws
 * SectionSyntaxError only for a malformed section string; never for bad mail.
 */
export function extractSection(msg: ParsedMessage, section: string | SectionSpec, partial?: Partial): SectionContent {
  const spec = typeof section === "string" ? parseSectionSpec(section) : section;
  let out = new ChunkList(true);
  const found = fill(out, msg, spec);
  if (partial) out = out.slice(partial.offset, partial.length ?? Number.POSITIVE_INFINITY);
  return { chunks: out.chunks, size: out.size, found };
}

/** extractSection as one Buffer. */
export function sectionBytes(msg: ParsedMessage, section: string | SectionSpec, partial?: Partial): Buffer {
  const c = extractSection(msg, section, partial);
  return c.chunks.length === 1 ? c.chunks[0]! : Buffer.concat(c.chunks, c.size);
}
