/**
 * BODY and BODYSTRUCTURE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) in Dovecot's exact form:
 * text parts get ("charset" "us-ascii") added when they name no charset; a multipart with
 * no sub-parts shows one empty text/plain part; message/rfc822 shows the encapsulated
 * message's envelope and structure (all NIL and an empty text/plain when it was not
 * parsed, e.g. base64-encoded); the language is always a list; strings come from the raw
 * header values with line breaks removed.
 */
import { buildEnvelope, serializeEnvelope } from "./envelope.js";
import { nstring, nstringNoLf } from "./imap-string.js";
import type { MimeParam } from "./params.js";
import type { MimePart } from "./part.js";

const EMPTY_BODY = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)';
const EMPTY_BODYSTRUCTURE = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)';

function writeParams(params: readonly MimeParam[], defaultCharset: boolean): string {
  if (!defaultCharset && params.length === 0) return "NIL";
  const items: string[] = [];
  let seenCharset = false;
  for (const p of params) {
    if (defaultCharset && p.name.toLowerCase() === "charset") seenCharset = true;
    items.push(`${nstring(p.name)} ${nstring(p.value)}`);
  }
  if (defaultCharset && !seenCharset) items.push('"charset" "us-ascii"');
  return `(${items.join(" ")})`;
}

type ContentFields = Pick<
  MimePart,
  "id" | "description" | "transferEncoding" | "md5" | "disposition" | "language" | "location"
>;

const NO_CONTENT_FIELDS: ContentFields = {
  id: undefined,
  description: undefined,
  transferEncoding: undefined,
  md5: undefined,
  disposition: undefined,
  language: undefined,
  location: undefined,
};

function writeExtensionCommon(part: ContentFields): string {
  const d = part.disposition;
  const disp = d ? `(${nstring(d.type)} ${writeParams(d.params, false)})` : "NIL";
  const lang = part.language ? `(${part.language.map((l) => nstring(l)).join(" ")})` : "NIL";
  return `${disp} ${lang} ${nstringNoLf(part.location)}`;
}

function isText(part: MimePart): boolean {
  return part.type.toLowerCase() === "text";
}

function isMessageRfc822(part: MimePart): boolean {
  return !part.overflow && part.type.toLowerCase() === "message" && part.subtype.toLowerCase() === "rfc822";
}

function writePart(buf: Uint8Array, part: MimePart, extended: boolean): string {
  if (part.kind === "multipart") {
    let out = "(";
    if (part.children.length === 0) out += extended ? EMPTY_BODYSTRUCTURE : EMPTY_BODY;
    for (const c of part.children) out += writePart(buf, c, extended);
    out += ` ${nstring(part.subtype)}`;
    if (extended) out += ` ${writeParams(part.params, false)} ${writeExtensionCommon(part)}`;
    return `${out})`;
  }
  const text = isText(part);
  // A non-MIME part (no MIME-Version, not inside a multipart) without Content-Type: Dovecot
  // shows the defaults and ignores its other Content-* fields (BINARY still decodes it).
  const fields = part.defaultType && !part.isMime ? NO_CONTENT_FIELDS : part;
  let out = `(${nstring(part.type)} ${nstring(part.subtype)} ${writeParams(part.params, text)}`;
  out += ` ${nstringNoLf(fields.id)} ${nstringNoLf(fields.description)}`;
  out += ` ${fields.transferEncoding === undefined ? '"7bit"' : nstring(fields.transferEncoding)}`;
  out += ` ${part.bodySize.virtual}`;
  if (text) {
    out += ` ${part.bodySize.lines}`;
  } else if (isMessageRfc822(part)) {
    const inner = part.children[0];
    if (inner) {
      out += ` ${serializeEnvelope(buildEnvelope(buf, inner.header.fields))} ${writePart(buf, inner, extended)}`;
    } else {
      out += ` ${serializeEnvelope(undefined)} ${extended ? EMPTY_BODYSTRUCTURE : EMPTY_BODY}`;
    }
    out += ` ${part.bodySize.lines}`;
  }
  if (extended) out += ` ${nstringNoLf(fields.md5)} ${writeExtensionCommon(fields)}`;
  return `${out})`;
}

/** BODYSTRUCTURE of a part (the message root for the FETCH item), as a byte string. */
export function bodystructure(buf: Uint8Array, part: MimePart): string {
  return writePart(buf, part, true);
}

/** BODY (no extension data), as a byte string. */
export function body(buf: Uint8Array, part: MimePart): string {
  return writePart(buf, part, false);
}
