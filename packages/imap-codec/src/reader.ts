import { ASTRING_CHAR, ATOM_CHAR, isDigit, LIST_CHAR, QUOTED_CHAR, SEQ_CHAR } from "./char-classes.js";
import type { Limits } from "./limits.js";
import { parseSequenceSet } from "./sequence-set.js";
import type { ImapValue, SequenceSet } from "./types/common.js";

/**
 * A literal inside a command or response being assembled. `data` is null when the bytes were
 * streamed to the caller instead of kept (APPEND messages, FETCH bodies).
 */
export interface LiteralPart {
  kind: "literal";
  data: Buffer | null;
  size: number;
  binary: boolean;
  /** Id of the streamed literal (matches the event that carried its bytes). */
  id: number;
}

/**
 * A command or response as assembled: text of its lines with literals between them. Invariant:
 * text parts sit at even indexes and literals at odd ones (each literal ends a line and the
 * next line's text follows it, possibly empty).
 */
export type Part = Buffer | LiteralPart;

/** Thrown by the grammar code; converted to a ParseError at the parser boundary. */
export class SyntaxFail extends Error {
  constructor(
    message: string,
    readonly code:
      | "SYNTAX"
      | "TOO_DEEP"
      | "TOO_MANY_ARGUMENTS"
      | "SEQUENCE_SET_TOO_LONG"
      | "UNKNOWN_COMMAND" = "SYNTAX",
  ) {
    super(message);
  }
}

const EMPTY = Buffer.alloc(0);
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A cursor over assembled parts with the primitives of the IMAP grammar (atom, quoted, literal,
 * astring, number, lists...). Literals are seen as string tokens at the point they were sent.
 */
export class Reader {
  private pi = 0;
  private buf: Buffer;
  pos = 0;
  private args = 0;
  private depth = 0;
  /**
   * How string bytes become text. "strict-utf8" (commands): invalid UTF-8 is a syntax error, so
   * no two different byte strings ever map to the same name. "utf8" (responses): invalid
   * sequences become U+FFFD, as servers do send raw 8-bit header text. "latin1": one char per
   * byte, lossless (`Buffer.from(s, "latin1")` gives the bytes back), used for SEARCH strings in
   * a CHARSET other than UTF-8/US-ASCII.
   */
  decoding: "strict-utf8" | "utf8" | "latin1";

  constructor(
    private readonly parts: Part[],
    private readonly limits: Limits,
    decoding: "strict-utf8" | "utf8" = "strict-utf8",
  ) {
    this.decoding = decoding;
    const first = parts[0];
    this.buf = first !== undefined && !isLiteral(first) ? first : EMPTY;
  }

  /** Current byte, or -1 at the end of a text part (a literal or the end follows). */
  peek(): number {
    return this.pos < this.buf.length ? this.buf[this.pos]! : -1;
  }

  peekAt(offset: number): number {
    const p = this.pos + offset;
    return p < this.buf.length ? this.buf[p]! : -1;
  }

  /** True when the next token is a literal. */
  atLiteral(): boolean {
    return this.pos >= this.buf.length && this.pi + 1 < this.parts.length;
  }

  /** The literal that comes next, if the cursor is right before one. */
  peekLiteral(): LiteralPart | undefined {
    return this.atLiteral() ? (this.parts[this.pi + 1] as LiteralPart) : undefined;
  }

  atEnd(): boolean {
    return this.pos >= this.buf.length && this.pi + 1 >= this.parts.length;
  }

  /** Text of the current part between two offsets (UTF-8). */
  sliceText(from: number, to: number): string {
    return this.buf.toString("utf8", from, to);
  }

  /** Everything after the cursor in the current text part, as latin1 text (resp-text). */
  restOfText(): string {
    const s = this.buf.toString("utf8", this.pos);
    this.pos = this.buf.length;
    return s;
  }

  fail(message: string): never {
    throw new SyntaxFail(message);
  }

