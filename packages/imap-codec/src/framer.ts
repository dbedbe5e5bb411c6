import { ParseError } from "./errors.js";

/** A `{n}`, `{n+}` or `~{n}` announcement that ended a line. */
export interface LiteralMarker {
  size: number;
  /** `{n}`: the peer waits for a continuation request before sending the bytes. */
  sync: boolean;
  /** `~{n}` (literal8, RFC 3516). */
  binary: boolean;
}

export type FrameEvent =
  /** A complete line without its CRLF; when it ended in a literal marker, the marker is cut off. */
  | { type: "line"; text: Buffer; literal: LiteralMarker | null }
  /** Bytes of the current literal; `last` is set on the piece that completes it. */
  | { type: "literal"; chunk: Buffer; last: boolean };

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/**
 * Byte-level framing shared by both directions: splits input into lines and literal bytes.
 *
 * Invariants: it holds at most the current line (≤ maxLineLength, else a fatal error) plus the
 * unconsumed input chunks the owner has pushed but not yet pulled (the owner bounds those);
 * literal bytes are handed out as zero-copy slices of the pushed chunks, never gathered.
 *
 * After a line with a literal marker the framer waits in `literal-pending` until the owner calls
 * `beginLiteral()` (the bytes follow) or `cancelLiteral()` (a rejected synchronizing literal:
 * the peer will not send them, the next byte starts a new line).
 */
export class Framer {
  private queue: Buffer[] = [];
  private queueOffset = 0;
  private queued = 0;
  private partial: Buffer[] = [];
  private partialLength = 0;
  private literalRemaining = 0;
  private mode: "line" | "literal-pending" | "literal" = "line";

  constructor(private readonly maxLineLength: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
  }

  /** Bytes pushed but not yet consumed (the owner's back-pressure and hold bound). */
  get bufferedBytes(): number {
    return this.queued + this.partialLength;
  }

  /** Bytes of the current, unfinished line. */
  get pendingLineBytes(): number {
    return this.partialLength;
  }

  get state(): "line" | "literal-pending" | "literal" {
    return this.mode;
  }

  get literalBytesLeft(): number {
    return this.literalRemaining;
  }

  /** Drops everything buffered (after a fatal error nothing more is parsed). */
  clear(): void {
    this.queue = [];
    this.queueOffset = 0;
    this.queued = 0;
    this.partial = [];
    this.partialLength = 0;
  }

  /**
   * Fast path for literal bodies: when a literal is being read and nothing is queued, the
   * owner may take the literal's part of a fresh chunk directly (no queueing, no event object).
   * Returns how many bytes of `chunk` belong to the literal (0 when the path does not apply);
   * the owner pushes the rest, if any, normally.
   */
  takeLiteralDirect(chunk: Buffer): number {
    if (this.mode !== "literal" || this.queue.length > 0 || this.literalRemaining === 0) return 0;
    const take = Math.min(chunk.length, this.literalRemaining);
    this.literalRemaining -= take;
    if (this.literalRemaining === 0) this.mode = "line";
    return take;
  }

  beginLiteral(size: number): void {
    this.mode = "literal";
    this.literalRemaining = size;
  }

  cancelLiteral(): void {
    this.mode = "line";
    this.literalRemaining = 0;
  }

  /**
   * The next event from buffered input, or null when more input is needed (or a literal
   * decision is pending). Throws a fatal ParseError for an over-long line.
   */
  next(): FrameEvent | null {
    if (this.mode === "literal-pending") return null;
    if (this.mode === "literal") return this.nextLiteral();
    while (this.queue.length > 0) {
      const chunk = this.queue[0]!;
      const start = this.queueOffset;
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        const piece = chunk.subarray(start);
        this.dropHead();
        this.partialLength += piece.length;
        if (this.partialLength > this.maxLineLength + 1) throw this.tooLong();
        this.partial.push(piece);
        continue;
      }
      const piece = chunk.subarray(start, lf);
      this.consume(lf + 1 - start);
      let line: Buffer;
      if (this.partial.length === 0) {
        line = piece;
      } else {
        this.partial.push(piece);
        line = Buffer.concat(this.partial, this.partialLength + piece.length);
        this.partial = [];
        this.partialLength = 0;
      }
      let end = line.length;
      if (end > 0 && line[end - 1] === CR) end--;
      if (end > this.maxLineLength) throw this.tooLong();
      return this.finishLine(line.subarray(0, end));
    }
    return null;
  }

  private finishLine(line: Buffer): FrameEvent {
    const marker = findLiteralMarker(line);
    if (marker === null) return { type: "line", text: line, literal: null };
    this.mode = "literal-pending";
    return { type: "line", text: line.subarray(0, marker.start), literal: marker.literal };
  }

  private nextLiteral(): FrameEvent | null {
    if (this.literalRemaining === 0) {
      this.mode = "line";
      return { type: "literal", chunk: EMPTY, last: true };
    }
    if (this.queue.length === 0) return null;
    const chunk = this.queue[0]!;
    const available = chunk.length - this.queueOffset;
    const take = Math.min(available, this.literalRemaining);
    const piece = chunk.subarray(this.queueOffset, this.queueOffset + take);
    this.consume(take);
    this.literalRemaining -= take;
    const last = this.literalRemaining === 0;
    if (last) this.mode = "line";
    return { type: "literal", chunk: piece, last };
  }

  private consume(n: number): void {
    this.queueOffset += n;
    this.queued -= n;
    if (this.queueOffset >= this.queue[0]!.length) this.dropHead();
  }

  private dropHead(): void {
    const head = this.queue.shift()!;
    this.queued -= head.length - this.queueOffset;
    this.queueOffset = 0;
  }

  private tooLong(): ParseError {
    return new ParseError(
      "LINE_TOO_LONG",
      `line longer than ${this.maxLineLength} bytes; the connection cannot be resynchronised`,
      false,
    );
  }
}

/** Largest literal size this codec will even consider (the 2^53 safety bound of a JS number). */
const MAX_LITERAL_DIGITS = 15;

/**
 * Finds a literal announcement at the very end of a line: `{digits}`, `{digits+}`, with an
 * optional `~` before the brace. Returns where the marker starts, or null.
 */
export function findLiteralMarker(line: Buffer): { start: number; literal: LiteralMarker } | null {
  let i = line.length - 1;
  if (i < 2 || line[i] !== 0x7d) return null;
  i--;
  let sync = true;
  if (line[i] === 0x2b) {
    sync = false;
    i--;
  }
  const digitsEnd = i + 1;
  while (i >= 0 && line[i]! >= 0x30 && line[i]! <= 0x39) i--;
  const digitsStart = i + 1;
  if (digitsStart === digitsEnd || i < 0 || line[i] !== 0x7b) return null;
  if (digitsEnd - digitsStart > MAX_LITERAL_DIGITS) {
    throw new ParseError("BAD_LITERAL_SIZE", "literal size has too many digits", false);
  }
  let size = 0;
  for (let k = digitsStart; k < digitsEnd; k++) size = size * 10 + (line[k]! - 0x30);
  let start = i;
  let binary = false;
  if (start > 0 && line[start - 1] === 0x7e) {
    binary = true;
    start--;
  }
  return { start, literal: { size, sync, binary } };
}
