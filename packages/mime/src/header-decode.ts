/**
 * Decoded header values for SEARCH and SORT: folded lines joined, raw 8-bit bytes read as
 * UTF-8 (or Latin-1 when they are not valid UTF-8), RFC 2047 encoded words decoded with
 * libmime (charsets through iconv-lite). Raw values elsewhere stay byte strings.
 */
import libmime from "libmime";
import { type Address, parseAddressList } from "./address.js";
import { fieldValue } from "./header-fields.js";
import type { MimePart, ParsedMessage } from "./part.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A byte string (one char per byte) as text: UTF-8 when valid, otherwise Latin-1. */
export function bytesToText(raw: string): string {
  if (!/[\x80-\xff]/.test(raw)) return raw;
  try {
    return utf8.decode(Buffer.from(raw, "latin1"));
  } catch {
    return raw;
  }
}

/** Unfolds and decodes one raw header value (a byte string). Never throws. */
export function decodeHeaderValue(raw: string): string {
  const unfolded = raw.replace(/\r?\n(?=[ \t])/g, "").replace(/[\r\n]/g, "");
  const text = bytesToText(unfolded);
  if (!text.includes("=?")) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** Decoded values of every field with this name in a part's header (the message header by default). */
export function headerValues(msg: ParsedMessage, name: string, part: MimePart = msg.root): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const f of part.header.fields) {
    if (f.name === lower && f.hasColon) out.push(decodeHeaderValue(fieldValue(msg.bytes, f)));
  }
  return out;
}

/** The first decoded value of a field, or undefined. */
export function headerValue(msg: ParsedMessage, name: string, part: MimePart = msg.root): string | undefined {
  return headerValues(msg, name, part)[0];
}

export interface DecodedAddress {
  /** Display name, decoded; undefined when there is none. */
  name: string | undefined;
  /** local@domain (as written, 8-bit read as UTF-8). */
  address: string;
  /** Set on group start markers: the group's name. */
  group?: string;
}

/**
 * Addresses of an address field (From, To, Cc, ...) with decoded display names, for SORT
 * (FROM/TO/CC, DISPLAYFROM/DISPLAYTO) and SEARCH. Group markers are left out; members stay.
 */
export function headerAddresses(msg: ParsedMessage, name: string, part: MimePart = msg.root): DecodedAddress[] {
  const lower = name.toLowerCase();
  const out: DecodedAddress[] = [];
  for (const f of part.header.fields) {
    if (f.name !== lower || !f.hasColon) continue;
    for (const a of parseAddressList(fieldValue(msg.bytes, f)) as Address[]) {
      if (a.host === undefined) continue; // group start / end marker
      out.push({
        name: a.name === undefined ? undefined : decodeHeaderValue(a.name),
        address: bytesToText(`${a.mailbox}@${a.host}`),
      });
    }
  }
  return out;
}
