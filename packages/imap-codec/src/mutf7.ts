import { MailboxNameError } from "./errors.js";

/**
 * Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3): printable US-ASCII stands for
 * itself ("&" is written "&-"); any other run of characters is UTF-16BE in base64 with ","
 * for "/", no padding, between "&" and "-".
 */

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

function isDirect(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

export function encodeMailboxUtf7(name: string): string {
  let out = "";
  let i = 0;
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (c === 0x26) {
      out += "&-";
      i++;
    } else if (isDirect(c)) {
      out += name[i];
      i++;
    } else {
      let j = i;
      while (j < name.length && !isDirect(name.charCodeAt(j))) j++;
      out += `&${encodeRun(name.slice(i, j))}-`;
      i = j;
    }
  }
  return out;
}

function encodeRun(run: string): string {
  const bytes = Buffer.alloc(run.length * 2);
  for (let k = 0; k < run.length; k++) bytes.writeUInt16BE(run.charCodeAt(k), k * 2);
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += B64[(acc >> bits) & 0x3f];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B64[(acc << (6 - bits)) & 0x3f];
  return out;
}

/** Decodes a modified UTF-7 name, validating it strictly; throws MailboxNameError. */
export function decodeMailboxUtf7(wire: string): string {
  let out = "";
  let i = 0;
  while (i < wire.length) {
    const c = wire.charCodeAt(i);
    if (!isDirect(c)) throw new MailboxNameError(`character U+${c.toString(16).padStart(4, "0")} must be encoded`);
    if (c !== 0x26) {
      out += wire[i];
      i++;
      continue;
    }
    const end = wire.indexOf("-", i + 1);
    if (end < 0) throw new MailboxNameError('unterminated "&" shift sequence');
    if (end === i + 1) {
      out += "&";
      i = end + 1;
      continue;
    }
    out += decodeRun(wire.slice(i + 1, end));
    i = end + 1;
  }
  return out;
}

function decodeRun(run: string): string {
  let acc = 0;
  let bits = 0;
  const units: number[] = [];
  let byteCount = 0;
  let hi = 0;
  for (let k = 0; k < run.length; k++) {
    const code = run.charCodeAt(k);
    const v = code < 128 ? B64_INDEX[code]! : -1;
    if (v < 0) throw new MailboxNameError(`"${run[k]}" is not modified base64`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const byte = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
      if (byteCount % 2 === 0) hi = byte;
      else units.push((hi << 8) | byte);
      byteCount++;
    }
  }
  if (byteCount % 2 !== 0 || bits >= 6 || acc !== 0) throw new MailboxNameError("bad padding in modified base64");
  let s = "";
  for (let k = 0; k < units.length; k++) {
    const u = units[k]!;
    if (u >= 0xd800 && u <= 0xdbff) {
      const lo = units[k + 1];
      if (lo === undefined || lo < 0xdc00 || lo > 0xdfff) throw new MailboxNameError("unpaired UTF-16 surrogate");
      s += String.fromCharCode(u, lo);
      k++;
      continue;
    }
    if (u >= 0xdc00 && u <= 0xdfff) throw new MailboxNameError("unpaired UTF-16 surrogate");
    if (isDirect(u)) throw new MailboxNameError("printable ASCII must not be base64-encoded");
    s += String.fromCharCode(u);
  }
  return s;
}

/** True when `wire` is valid modified UTF-7. */
export function isValidMailboxUtf7(wire: string): boolean {
  try {
    decodeMailboxUtf7(wire);
    return true;
  } catch {
    return false;
  }
}

/**
 * UTF8=ACCEPT (RFC 6855, RFC 9051 section 5.1): a UTF-8 mailbox name must be Net-Unicode
 * (RFC 5198): no control characters, NFC-normalised, no lone surrogates.
 */
export function validateUtf8MailboxName(name: string): void {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      throw new MailboxNameError(`control character U+${c.toString(16).padStart(4, "0")} in mailbox name`);
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const lo = name.charCodeAt(i + 1);
      if (!(lo >= 0xdc00 && lo <= 0xdfff)) throw new MailboxNameError("unpaired surrogate in mailbox name");
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new MailboxNameError("unpaired surrogate in mailbox name");
    }
  }
  if (name.normalize("NFC") !== name) throw new MailboxNameError("mailbox name is not NFC-normalised");
}

/** A mailbox name as the client sent it → Unicode, by the rules in force on the connection. */
export function mailboxNameFromWire(wire: string, utf8Enabled: boolean): string {
  if (utf8Enabled) {
    validateUtf8MailboxName(wire);
    return wire;
  }
  return decodeMailboxUtf7(wire);
}

/** A Unicode mailbox name → its wire form under the rules in force on the connection. */
export function mailboxNameToWire(name: string, utf8Enabled: boolean): string {
  if (utf8Enabled) {
    validateUtf8MailboxName(name);
    return name;
  }
  return encodeMailboxUtf7(name);
}
