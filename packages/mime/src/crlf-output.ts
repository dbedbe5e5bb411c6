/**
 * Section output as IMAP sends it: byte ranges of the message (views, not copies) with
 * every bare LF turned into CRLF, so sizes and <partial> offsets are those of the CRLF
 * form (RFC 9051 wants CRLF lines; Dovecot presents stored bare-LF mail the same way).
 */

const CRLF = Buffer.from("\r\n");

export class ChunkList {
  readonly chunks: Buffer[] = [];
  size = 0;
  /**
   * @param replaceNul send NUL bytes as 0x80 (BODY[...] literals cannot carry NUL, RFC 9051
   *   §4.3; Dovecot replaces them so); BINARY keeps them.
   */
  constructor(private readonly replaceNul = false) {}

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.size += b.length;
  }

  /** Appends buf[start, end) with bare LFs turned into CRLF (and NULs replaced if asked). */
  pushRange(buf: Buffer, start: number, end: number): void {
    if (this.replaceNul) {
      const nul = buf.indexOf(0, start);
      if (nul >= 0 && nul < end) {
        // the only case that copies: a private copy with the NULs replaced
        const copy = Buffer.from(buf.subarray(start, end));
        for (let i = nul - start; i < copy.length; i++) if (copy[i] === 0) copy[i] = 0x80;
        this.pushLines(copy, 0, copy.length);
        return;
      }
    }
    this.pushLines(buf, start, end);
  }

  private pushLines(buf: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      const lf = buf.indexOf(0x0a, pos);
      if (lf < 0 || lf >= end) break;
      if (lf > start && buf[lf - 1] === 0x0d) {
        // proper CRLF (the CR is inside the range)
        this.push(buf.subarray(pos, lf + 1));
      } else {
        this.push(buf.subarray(pos, lf));
        this.push(CRLF);
      }
      pos = lf + 1;
    }
    this.push(buf.subarray(pos, end));
  }

  /** The bytes [offset, offset+length) of the output, as a new list of views. */
  slice(offset: number, length: number): ChunkList {
    const out = new ChunkList(this.replaceNul);
    let skip = offset;
    let left = length;
    for (const c of this.chunks) {
      if (left <= 0) break;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const take = c.subarray(skip, Math.min(c.length, skip + left));
      skip = 0;
      left -= take.length;
      out.push(take);
    }
    return out;
  }

  toBuffer(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
  }
}