  expect(byte: number, what: string): void {
    if (this.peek() !== byte) this.fail(`expected ${what}${this.context()}`);
    this.pos++;
  }

  sp(): void {
    if (this.peek() !== 0x20) this.fail(`expected a space${this.context()}`);
    this.pos++;
  }

  trySp(): boolean {
    if (this.peek() === 0x20) {
      this.pos++;
      return true;
    }
    return false;
  }

  tryByte(byte: number): boolean {
    if (this.peek() === byte) {
      this.pos++;
      return true;
    }
    return false;
  }

  end(): void {
    if (!this.atEnd()) this.fail(`unexpected data${this.context()}`);
  }

  private countArg(): void {
    if (++this.args > this.limits.maxArguments) {
      throw new SyntaxFail(`more than ${this.limits.maxArguments} arguments`, "TOO_MANY_ARGUMENTS");
    }
  }

  enterList(): void {
    if (++this.depth > this.limits.maxNesting) {
      throw new SyntaxFail(`lists nested deeper than ${this.limits.maxNesting}`, "TOO_DEEP");
    }
  }

  leaveList(): void {
    this.depth--;
  }

  private readClass(cls: Uint8Array): number {
    const start = this.pos;
    const buf = this.buf;
    let p = start;
    while (p < buf.length && cls[buf[p]!] === 1) p++;
    this.pos = p;
    return start;
  }

  /** 1*ATOM-CHAR as it was sent. */
  atom(what = "an atom"): string {
    const start = this.readClass(ATOM_CHAR);
    if (this.pos === start) this.fail(`expected ${what}${this.context()}`);
    this.countArg();
    return this.buf.toString("latin1", start, this.pos);
  }

  /** An atom folded to upper case (keywords, command names). */
  keyword(what = "a keyword"): string {
    return this.atom(what).toUpperCase();
  }

  /** Reads chars of a class (at least one). */
  chars(cls: Uint8Array, what: string): string {
    const start = this.readClass(cls);
    if (this.pos === start) this.fail(`expected ${what}${this.context()}`);
    this.countArg();
    return this.buf.toString("latin1", start, this.pos);
  }

  /** Upper-cased atom at the cursor without consuming it ("" if none). */
  peekKeyword(): string {
    const save = this.pos;
    const start = this.readClass(ATOM_CHAR);
    const s = this.buf.toString("latin1", start, this.pos).toUpperCase();
    this.pos = save;
    return s;
  }

