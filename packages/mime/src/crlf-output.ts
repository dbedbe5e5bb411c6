/**
 * Section output as IMAP sends it: byte ranges of the message (views, not copies) with
 * every bare LF turned into CRLF, so sizes and <partial> offsets are those of the CRLF
 * form (RFC 9051 wants CRLF lines; Dovecot presents stored bare-LF mail the same way).
 */

const CRLF = Buffer.from("\r\n");

export class ChunkList {
  readonly chunks: Buffer[] = [];
  size = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.size += b.length;
  }

  /** Appends buf[start, end) with bare LFs turned into CRLF. */
  pushRange(buf: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      const lf = buf.indexOf(0x0a, pos);
      if (lf < 0 || lf >= end) break;
      if (lf > 0 && buf[lf - 1] === 0x0d && lf - 1 >= start) {
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
    const out = new ChunkList();
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
