import { body, bodystructure, buildEnvelope, type MimePart, parseMessage, serializeEnvelope } from "@holdfast/mime";

/*
 * Every call into @holdfast/mime lives in this file, so a change of its API is one edit.
 * Header decoding and text extraction for SEARCH are done here on top of the part tree
 * (byte offsets) that @holdfast/mime gives.
 */

/** What FETCH needs without reading the blob again. Strings are byte strings (one char per byte). */
export interface MessageStructure {
  bodystructure: string;
  body: string;
  envelope: string;
  /** RFC822.SIZE: bytes with every bare LF counted as CRLF. */
  size: number;
  /** Lines of the whole message. */
  lines: number;
  /** Header size (RFC822.HEADER length, virtual). */
  headerSize: number;
}

export function computeStructure(message: Uint8Array): MessageStructure {
  const parsed = parseMessage(message);
  const root = parsed.root;
  return {
    bodystructure: bodystructure(parsed.bytes, root),
    body: body(parsed.bytes, root),
    envelope: serializeEnvelope(buildEnvelope(parsed.bytes, root.header.fields)),
    size: parsed.size.virtual,
    lines: parsed.size.lines,
    headerSize: root.headerSize.virtual,
  };
}

/** A message parsed for SEARCH: header lookup and text, computed lazily. */
export class SearchableMessage {
  private readonly parsed;
  private bodyTextCache: string | undefined;

  constructor(readonly bytes: Buffer) {
    this.parsed = parseMessage(bytes);
  }

  /** Every value of a header field (case-insensitive name), unfolded and with encoded words decoded. */
  header(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (const f of this.parsed.root.header.fields) {
      if (f.name !== lower || !f.hasColon) continue;
      out.push(decodeHeaderValue(this.bytes, f.valueStart, f.valueEnd));
    }
    return out;
  }

  /** True when the message has the field at all (HEADER name "" matches any message that has it). */
  hasHeader(name: string): boolean {
    const lower = name.toLowerCase();
    return this.parsed.root.header.fields.some((f) => f.name === lower && f.hasColon);
  }

  /** The whole header, decoded, for TEXT. */
  headerText(): string {
    return this.parsed.root.header.fields
      .map((f) => `${f.name}: ${decodeHeaderValue(this.bytes, f.valueStart, f.valueEnd)}`)
      .join("\n");
  }

  /** Text of every text/* part (transfer encoding and charset decoded), for BODY and TEXT. */
  bodyText(): string {
    if (this.bodyTextCache === undefined) {
      const pieces: string[] = [];
      collectText(this.bytes, this.parsed.root, pieces, true);
      this.bodyTextCache = pieces.join("\n");
    }
    return this.bodyTextCache;
  }
}

function collectText(bytes: Buffer, part: MimePart, out: string[], top: boolean): void {
  if (part.kind === "multipart") {
    for (const c of part.children) collectText(bytes, c, out, false);
    return;
  }
  if (part.kind === "message") {
    const inner = part.children[0];
    if (inner) {
      out.push(
        inner.header.fields.map((f) => `${f.name}: ${decodeHeaderValue(bytes, f.valueStart, f.valueEnd)}`).join("\n"),
      );
      collectText(bytes, inner, out, false);
    }
    return;
  }
  const type = part.type.toLowerCase();
  if (type !== "text" && !(top && type === "")) return;
  const raw = bytes.subarray(part.bodyStart, part.bodyEnd);
  const cte = (part.transferEncoding ?? "").toLowerCase();
  let decoded: Buffer = raw;
  if (cte === "base64") decoded = Buffer.from(raw.toString("latin1").replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
  else if (cte === "quoted-printable") decoded = decodeQuotedPrintable(raw);
  const charset = part.params.find((p) => p.name.toLowerCase() === "charset")?.value ?? "utf-8";
  out.push(decodeCharset(decoded, charset));
}

function decodeCharset(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset.trim().toLowerCase() || "utf-8").decode(bytes);
  } catch {
    return new TextDecoder("utf-8").decode(bytes);
  }
}

function decodeQuotedPrintable(raw: Uint8Array): Buffer {
  const out = Buffer.alloc(raw.byteLength);
  let n = 0;
  for (let i = 0; i < raw.byteLength; i++) {
    const c = raw[i]!;
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    const a = raw[i + 1];
    const b = raw[i + 2];
    if (a === 0x0d && b === 0x0a) {
      i += 2;
      continue;
    }
    if (a === 0x0a) {
      i += 1;
      continue;
    }
    const hex = a !== undefined && b !== undefined ? String.fromCharCode(a, b) : "";
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out[n++] = Number.parseInt(hex, 16);
      i += 2;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/** Unfold a raw header value and decode RFC 2047 encoded words (raw 8-bit bytes are read as UTF-8). */
export function decodeHeaderValue(bytes: Uint8Array, start: number, end: number): string {
  const raw = new TextDecoder("utf-8").decode(bytes.subarray(start, end)).replace(/\r?\n[ \t]/g, " ");
  // Whitespace between two adjacent encoded words is dropped (RFC 2047 §6.2).
  const joined = raw.replace(/(\?=)\s+(=\?)/g, "$1$2");
  return joined.replace(ENCODED_WORD, (_all, charset: string, encoding: string, text: string) => {
    const cs = charset.split("*")[0]!;
    let data: Buffer;
    if (encoding.toLowerCase() === "b") data = Buffer.from(text, "base64");
    else data = decodeQuotedPrintable(Buffer.from(text.replace(/_/g, " "), "latin1"));
    return decodeCharset(data, cs);
  });
}