  /** Consumes `word` (case-insensitive) if it is the whole next atom. */
  tryKeyword(word: string): boolean {
    const buf = this.buf;
    const n = word.length;
    if (this.pos + n > buf.length) return false;
    for (let i = 0; i < n; i++) {
      let c = buf[this.pos + i]!;
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c !== word.charCodeAt(i)) return false;
    }
    const after = this.pos + n < buf.length ? buf[this.pos + n]! : -1;
    if (after !== -1 && ATOM_CHAR[after] === 1) return false;
    this.pos += n;
    this.countArg();
    return true;
  }

  quoted(): string {
    return this.decode(this.quotedBytes());
  }

  /** String bytes to text by the current decoding rule. */
  decode(bytes: Buffer): string {
    if (this.decoding === "latin1") return bytes.toString("latin1");
    if (this.decoding === "utf8") return bytes.toString("utf8");
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! >= 0x80) {
        try {
          return STRICT_UTF8.decode(bytes);
        } catch {
          return this.fail("string is not valid UTF-8");
        }
      }
    }
    return bytes.toString("latin1");
  }

  /** `"..."` with `\\` and `\"` escapes; returns the unescaped bytes. */
  quotedBytes(): Buffer {
    this.expect(0x22, "a quoted string");
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    let escaped = false;
    for (;;) {
      if (p >= buf.length) this.fail("unterminated quoted string");
      const c = buf[p]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        const n = p + 1 < buf.length ? buf[p + 1]! : -1;
        if (n !== 0x22 && n !== 0x5c) this.fail('bad escape in quoted string (only \\\\ and \\" are allowed)');
        p += 2;
        continue;
      }
      if (QUOTED_CHAR[c] !== 1) this.fail("NUL, CR or LF inside a quoted string");
      p++;
    }
    this.pos = p + 1;
    this.countArg();
    if (!escaped) return buf.subarray(start, p);
    const out = Buffer.allocUnsafe(p - start);
    let o = 0;
    for (let i = start; i < p; i++) {
      let c = buf[i]!;
      if (c === 0x5c) c = buf[++i]!;
      out[o++] = c;
    }
    return out.subarray(0, o);
  }

  /** The next literal's part (its data is null if it was streamed). */
  literalPart(): LiteralPart {
    if (!this.atLiteral()) this.fail(`expected a literal${this.context()}`);
    const lit = this.parts[this.pi + 1] as LiteralPart;
    this.pi += 2;
    const next = this.parts[this.pi];
    this.buf = next !== undefined && !isLiteral(next) ? next : EMPTY;
    this.pos = 0;
    this.countArg();
    return lit;
  }

  /**
   * A literal's bytes. In commands NUL is refused unless sent as literal8 (`literal = ...
   * *CHAR8`); responses are read leniently ("utf8" decoding), as sloppy servers exist.
   */
  literal(): Buffer {
    const lit = this.literalPart();
    if (lit.data === null) this.fail("a streamed literal cannot be used here");
    if (this.decoding !== "utf8" && !lit.binary && lit.data.includes(0)) {
      this.fail("NUL byte in a literal (only literal8 may hold NUL)");
    }
    return lit.data;
  }

  /** string = quoted / literal */
  string(): string {
    const c = this.peek();
    if (c === 0x22) return this.quoted();
    if (this.atLiteral()) return this.decode(this.literal());
    return this.fail(`expected a string${this.context()}`);
  }

  stringBytes(): Buffer {
    const c = this.peek();
    if (c === 0x22) return this.quotedBytes();
    if (this.atLiteral()) return this.literal();
    return this.fail(`expected a string${this.context()}`);
  }

  /** astring = 1*ASTRING-CHAR / string */
  astring(what = "an astring"): string {
    const c = this.peek();
    if (c === 0x22 || this.atLiteral()) return this.string();
    return this.chars(ASTRING_CHAR, what);
  }

  /** nstring = string / NIL */
  nstring(): string | null {
    if (this.tryKeyword("NIL")) return null;
    return this.string();
  }

  /** mailbox = "INBOX" / astring; INBOX in any case is folded to "INBOX". */
  mailbox(): string {
    const name = this.astring("a mailbox name");
    return name.length === 5 && name.toUpperCase() === "INBOX" ? "INBOX" : name;
  }

  /** list-mailbox = 1*list-char / string */
  listMailbox(): string {
    const c = this.peek();
    if (c === 0x22 || this.atLiteral()) return this.string();
    return this.chars(LIST_CHAR, "a mailbox pattern");
  }

  /** number (up to 2^53-1; callers check narrower ranges). */
  number(what = "a number"): number {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    let v = 0;
    while (p < buf.length && isDigit(buf[p]!)) {
      v = v * 10 + (buf[p]! - 0x30);
      p++;
    }
    if (p === start) this.fail(`expected ${what}${this.context()}`);
    if (p - start > 15) this.fail(`${what} is too large`);
    this.pos = p;
    this.countArg();
    return v;
  }

  /** number within 32 bits (RFC 9051 `number`). */
  number32(what = "a number"): number {
    const v = this.number(what);
    if (v > 0xffffffff) this.fail(`${what} does not fit 32 bits`);
    return v;
  }

  nzNumber(what = "a non-zero number"): number {
    const v = this.number32(what);
    if (v === 0) this.fail(`${what} must not be zero`);
    return v;
  }

  /** mod-sequence-value: 1*DIGIT up to 2^63-1. */
  number64(what = "a mod-sequence"): bigint {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    while (p < buf.length && isDigit(buf[p]!)) p++;
    if (p === start) this.fail(`expected ${what}${this.context()}`);
    if (p - start > 19) this.fail(`${what} is too large`);
    const v = BigInt(buf.toString("latin1", start, p));
    if (v > 0x7fffffffffffffffn) this.fail(`${what} is too large`);
    this.pos = p;
    this.countArg();
    return v;
  }

  sequenceSet(): SequenceSet {
    const start = this.readClass(SEQ_CHAR);
    if (this.pos === start) this.fail(`expected a sequence set${this.context()}`);
    this.countArg();
    const parsed = parseSequenceSet(this.buf.toString("latin1", start, this.pos), this.limits.maxSequenceSetLength);
    if (typeof parsed === "string" && parsed !== "$") {
      throw new SyntaxFail(parsed, parsed.includes("ranges") ? "SEQUENCE_SET_TOO_LONG" : "SYNTAX");
    }
    return parsed;
  }

  /** flag = "\" atom / atom (and `\*` when allowed). */
  flag(allowWildcard = false): string {
    if (this.peek() === 0x5c) {
      this.pos++;
      if (allowWildcard && this.peek() === 0x2a) {
        this.pos++;
        this.countArg();
        return "\\*";
      }
      return `\\${this.atom("a flag")}`;
    }
    return this.atom("a flag");
  }

  /** "(" [item *(SP item)] ")" */
  list<T>(item: () => T, what = "a list"): T[] {
    this.expect(0x28, `(${what}`);
    this.enterList();
    const out: T[] = [];
    if (this.peek() !== 0x29) {
      out.push(item());
      while (this.trySp()) out.push(item());
    }
    this.expect(0x29, `) closing ${what}`);
    this.leaveList();
    return out;
  }

  /**
   * A list of generic values. A list may follow a list without a space: in a multipart
   * body the child bodies are written back to back (RFC 9051 body-type-mpart = 1*body SP
   * media-subtype), as Dovecot sends them.
   */
  private valueList(): ImapValue[] {
    this.expect(0x28, "(value list");
    this.enterList();
    const out: ImapValue[] = [];
    if (this.peek() !== 0x29) {
      out.push(this.value());
      for (;;) {
        if (this.trySp()) out.push(this.value());
        else if (this.peek() === 0x28 && Array.isArray(out[out.length - 1])) out.push(this.value());
        else break;
      }
    }
    this.expect(0x29, ") closing value list");
    this.leaveList();
    return out;
  }

  flagList(allowWildcard = false): string[] {
    return this.list(() => this.flag(allowWildcard), "flag list");
  }

  /** A generic value: NIL, number, string, atom or nested list (BODYSTRUCTURE, extension data). */
  value(): ImapValue {
    const c = this.peek();
    if (c === 0x28) return this.valueList();
    if (c === 0x22 || this.atLiteral()) {
      if (this.atLiteral()) {
        const lit = this.literal();
        return this.decode(lit);
      }
      return this.quoted();
    }
    if (isDigit(c)) {
      const save = this.pos;
      const start = this.readClass(ATOM_CHAR);
      const s = this.buf.toString("latin1", start, this.pos);
      if (/^\d{1,15}$/.test(s)) {
        this.countArg();
        return Number(s);
      }
      this.pos = save;
    }
    if (c === 0x5c) return this.flag(true);
    const s = this.chars(ASTRING_CHAR, "a value");
    return s.toUpperCase() === "NIL" ? null : s;
  }

  /** Text of the position for error messages. */
  context(): string {
    if (this.pos >= this.buf.length) return this.atLiteral() ? " before a literal" : " at end of line";
    const snippet = this.buf.toString("latin1", this.pos, Math.min(this.buf.length, this.pos + 16));
    return ` at "${snippet.replace(/[^\x20-\x7e]/g, "?")}"`;
  }
}

export function isLiteral(p: Part | undefined): p is LiteralPart {
  return p !== undefined && !(p instanceof Uint8Array);
}
