import { ParseError, type ParseErrorCode } from "./errors.js";
import { Framer, type LiteralMarker } from "./framer.js";
import { DEFAULT_RESPONSE_LIMITS, type Limits, resolveLimits } from "./limits.js";
import { parseResponse } from "./parse-response.js";
import { type Part, SyntaxFail } from "./reader.js";
import type { FetchResponseItem, Response } from "./types/responses.js";

export interface ResponseParserOptions {
  /** Overrides of DEFAULT_RESPONSE_LIMITS (wider than the command parser's defaults). */
  limits?: Partial<Limits>;
  /**
   * FETCH body literals (BODY[...], BINARY[...], RFC822*) of at least this many bytes are
   * streamed as literal-start / literal-chunk / literal-end events and appear in the parsed
   * FETCH item as a `StreamedLiteral` placeholder. Default 0: every body literal is streamed.
   * Smaller ones are kept as a Buffer in the item.
   */
  streamThreshold?: number;
}

export type ResponseParserEvent =
  | { type: "response"; response: Response }
  /**
   * A FETCH body literal starts; `item` is the item name as sent, e.g. `BODY[1.2]<0>`.
   * `before`: the items of the same FETCH response that came before this literal (e.g. UID,
   * FLAGS), or null when they could not be read. A consumer that needs them before the body
   * (to write its own response while the body streams) can start at once when they are all
   * there; the complete response, with every item, still follows as a `response` event.
   */
  | { type: "literal-start"; id: number; seq: number; item: string; size: number; before: FetchResponseItem[] | null }
  | { type: "literal-chunk"; id: number; chunk: Buffer }
  | { type: "literal-end"; id: number }
  | { type: "error"; error: ParseError };

const EMPTY = Buffer.alloc(0);
const CLOSE_PAREN = Buffer.from(")");
const FETCH_PREFIX = /^\* (\d{1,10}) FETCH /i;
// A body item right before the literal, at the end of the text (only the tail is examined).
const BODY_ITEM_BEFORE_LITERAL = /(?:^|[ (])((?:BODY|BINARY)\[[^\]]*\](?:<\d+>)?|RFC822(?:\.HEADER|\.TEXT)?) $/i;

/**
 * Incremental client-side response parser. `push()` server bytes, get events back. Memory is
 * bounded like the command parser's: the current line, the current response's lines and
 * inline literals (≤ maxInlineLiteral each, ≤ maxCommandSize in all); FETCH bodies are streamed.
 * A malformed response is reported as a recoverable error and skipped; an over-long line or an
 * inline literal over the limits is fatal (the stream cannot be trusted any more).
 */
export class ResponseParser {
  private readonly limits: Limits;
  private readonly threshold: number;
  private readonly framer: Framer;
  private parts: Part[] = [];
  private partsBytes = 0;
  private mode: "line" | "inline" | "stream" | "closed" = "line";
  private literal: { id: number; marker: LiteralMarker } | null = null;
  private inline: Buffer[] = [];
  private nextId = 0;
  private out: ResponseParserEvent[] = [];

  constructor(options: ResponseParserOptions = {}) {
    this.limits = resolveLimits(options.limits, DEFAULT_RESPONSE_LIMITS);
    this.threshold = options.streamThreshold ?? 0;
    this.framer = new Framer(this.limits.maxLineLength);
  }

  get closed(): boolean {
    return this.mode === "closed";
  }

  /** Bytes held right now (unparsed input, the current response's lines and inline literals). */
  get bufferedBytes(): number {
    let inline = 0;
    for (const b of this.inline) inline += b.length;
    return this.framer.bufferedBytes + this.partsBytes + inline;
  }

  push(chunk: Buffer): ResponseParserEvent[] {
    const out: ResponseParserEvent[] = [];
    this.out = out;
    if (this.mode === "closed") return out;
    if (this.mode === "stream") {
      const take = this.framer.takeLiteralDirect(chunk);
      if (take > 0) {
        const lit = this.literal!;
        out.push({ type: "literal-chunk", id: lit.id, chunk: take === chunk.length ? chunk : chunk.subarray(0, take) });
        if (this.framer.state !== "literal") this.onLiteral(EMPTY, true);
        if (take === chunk.length) return out;
        chunk = chunk.subarray(take);
      }
    }
    this.framer.push(chunk);
    try {
      for (;;) {
        const ev = this.framer.next();
        if (ev === null) break;
        if (ev.type === "line") this.onLine(ev.text, ev.literal);
        else this.onLiteral(ev.chunk, ev.last);
        if ((this.mode as string) === "closed") break;
      }
    } catch (e) {
      this.fail(
        e instanceof ParseError
          ? e
          : new ParseError("SYNTAX", `internal parser failure: ${(e as Error).message}`, false),
      );
    }
    return out;
  }

