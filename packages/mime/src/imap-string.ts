/**
 * IMAP string writers with Dovecot's exact choices, over byte strings (latin1):
 *
 * - `nstring`: NIL, a quoted string (with `\"` and `\\` escapes, at most 4 of them), or a
 *   literal when the value has CR, LF, an 8-bit byte or a fifth quoted-special.
 * - `nstringNoLf`: the same after dropping CR and LF (unfolding a header value; a lone CR
 *   followed by a non-space becomes a space).
 * - `stringForHumans` (ENVELOPE subject and address names): whitespace runs become one
 *   space, leading and trailing whitespace go, NUL becomes 0x80; quoted if nothing had to
 *   change and nothing needs escaping, otherwise a literal.
 */

function literal(s: string): string {
  return `{${s.length}}\r\n${s}`;
}

export function nstring(s: string | undefined): string {
  if (s === undefined) return "NIL";
  let escapes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) {
      if (escapes++ < 4) continue;
      return literal(s);
    }
    if (c === 0x0d || c === 0x0a || c >= 0x80) return literal(s);
  }
  return `"${s.replace(/["\\]/g, "\\$&")}"`;
}

export function nstringNoLf(s: string | undefined): string {
  if (s === undefined) return "NIL";
  // CR and LF go; where they are not followed by whitespace (a lone CR inside a line),
  // a space keeps the words apart
  return nstring(
    s.includes("\r") || s.includes("\n") ? s.replace(/[\r\n]+(?=[^\r\n \t])/g, " ").replace(/[\r\n]+/g, "") : s,
  );
}

export function stringForHumans(s: string): string {
  let modify = false;
  let lastLwsp = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
      if (c !== 0x20 || lastLwsp) modify = true;
      lastLwsp = true;
    } else {
      if (c === 0 || c === 0x22 || c === 0x5c || c >= 0x80) modify = true;
      lastLwsp = false;
    }
  }
  if (lastLwsp && s.length > 0) modify = true;
  if (!modify) return `"${s}"`;
  let out = "";
  lastLwsp = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
      if (!lastLwsp) out += " ";
      lastLwsp = true;
    } else {
      out += c === 0 ? "\x80" : s[i];
      lastLwsp = false;
    }
  }
  if (out.endsWith(" ")) out = out.slice(0, -1);
  if (out.length === 0) return '""';
  return literal(out);
}

export function nstringForHumans(s: string | undefined): string {
  return s === undefined ? "NIL" : stringForHumans(s);
}
