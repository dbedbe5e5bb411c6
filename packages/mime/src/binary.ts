/**
 * BINARY[section]<partial> and BINARY.SIZE[section] (RFC 3516): the part's body with its
 * Content-Transfer-Encoding removed, the way Dovecot does it:
 *
 * - the encoding is taken from the part's last Content-Transfer-Encoding field;
 * - base64 and quoted-printable are decoded; 7bit, 8bit, binary and none pass through;
 *   anything else is UnknownCteError (NO [UNKNOWN-CTE]); invalid encoded data is
 *   TransferDecodeError (NO [PARSE]);
 * - a multipart or message/rfc822 part (or the whole message) comes out with every part
 *   inside it decoded in place, each decoded part's Content-Transfer-Encoding fields
 *   replaced by "Content-Transfer-Encoding: binary" at the end of its header; an encoded
 *   message/rfc822 part inside it is left as it is;
 * - what is decoded is the CRLF form of the body; the answer is a literal8 (`~{n}`) when
 *   anything was decoded.
 */
import { ChunkList } from "./crlf-output.js";
import { UnknownCteError } from "./errors.js";
import type { MimePart, ParsedMessage } from "./part.js";
import { type Partial, resolvePart } from "./section.js";
import { parseSectionSpec } from "./section-spec.js";
import { decodeBase64, decodeQuotedPrintable } from "./transfer-decoding.js";

export interface BinaryContent {
  chunks: Buffer[];
  size: number;
  /**
   * True when something was decoded or the content has a NUL byte: IMAP sends it as a
   * literal8 (`~{n}`), like Dovecot.
   */
  decoded: boolean;
  /** False when the section names no part (the content is then empty). */
  found: boolean;
}

const BINARY_CTE_FIELD = Buffer.from("Content-Transfer-Encoding: binary\r\n");

type Encoding = "identity" | "base64" | "quoted-printable";

function encodingOf(part: MimePart): Encoding {
  const cte = part.binaryEncoding?.toLowerCase();
  if (cte === undefined || cte === "7bit" || cte === "8bit" || cte === "binary") return "identity";
  if (cte === "base64" || cte === "quoted-printable") return cte;
  throw new UnknownCteError(part.binaryEncoding!);
}

function decodeBody(buf: Buffer, part: MimePart, enc: Encoding): Buffer {
  const raw = new ChunkList();
  raw.pushRange(buf, part.bodyStart, part.bodyEnd);
  const input = raw.toBuffer();
  return enc === "base64" ? decodeBase64(input, true) : decodeQuotedPrintable(input, true);
}

/**
 * Writes a part's header with its Content-Transfer-Encoding rewritten when it is decoded.
 * Nothing at or past `limit` is written: a sub-part whose body is empty may reach past its
 * parent's end by the line break that the parent leaves to the boundary.
 */
function writeHeader(out: ChunkList, buf: Buffer, part: MimePart, rewrite: boolean, limit: number): void {
  const range = (a: number, b: number) => {
    if (a < limit) out.pushRange(buf, a, Math.min(b, limit));
  };
  let pos = part.headerStart;
  if (rewrite) {
    // Dovecot drops the Content-Transfer-Encoding fields and adds its own as the last field
    const fields = part.header.fields;
    for (const f of fields) {
      if (f.name !== "content-transfer-encoding" || !f.hasColon || f.end > limit) continue;
      range(pos, f.start);
      pos = f.end;
    }
    const fieldsEnd = fields.length > 0 ? fields[fields.length - 1]!.end : part.headerStart;
    range(pos, fieldsEnd);
    out.push(BINARY_CTE_FIELD);
    pos = Math.max(pos, fieldsEnd);
    // what is left: the empty line ending the header (nothing when a boundary cut it short)
    range(pos, part.bodyStart);
    return;
  }
  range(pos, part.headerEnd);
  range(part.headerEnd, part.bodyStart);
}

/** Writes the body of `part`, decoding everything inside it. Returns true if anything was decoded. */
function writeBody(out: ChunkList, buf: Buffer, part: MimePart, limit: number, asLeaf = false): boolean {
  const end = Math.min(part.bodyEnd, limit);
  if (part.kind === "single" || asLeaf) {
    const enc = encodingOf(part);
    if (enc === "identity") {
      if (part.bodyStart < end) out.pushRange(buf, part.bodyStart, end);
      return false;
    }
    out.push(decodeBody(buf, part, enc));
    return true;
  }
  let decoded = false;
  let pos = part.bodyStart;
  for (const c of part.children) {
    if (c.headerStart >= end) break;
    if (pos < c.headerStart) out.pushRange(buf, pos, c.headerStart);
    const enc = c.kind === "single" ? encodingOf(c) : "identity";
    writeHeader(out, buf, c, enc !== "identity", end);
    if (writeBody(out, buf, c, end)) decoded = true;
    pos = Math.min(c.bodyEnd, end);
  }
  if (pos < end) out.pushRange(buf, pos, end);
  return decoded;
}

/**
 * Dovecot refuses the whole section when any part in it has an encoding it cannot decode,
 * before decoding anything (so NO [UNKNOWN-CTE] wins over NO [PARSE]).
 */
function checkEncodings(part: MimePart): void {
  if (part.kind !== "multipart") encodingOf(part);
  for (const c of part.children) checkEncodings(c);
}

/** `section` is the part numbers between the brackets ("" or [] for the whole message). */
export function extractBinary(
  msg: ParsedMessage,
  section: string | readonly number[],
  partial?: Partial,
): BinaryContent {
  let path: number[];
  if (typeof section === "string") {
    const spec = parseSectionSpec(section);
    if (spec.text) throw new UnknownCteError(`BINARY[${section}] takes part numbers only`);
    path = spec.path;
  } else {
    path = [...section];
  }
  let out = new ChunkList();
  let decoded: boolean;
  if (path.length === 0) {
    const root = msg.root;
    checkEncodings(root);
    const enc = root.kind === "multipart" ? "identity" : encodingOf(root);
    writeHeader(out, msg.bytes, root, enc !== "identity", msg.bytes.length);
    decoded = writeBody(out, msg.bytes, root, msg.bytes.length, enc !== "identity");
  } else {
    const part = resolvePart(msg.root, path);
    if (!part) return { chunks: [], size: 0, decoded: false, found: false };
    checkEncodings(part);
    decoded = writeBody(out, msg.bytes, part, part.bodyEnd);
  }
  // a NUL byte can only travel in a literal8, so such content counts as binary too
  if (!decoded) decoded = out.chunks.some((c) => c.includes(0));
  if (partial) out = out.slice(partial.offset, partial.length ?? Number.POSITIVE_INFINITY);
  return { chunks: out.chunks, size: out.size, decoded, found: true };
}

/** BINARY.SIZE[section]: the decoded size. */
export function binarySize(msg: ParsedMessage, section: string | readonly number[]): number {
  return extractBinary(msg, section).size;
}
