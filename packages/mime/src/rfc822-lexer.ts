/**
 * An RFC 5322 / RFC 2045 lexer over a byte string (a JS string whose chars are bytes,
 * latin1). It mirrors the leniency of Dovecot's lib-mail rfc822-parser so that structure
 * output matches Dovecot's: 8-bit bytes count as atom/token characters, comments nest,
 * and CR/LF inside quoted strings are dropped (unfolding).
 */

/** MIME tspecials (RFC 2045 §5.1): these end a token. */
const TSPECIALS = '()<>@,;:\\"/[]?=';
/** RFC 5322 specials: these end an atom. */
const SPECIALS = '()<>[]:;@\\,."';

const tokenTable = new Uint8Array(256);
const atomTable = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const printable = c > 0x20 && c !== 0x7f;
  const ch = String.fromCharCode(c);
  tokenTable[c] = printable && !TSPECIALS.includes(ch) ? 1 : 0;
  atomTable[c] = printable && !SPECIALS.includes(ch) ? 1 : 0;
}

export function isTokenChar(c: number): boolean {
  return c < 256 && tokenTable[c] === 1;
}
export function isAtomChar(c: number): boolean {
  return c < 256 && atomTable[c] === 1;
}

export class Rfc822Lexer {
  pos = 0;
  /** Text of the last comment skipped (Dovecot uses it as an address's name). */
  lastComment = "";
  /** Set when a comment was not terminated: the rest of the input is unusable. */
  broken = false;
  constructor(readonly data: string) {}

  get atEnd(): boolean {
    return this.pos >= this.data.length;
  }
  peek(): number {
    return this.pos < this.data.length ? this.data.charCodeAt(this.pos) : -1;
  }

  /**
   * Skips whitespace, line breaks and (nested) comments. Returns false at end of input,
   * true when more data follows (Dovecot's rfc822_skip_lwsp returning 0 / 1).
   */
  skipLwsp(): boolean {
    const d = this.data;
    while (this.pos < d.length) {
      const c = d.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
        this.pos++;
      } else if (c === 0x28) {
        if (!this.skipComment()) return false;
      } else {
        return true;
      }
    }
    return false;
  }

  private skipComment(): boolean {
    const d = this.data;
    let level = 1;
    let text = "";
    this.pos++;
    while (this.pos < d.length) {
      const c = d.charCodeAt(this.pos);
      if (c === 0x5c) {
        this.pos++;
        if (this.pos < d.length) text += d[this.pos];
      } else if (c === 0x28) {
        level++;
        text += "(";
      } else if (c === 0x29) {
        if (--level === 0) {
          this.pos++;
          this.lastComment = text;
          return true;
        }
        text += ")";
      } else if (c !== 0x0d && c !== 0x0a) {
        text += d[this.pos];
      }
      this.pos++;
    }
    // unterminated comment swallows the rest
    this.broken = true;
    return false;
  }

  /** A MIME token (possibly empty); whitespace and comments after it are skipped. */
  mimeToken(): string {
    const d = this.data;
    const start = this.pos;
    while (this.pos < d.length && isTokenChar(d.charCodeAt(this.pos))) this.pos++;
    const tok = d.slice(start, this.pos);
    this.skipLwsp();
    return tok;
  }

  /** An atom (possibly empty); whitespace and comments after it are skipped. */
  atom(): string {
    const d = this.data;
    const start = this.pos;
    while (this.pos < d.length && isAtomChar(d.charCodeAt(this.pos))) this.pos++;
    const a = d.slice(start, this.pos);
    this.skipLwsp();
    return a;
  }

  /**
   * A quoted string starting at the current `"`; returns its unescaped content, or
   * undefined if it is not terminated (the position is then at the end).
   */
  quotedString(): string | undefined {
    const d = this.data;
    let out = "";
    this.pos++;
    let runStart = this.pos;
    while (this.pos < d.length) {
      const c = d.charCodeAt(this.pos);
      if (c === 0x22) {
        out += d.slice(runStart, this.pos);
        this.pos++;
        this.skipLwsp();
        return out;
      }
      if (c === 0x5c) {
        out += d.slice(runStart, this.pos);
        this.pos++;
        if (this.pos >= d.length) break;
        out += d[this.pos];
        this.pos++;
        runStart = this.pos;
        continue;
      }
      if (c === 0x0d || c === 0x0a) {
        out += d.slice(runStart, this.pos);
        this.pos++;
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
    this.pos = d.length;
    return undefined;
  }
}