  private onLine(text: Buffer, marker: LiteralMarker | null): void {
    if (this.parts.length === 0 && text.length === 0 && marker === null) return;
    this.parts.push(text);
    this.partsBytes += text.length;
    if (this.partsBytes > this.limits.maxCommandSize) {
      this.fatal("COMMAND_TOO_LARGE", `response larger than ${this.limits.maxCommandSize} bytes`);
      return;
    }
    if (marker === null) {
      this.complete();
      return;
    }
    const id = this.nextId++;
    this.literal = { id, marker };
    const stream = marker.size >= this.threshold ? this.bodyItem(text) : null;
    if (stream !== null) {
      if (marker.size > this.limits.maxLiteralSize) {
        this.fatal("LITERAL_TOO_LARGE", `literal of ${marker.size} bytes exceeds ${this.limits.maxLiteralSize}`);
        return;
      }
      this.mode = "stream";
      const before = this.itemsBefore(text.length - stream.itemAt);
      this.out.push({ type: "literal-start", id, seq: stream.seq, item: stream.item, size: marker.size, before });
    } else {
      if (marker.size > this.limits.maxInlineLiteral || this.partsBytes + marker.size > this.limits.maxCommandSize) {
        this.fatal(
          "LITERAL_TOO_LARGE",
          `literal of ${marker.size} bytes exceeds the inline limit ${this.limits.maxInlineLiteral}`,
        );
        return;
      }
      this.mode = "inline";
      this.inline = [];
    }
    this.framer.beginLiteral(marker.size);
  }

  /**
   * Is the announced literal the value of a FETCH body item? `itemAt`: how many bytes from
   * the end of `text` the item's name starts.
   */
  private bodyItem(text: Buffer): { seq: number; item: string; itemAt: number } | null {
    const first = this.parts[0] as Buffer;
    const head = FETCH_PREFIX.exec(first.toString("latin1", 0, Math.min(first.length, 32)));
    if (head === null) return null;
    const tail = text.toString("latin1", Math.max(0, text.length - 300));
    const m = BODY_ITEM_BEFORE_LITERAL.exec(tail);
    if (m === null) return null;
    return { seq: Number(head[1]), item: m[1]!.toUpperCase(), itemAt: m[1]!.length + 1 };
  }

  /**
   * The FETCH items before the streamed literal's item: the response so far (this.parts, the
   * last part ending with the item's name) cut before that name and closed with `)`, parsed
   * as a response of its own. Null when that does not parse (e.g. nothing came before).
   */
  private itemsBefore(cut: number): FetchResponseItem[] | null {
    const parts = this.parts.slice();
    let last = parts[parts.length - 1] as Buffer;
    let end = cut;
    while (end > 0 && last[end - 1] === 0x20) end--;
    if (end > 0 && last[end - 1] === 0x28) return null; // "(": no item before this one
    last = Buffer.concat([last.subarray(0, end), CLOSE_PAREN]);
    parts[parts.length - 1] = last;
    try {
      const r = parseResponse(parts, this.limits);
      return r.kind === "untagged" && r.data.type === "FETCH" ? r.data.items : null;
    } catch {
      return null;
    }
  }

  private onLiteral(chunk: Buffer, last: boolean): void {
    const lit = this.literal!;
    if (this.mode === "stream") {
      if (chunk.length > 0) this.out.push({ type: "literal-chunk", id: lit.id, chunk });
      if (last) {
        this.out.push({ type: "literal-end", id: lit.id });
        this.parts.push({ kind: "literal", data: null, size: lit.marker.size, binary: lit.marker.binary, id: lit.id });
        this.mode = "line";
      }
      return;
    }
    if (chunk.length > 0) this.inline.push(chunk);
    if (last) {
      const data = this.inline.length === 1 ? Buffer.from(this.inline[0]!) : Buffer.concat(this.inline);
      this.inline = [];
      this.partsBytes += data.length;
      this.parts.push({ kind: "literal", data, size: lit.marker.size, binary: lit.marker.binary, id: lit.id });
      this.mode = "line";
    }
  }

  private complete(): void {
    const parts = this.parts;
    this.parts = [];
    this.partsBytes = 0;
    try {
      this.out.push({ type: "response", response: parseResponse(parts, this.limits) });
    } catch (e) {
      if (!(e instanceof SyntaxFail)) throw e;
      const first = parts[0] as Buffer;
      const tag = /^([^\s*+]{1,64}) /.exec(first.toString("latin1", 0, 70))?.[1];
      this.out.push({ type: "error", error: new ParseError(e.code, e.message, true, tag) });
    }
  }

  private fatal(code: ParseErrorCode, message: string): void {
    this.fail(new ParseError(code, message, false));
  }

  private fail(e: ParseError): void {
    this.mode = "closed";
    this.parts = [];
    this.partsBytes = 0;
    this.inline = [];
    this.framer.clear();
    this.out.push({ type: "error", error: e });
  }
}
