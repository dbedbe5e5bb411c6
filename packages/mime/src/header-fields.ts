/**
 * A header block as offsets into the message: one entry per field (its first line plus
 * continuation lines). Nothing is copied but the field name. Lines end at LF (CRLF or bare
 * LF); a line without a colon is kept as a field with no value (Dovecot does the same, so it
 * shows in HEADER.FIELDS.NOT); the block ends at an empty line, at a MIME boundary line of
 * an enclosing multipart, or at the end of the data.
 */

export interface HeaderField {
  /** Lower-cased field name (trailing whitespace before the colon removed). */
  name: string;
  /** Offset of the field's first byte. */
  start: number;
  /** Offset just past the field's last line terminator (or end of data). */
  end: number;
  /** Offset of the value: after the colon and the whitespace that follows it. */
  valueStart: number;
  /** Offset of the end of the value: `end` without the last line terminator. */
  valueEnd: number;
  /** False for a line that has no colon. */
  hasColon: boolean;
}

export interface HeaderBlock {
  start: number;
  /** Offset just past the header (after the empty line when there is one). */
  end: number;
  /** True when the header ends with an empty line. */
  hasEoh: boolean;
  /**
   * Set when a boundary line ended the header: the offset of that line. `end` is then
   * before the line break that precedes it.
   */
  stoppedAt?: number;
  fields: HeaderField[];
}

/** Start of the line terminator that ends at `eol` (the LF), for a line starting at `lineStart`. */
function terminatorStart(buf: Uint8Array, lineStart: number, eol: number): number {
  return eol > lineStart && buf[eol - 1] === 0x0d ? eol - 1 : eol;
}

/**
 * Parses the header starting at `start`. `isBoundary(pos)` says whether the line at `pos`
 * is a boundary line of an enclosing multipart: such a line ends the header (Dovecot checks
 * for boundaries before every header line).
 */
export function parseHeaderBlock(
  buf: Uint8Array,
  start: number,
  end: number,
  isBoundary: ((pos: number) => boolean) | undefined,
): HeaderBlock {
  const fields: HeaderField[] = [];
  let pos = start;
  let current: HeaderField | undefined;
  while (pos < end) {
    if (isBoundary && buf[pos] === 0x2d && isBoundary(pos)) {
      // the line break before a boundary line belongs to the boundary (Dovecot leaves it
      // out of the header too, though the enclosing part's body still counts it)
      let end = pos;
      if (end > start && buf[end - 1] === 0x0a) {
        end--;
        if (end > start && buf[end - 1] === 0x0d) end--;
      }
      return { start, end, hasEoh: false, fields, stoppedAt: pos };
    }
    let eol = buf.indexOf(0x0a, pos);
    if (eol < 0 || eol >= end) eol = end;
    const lineEnd = eol < end ? eol + 1 : end;
    const contentEnd = eol < end ? terminatorStart(buf, pos, eol) : end;
    if (contentEnd === pos && eol < end) {
      // the empty line that ends the header
      return { start, end: lineEnd, hasEoh: true, fields };
    }
    const first = buf[pos];
    if ((first === 0x20 || first === 0x09) && current) {
      current.end = lineEnd;
      current.valueEnd = contentEnd;
    } else {
      let colon = -1;
      for (let i = pos; i < contentEnd; i++) {
        if (buf[i] === 0x3a) {
          colon = i;
          break;
        }
      }
      let nameEnd = colon >= 0 ? colon : contentEnd;
      while (nameEnd > pos && (buf[nameEnd - 1] === 0x20 || buf[nameEnd - 1] === 0x09)) nameEnd--;
      let valueStart = colon >= 0 ? colon + 1 : contentEnd;
      while (valueStart < contentEnd && (buf[valueStart] === 0x20 || buf[valueStart] === 0x09)) valueStart++;
      current = {
        name: latin1(buf, pos, nameEnd).toLowerCase(),
        start: pos,
        end: lineEnd,
        valueStart,
        valueEnd: contentEnd,
        hasColon: colon >= 0,
      };
      fields.push(current);
    }
    pos = lineEnd;
  }
  return { start, end: pos, hasEoh: false, fields };
}

/** Bytes as a byte string (one char per byte). */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  if (end <= start) return "";
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.toString("latin1", start, end);
}

/**
 * The raw value of a field (continuation line breaks kept), as a byte string. A NUL byte
 * becomes U+FFFD in UTF-8 (EF BF BD), as Dovecot stores header strings.
 */
export function fieldValue(buf: Uint8Array, f: HeaderField): string {
  const v = latin1(buf, f.valueStart, f.valueEnd);
  return v.includes("\0") ? v.replaceAll("\0", "\xef\xbf\xbd") : v;
}

/** First field with this (lower-case) name. */
export function firstField(fields: readonly HeaderField[], name: string): HeaderField | undefined {
  for (const f of fields) if (f.name === name && f.hasColon) return f;
  return undefined;
}

/** Last field with this (lower-case) name. */
export function lastField(fields: readonly HeaderField[], name: string): HeaderField | undefined {
  for (let i = fields.length - 1; i >= 0; i--) {
    const f = fields[i]!;
    if (f.name === name && f.hasColon) return f;
  }
  return undefined;
}
