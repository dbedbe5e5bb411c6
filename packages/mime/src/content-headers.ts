/**
 * The MIME header fields that shape BODYSTRUCTURE: Content-Type, -Transfer-Encoding,
 * -Disposition, -Language (parsed) and -ID, -Description, -MD5, -Location (kept raw).
 * Parsing follows Dovecot's lib-mail so the output matches it: a Content-Type that does
 * not parse as `type/subtype` (or a lone `type`) becomes an empty type and subtype with
 * no parameters; an unterminated comment breaks whatever it is in.
 */
import { type MimeParam, parseParams } from "./params.js";
import { Rfc822Lexer } from "./rfc822-lexer.js";

export interface ContentType {
  /** As written (case kept); "" when the header is broken. */
  type: string;
  subtype: string;
  params: MimeParam[];
}

const BROKEN: ContentType = { type: "", subtype: "", params: [] };

export function parseContentType(value: string): ContentType {
  const lx = new Rfc822Lexer(value);
  if (!lx.skipLwsp()) return { ...BROKEN };
  const type = lx.mimeToken();
  if (type === "") return { ...BROKEN };
  // a lone type at the end of the field (or before an unterminated comment) is kept with
  // an empty subtype, as in Dovecot
  if (lx.atEnd || lx.broken) return { type, subtype: "", params: [] };
  if (lx.peek() !== 0x2f) return { ...BROKEN };
  lx.pos++;
  if (!lx.skipLwsp()) return { ...BROKEN };
  const subtype = lx.mimeToken();
  // anything but parameters after type/subtype makes the whole field broken
  if (lx.broken || subtype === "" || (!lx.atEnd && lx.peek() !== 0x3b)) return { ...BROKEN };
  return { type, subtype, params: parseParams(lx) };
}

/** The encoding token, or undefined when the value is not exactly one token. */
export function parseTransferEncoding(value: string): string | undefined {
  const lx = new Rfc822Lexer(value);
  lx.skipLwsp();
  const tok = lx.mimeToken();
  if (!lx.atEnd || lx.broken || tok === "") return undefined;
  return tok;
}

export interface Disposition {
  type: string;
  params: MimeParam[];
}

/** Any Content-Disposition field gives a disposition, even with an empty type (as in Dovecot). */
export function parseDisposition(value: string): Disposition {
  const lx = new Rfc822Lexer(value);
  lx.skipLwsp();
  const type = lx.mimeToken();
  return { type, params: parseParams(lx) };
}

/** Content-Language: a comma-separated list of language tags. */
export function parseLanguage(value: string): string[] | undefined {
  const lx = new Rfc822Lexer(value);
  lx.skipLwsp();
  const out: string[] = [];
  for (;;) {
    const tag = lx.atom();
    if (tag === "") break;
    out.push(tag);
    if (lx.peek() !== 0x2c) break;
    lx.pos++;
    lx.skipLwsp();
  }
  return out.length > 0 ? out : undefined;
}
