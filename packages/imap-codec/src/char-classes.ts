/**
 * Byte classes of the IMAP ABNF (RFC 9051 section 9) as lookup tables, so hot loops test one
 * array element per byte.
 */

function table(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = pred(c) ? 1 : 0;
  return t;
}

const ATOM_SPECIALS = new Set([0x28, 0x29, 0x7b, 0x20, 0x25, 0x2a, 0x22, 0x5c, 0x5d]);

/** ATOM-CHAR: any 7-bit CHAR except atom-specials ( ) { SP CTL % * " \ ] */
export const ATOM_CHAR = table((c) => c > 0x1f && c < 0x7f && !ATOM_SPECIALS.has(c));

/** ASTRING-CHAR: ATOM-CHAR or resp-specials "]". */
export const ASTRING_CHAR = table((c) => ATOM_CHAR[c] === 1 || c === 0x5d);

/** list-char: ATOM-CHAR, list-wildcards % * and resp-specials ]. */
export const LIST_CHAR = table((c) => ASTRING_CHAR[c] === 1 || c === 0x25 || c === 0x2a);

/** tag: 1*<any ASTRING-CHAR except "+">. */
export const TAG_CHAR = table((c) => ASTRING_CHAR[c] === 1 && c !== 0x2b);

/** Characters of a sequence set: digits : , * $ */
export const SEQ_CHAR = table((c) => (c >= 0x30 && c <= 0x39) || c === 0x3a || c === 0x2c || c === 0x2a || c === 0x24);

/** Bytes allowed inside a quoted string (TEXT-CHAR, 8-bit allowed for UTF8=ACCEPT): not NUL, CR, LF. */
export const QUOTED_CHAR = table((c) => c !== 0x00 && c !== 0x0a && c !== 0x0d);

/** DIGIT */
export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
