/**
 * Text for SEARCH BODY / TEXT: the decoded content of every text/* part (including those
 * inside encapsulated messages), transfer encoding removed leniently, converted from its
 * charset to a JS string. Attachments that are not text contribute nothing; broken
 * encodings and unknown charsets degrade (Latin-1 / UTF-8 fallback), never throw.
 */
import iconv from "iconv-lite";
import { ChunkList } from "./crlf-output.js";
import { decodeHeaderValue } from "./header-decode.js";
import { fieldValue } from "./header-fields.js";
import type { MimePart, ParsedMessage } from "./part.js";
import { decodeBase64, decodeQuotedPrintable } from "./transfer-decoding.js";

export interface TextOptions {
  /** Stop after this many bytes of decoded body text (default 16 MiB), to bound memory. */
  maxBytes?: number;
}

function charsetOf(part: MimePart): string {
  if (part.defaultType) return "us-ascii";
  for (const p of part.params) if (p.name.toLowerCase() === "charset") return p.value;
  return "us-ascii";
}

/** Decoded bytes of a leaf part's body (transfer encoding removed, leniently). */
export function decodedBody(msg: ParsedMessage, part: MimePart): Buffer {
  const raw = new ChunkList();
  raw.pushRange(msg.bytes, part.bodyStart, part.bodyEnd);
  const input = raw.toBuffer();
  switch (part.binaryEncoding?.toLowerCase()) {
    case "base64":
      return decodeBase64(input, false);
    case "quoted-printable":
      return decodeQuotedPrintable(input, false);
    default:
      return input;
  }
}

/** Bytes in a charset to a JS string; unknown charsets read as UTF-8 (Latin-1 if invalid). */
export function charsetToText(bytes: Buffer, charset: string): string {
  const cs = charset.trim().toLowerCase();
  if (cs === "us-ascii" || cs === "ascii" || cs === "utf-8" || cs === "utf8" || !iconv.encodingExists(cs)) {
    const text = bytes.toString("utf8");
    return text.includes("\ufffd") ? bytes.toString("latin1") : text;
  }
  try {
    return iconv.decode(bytes, cs);
  } catch {
    return bytes.toString("latin1");
  }
}

/** Every text/* leaf part, depth first, in message order. */
export function textParts(root: MimePart): MimePart[] {
  const out: MimePart[] = [];
  const walk = (p: MimePart) => {
    if (p.kind !== "single") {
      for (const c of p.children) walk(c);
    } else if (p.type.toLowerCase() === "text") {
      out.push(p);
    }
  };
  walk(root);
  return out;
}

/** Decoded text of the message's text parts, separated by newlines (SEARCH BODY). */
export function bodyText(msg: ParsedMessage, options: TextOptions = {}): string {
  const max = options.maxBytes ?? 16 * 1024 * 1024;
  let used = 0;
  const pieces: string[] = [];
  for (const p of textParts(msg.root)) {
    if (used >= max) break;
    let bytes = decodedBody(msg, p);
    if (used + bytes.length > max) bytes = bytes.subarray(0, max - used);
    used += bytes.length;
    pieces.push(charsetToText(bytes, charsetOf(p)));
  }
  return pieces.join("\n");
}

/** Decoded header fields ("Name: value" lines) of the message header (for SEARCH TEXT). */
export function headerText(msg: ParsedMessage, part: MimePart = msg.root): string {
  return part.header.fields
    .filter((f) => f.hasColon)
    .map(
      (f) =>
        `${msg.bytes.subarray(f.start, f.valueStart).toString("latin1").trim()} ${decodeHeaderValue(fieldValue(msg.bytes, f))}`,
    )
    .join("\n");
}

/** SEARCH TEXT: header text and body text. */
export function searchText(msg: ParsedMessage, options: TextOptions = {}): string {
  return `${headerText(msg)}\n${bodyText(msg, options)}`;
}
