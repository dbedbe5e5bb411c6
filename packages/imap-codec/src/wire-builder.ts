import { ASTRING_CHAR, ATOM_CHAR, LIST_CHAR } from "./char-classes.js";
import { EncodeError } from "./errors.js";
import type { LiteralSource } from "./types/responses.js";

/** A point where a client must wait for the server's `+` before sending more. */
export interface WaitForContinuation {
  wait: "continuation";
}

/** Output of the encoders: bytes, literal bodies to stream, and (client side) continuation waits. */
export type WirePart = Buffer | LiteralSource | WaitForContinuation;

export interface WireOptions {
  /** Which side writes: the server never waits; the client waits before synchronizing literals. */
  side: "server" | "client";
  /** UTF8=ACCEPT / IMAP4rev2: 8-bit UTF-8 may go in quoted strings. Else non-ASCII becomes a literal. */
  utf8?: boolean;
  /** Client: the server advertised LITERAL+ (any literal may be non-synchronizing). */
  literalPlus?: boolean;
  /** Client: the server advertised LITERAL- (literals ≤ 4096 bytes may be non-synchronizing). */
  literalMinus?: boolean;
}

/** Strings longer than this are sent as literals even when they could be quoted. */
const MAX_QUOTED = 1024;
const LITERAL_MINUS_BOUND = 4096;

/**
 * Builds wire output. Text is gathered in a JS string and turned into bytes only when a literal
 * interrupts it or the output is finished, so encoding small responses allocates little.
 */
export class WireBuilder {
  private text = "";
  private readonly parts: WirePart[] = [];

  constructor(readonly options: WireOptions) {}

  raw(s: string): this {
    this.text += s;
    return this;
  }

  /** An atom as given; throws if it holds a character that is not ATOM-CHAR. */
  atom(s: string): this {
    if (!isAtom(s)) throw new EncodeError(`"${s.slice(0, 40)}" is not a valid atom`);
    this.text += s;
    return this;
  }

  /** A command tag: ASTRING-CHARs except "+". */
  tag(s: string): this {
    if (!isAstringAtom(s) || s.includes("+")) throw new EncodeError(`"${s.slice(0, 40)}" is not a valid tag`);
    this.text += s;
    return this;
  }

  /** A flag: `\Seen`, `$Forwarded`, `\*`. */
  flag(s: string): this {
    if (s === "\\*" || (s.startsWith("\\") && isAtom(s.slice(1))) || isAtom(s)) {
      this.text += s;
      return this;
    }
    throw new EncodeError(`"${s.slice(0, 40)}" is not a valid flag`);
  }

  number(n: number | bigint): this {
    if (typeof n === "number" && (!Number.isInteger(n) || n < 0)) throw new EncodeError(`invalid number ${n}`);
    if (typeof n === "bigint" && n < 0n) throw new EncodeError(`invalid number ${n}`);
    this.text += String(n);
    return this;
  }

  /** astring: atom when possible, else quoted, else literal. */
  astring(s: string | Buffer): this {
    if (typeof s === "string" && s.length > 0 && isAstringAtom(s) && s.toUpperCase() !== "NIL") {
      this.text += s;
      return this;
    }
    return this.string(s);
  }

  /** list-mailbox: like astring but `%` and `*` may stay unquoted. */
  listMailbox(s: string): this {
    if (s.length > 0 && isClass(s, LIST_CHAR) && s.toUpperCase() !== "NIL") {
      this.text += s;
      return this;
    }
    return this.string(s);
  }

  nstring(s: string | Buffer | null): this {
    if (s === null) {
      this.text += "NIL";
      return this;
    }
    return this.string(s);
  }

  /** string: quoted when it fits the quoted grammar, else a literal. NUL cannot be sent (CHAR8). */
  string(s: string | Buffer): this {
    if (typeof s === "string" ? s.includes("\0") : s.includes(0)) {
      throw new EncodeError("an IMAP string cannot hold a NUL byte");
    }
    const quoted = typeof s === "string" ? quoteIfPossible(s, this.options.utf8 ?? false) : null;
    if (quoted !== null) {
      this.text += quoted;
      return this;
    }
    return this.literal(typeof s === "string" ? Buffer.from(s, "utf8") : s);
  }

  /** A literal with its bytes in hand. */
  literal(data: Buffer, binary = false): this {
    this.literalHeader(data.length, binary);
    this.parts.push(data);
    return this;
  }

  /** Bytes already in wire form, copied as they are (literals inside them included). */
  preEncoded(data: Buffer): this {
    this.flushText();
    this.parts.push(data);
    return this;
  }

  /** A literal whose bytes come from a stream of known length. */
  streamedLiteral(source: LiteralSource, binary = false): this {
    this.literalHeader(source.size, binary);
    this.parts.push(source);
    return this;
  }

  private literalHeader(size: number, binary: boolean): void {
    const prefix = binary ? "~" : "";
    if (this.options.side === "server") {
      this.text += `${prefix}{${size}}\r\n`;
      this.flushText();
      return;
    }
    const nonSync =
      this.options.literalPlus === true || (this.options.literalMinus === true && size <= LITERAL_MINUS_BOUND);
    this.text += nonSync ? `${prefix}{${size}+}\r\n` : `${prefix}{${size}}\r\n`;
    this.flushText();
    if (!nonSync) this.parts.push({ wait: "continuation" });
  }

  private flushText(): void {
    if (this.text.length > 0) {
      this.parts.push(Buffer.from(this.text, "utf8"));
      this.text = "";
    }
  }

  /** Ends the line with CRLF and returns the parts. */
  finish(): WirePart[] {
    this.text += "\r\n";
    this.flushText();
    return this.parts;
  }
}

function isClass(s: string, cls: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || cls[c] !== 1) return false;
  }
  return true;
}

export function isAtom(s: string): boolean {
  return s.length > 0 && isClass(s, ATOM_CHAR);
}

export function isAstringAtom(s: string): boolean {
  return s.length > 0 && isClass(s, ASTRING_CHAR);
}

/** `"..."` with escapes, or null when the string needs a literal (CR, LF, NUL, 8-bit without UTF-8, long). */
export function quoteIfPossible(s: string, utf8: boolean): string | null {
  if (s.length > MAX_QUOTED) return null;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x00 || c === 0x0a || c === 0x0d) return null;
    if (c > 0x7f && !utf8) return null;
    if (c === 0x22 || c === 0x5c) out += "\\";
    out += s[i];
  }
  return `${out}"`;
}

/** Concatenates parts that are all buffers (throws when a streamed literal is among them). */
export function partsToBuffer(parts: WirePart[]): Buffer {
  const bufs: Buffer[] = [];
  for (const p of parts) {
    if (Buffer.isBuffer(p)) bufs.push(p);
    else if ("wait" in p) continue;
    else throw new EncodeError("output holds a streamed literal; use writeResponse() or the parts");
  }
  return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
}
