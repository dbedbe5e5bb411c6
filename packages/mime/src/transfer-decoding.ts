/**
 * Content-Transfer-Encoding decoders for BINARY[...] (RFC 3516) and for search text.
 * Strict mode (BINARY) rejects what Dovecot rejects with NO [PARSE]: a base64 character
 * outside the alphabet, base64 data that stops mid-quantum, a quoted-printable "=" not
 * followed by two hex digits or a line break. Lenient mode (search) decodes what it can.
 * Input is the CRLF form of the body; quoted-printable hard line breaks come out as CRLF
 * and whitespace at the end of an encoded line is dropped (RFC 2045 §6.7 rule 3).
 */
import { TransferDecodeError } from "./errors.js";

const B64 = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;

export function decodeBase64(input: Uint8Array, strict: boolean): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil((input.length * 3) / 4) + 3);
  let o = 0;
  let acc = 0;
  let n = 0;
  // padding: pads seen in the current quantum; done once a padded quantum is complete
  let pad = 0;
  let done = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === 0x0d || c === 0x0a || c === 0x20 || c === 0x09) continue;
    if (c === 0x3d) {
      if (done || n + pad < 2) {
        if (strict) throw new TransferDecodeError("invalid base64 padding");
        continue;
      }
      if (n + ++pad === 4) done = true;
      continue;
    }
    const v = B64[c]!;
    if (v < 0 || pad > 0 || done) {
      if (strict) throw new TransferDecodeError("invalid base64 data");
      continue;
    }
    acc = (acc << 6) | v;
    if (++n === 4) {
      out[o++] = (acc >> 16) & 0xff;
      out[o++] = (acc >> 8) & 0xff;
      out[o++] = acc & 0xff;
      acc = 0;
      n = 0;
    }
  }
  if (n === 1 && strict) throw new TransferDecodeError("base64 data ends prematurely");
  if (n === 2) out[o++] = (acc >> 4) & 0xff;
  else if (n === 3) {
    out[o++] = (acc >> 10) & 0xff;
    out[o++] = (acc >> 2) & 0xff;
  }
  if (strict && n !== 0 && n + pad !== 4) throw new TransferDecodeError("base64 data ends prematurely");
  return out.subarray(0, o);
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

export function decodeQuotedPrintable(input: Uint8Array, strict: boolean): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  let i = 0;
  const len = input.length;
  while (i < len) {
    // one line: [i, eol) plus its terminator
    let eol = input.indexOf(0x0a, i);
    const hasBreak = eol >= 0;
    if (!hasBreak) eol = len;
    let end = hasBreak && eol > i && input[eol - 1] === 0x0d ? eol - 1 : eol;
    while (end > i && (input[end - 1] === 0x20 || input[end - 1] === 0x09)) end--;
    // a CR that does not end a line has to be encoded (RFC 2045 §6.7)
    if (strict) {
      const cr = input.indexOf(0x0d, i);
      if (cr >= 0 && cr < end) throw new TransferDecodeError("invalid quoted-printable data (bare CR)");
    }
    let soft = false;
    for (let p = i; p < end; p++) {
      const c = input[p]!;
      if (c !== 0x3d) {
        out[o++] = c;
        continue;
      }
      if (p + 1 === end) {
        soft = true;
        break;
      }
      const h = hex(input[p + 1]!);
      const l = p + 2 < end ? hex(input[p + 2]!) : -1;
      if (h < 0 || l < 0) {
        if (strict) throw new TransferDecodeError("invalid quoted-printable data");
        out[o++] = c;
        continue;
      }
      out[o++] = (h << 4) | l;
      p += 2;
    }
    if (hasBreak && !soft) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
    i = eol + 1;
  }
  return out.subarray(0, o);
}
