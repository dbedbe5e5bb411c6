import { TAG_CHAR as TAG_OR_FAIL } from "./char-classes.js";
import { ParseError, type ParseErrorCode } from "./errors.js";
import { Framer, type LiteralMarker } from "./framer.js";
import { type Limits, resolveLimits } from "./limits.js";
import { parseCommand, peekTag, readAppendArguments } from "./parse-command.js";
import { type LiteralPart, type Part, Reader, SyntaxFail } from "./reader.js";
import type { AppendMessage, Command } from "./types/commands.js";

export interface CommandParserOptions {
  limits?: Partial<Limits>;
  /**
   * LITERAL+ is advertised: non-synchronizing literals of any size (up to the literal limits)
   * are accepted. When false (default) the LITERAL- rule applies: at most
   * `limits.maxNonSyncLiteral` (4096) bytes.
   */
  literalPlus?: boolean;
}

/** Everything the server-side parser reports, in wire order. */
export type CommandParserEvent =
  | { type: "command"; command: Command }
  /**
   * A synchronizing literal was announced. Input is held until `acceptLiteral()` (send
   * `+ Ready`) or `rejectLiteral()` (send `tag NO/BAD`; the client will not send the bytes).
   */
  | {
      type: "literal-request";
      tag: string | undefined;
      commandName: string | undefined;
      size: number;
      binary: boolean;
      /** "message": an APPEND message body (streamed); "inline": kept in memory (≤ maxInlineLiteral). */
      purpose: "message" | "inline";
    }
  /** An APPEND message starts; its bytes follow as literal-chunk events, then literal-end. */
  | {
      type: "append-message";
      tag: string;
      mailbox: string;
      /** 0 for the first message, 1 for the second of a MULTIAPPEND... */
      index: number;
      message: AppendMessage;
      id: number;
    }
  | { type: "literal-chunk"; chunk: Buffer; id: number }
  | { type: "literal-end"; id: number }
  /** A line answering an AUTHENTICATE continuation; `cancelled` when the client sent `*`. */
  | { type: "sasl-response"; data: string; cancelled: boolean }
  /** DONE ended an IDLE. */
  | { type: "idle-done" }
  | { type: "error"; error: ParseError };

type Mode =
  | "command"
  | "await-literal"
  | "inline-literal"
  | "message-literal"
  | "skip-literal"
  | "discard"
  | "hold"
  | "sasl"
  | "idle"
  | "closed";

interface PendingLiteral {
  marker: LiteralMarker;
  purpose: "message" | "inline";
  tag: string | undefined;
  mailbox?: string;
  meta?: Omit<AppendMessage, "size" | "binary">;
}

const PLACEHOLDER_ID = -1;
const EMPTY = Buffer.alloc(0);

/**
 * Incremental server-side command parser. Feed it whatever the socket delivers with `push()`;
 * it returns the events that input completed. Memory held per connection is bounded by the
 * limits: the current line, the current command's lines and inline literals, and input that
 * arrived while the parser was paused (≤ maxLineLength + 64 KiB, else a fatal error).
 *
 * Pauses (input is held, nothing is parsed) happen at three points, each ended by a method:
 * - after a `literal-request`: `acceptLiteral()` or `rejectLiteral()`;
 * - after an IDLE, AUTHENTICATE or STARTTLS command, and after each `sasl-response`:
 *   `expectIdleDone()`, `expectSaslResponse()` or `resume()` (command refused, authentication
 *   finished, TLS established — then call `discardHeldInput()` first).
 *
 * Resynchronisation policy: a grammar error in a complete command is recoverable (BAD, go on).
 * A command refused while it is still arriving (too large, bad APPEND arguments before a
 * literal, rejected literal) is recoverable too: a pending synchronizing literal is simply not
 * requested (the client sends nothing more for that command) and the bytes of a
 * non-synchronizing one are skipped without being stored. Fatal (close the connection): a line
 * longer than maxLineLength, a non-synchronizing literal over the LITERAL- bound or over
 * maxLiteralSize (RFC 7888 leaves the server the choice; skipping megabytes of unwanted data
 * is a denial-of-service lever, so we close), too much input sent while paused.
 */
export class CommandParser {
  private readonly limits: Limits;
  private readonly literalPlus: boolean;
  private readonly framer: Framer;
  private readonly holdLimit: number;
  private mode: Mode = "command";
  private parts: Part[] = [];
  private partsBytes = 0;
  private inline: Buffer[] = [];
  private pending: PendingLiteral | null = null;
  private nextLiteralId = 0;
  private currentLiteralId = 0;
  private appendIndex = 0;
  private out: CommandParserEvent[] = [];

  constructor(options: CommandParserOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.literalPlus = options.literalPlus ?? false;
    this.framer = new Framer(this.limits.maxLineLength);
    this.holdLimit = this.limits.maxLineLength + 64 * 1024;
  }

  /** True once a fatal error happened; the connection should be closed. */
  get closed(): boolean {
    return this.mode === "closed";
  }

  /**
   * Bytes this parser holds for the connection right now: unparsed input, the current
   * command's lines and inline literals. Bounded by the limits; useful for monitoring.
   */
  get bufferedBytes(): number {
    let inline = 0;
    for (const b of this.inline) inline += b.length;
    return this.framer.bufferedBytes + this.partsBytes + inline;
  }

  /** Feeds bytes from the client; returns the events they completed. */
  push(chunk: Buffer): CommandParserEvent[] {
    if (this.mode === "closed") return [];
    if (this.mode === "message-literal") {
      // fast path for message bodies: slice the literal's part of the chunk directly
      const take = this.framer.takeLiteralDirect(chunk);
      if (take > 0) {
        const out: CommandParserEvent[] = [];
        this.out = out;
        const id = this.currentLiteralId;
        out.push({ type: "literal-chunk", chunk: take === chunk.length ? chunk : chunk.subarray(0, take), id });
        if (this.framer.state !== "literal") this.onLiteral(EMPTY, true);
        if (take === chunk.length) return out;
        this.framer.push(chunk.subarray(take));
        return this.run(out);
      }
    }
    this.framer.push(chunk);
    return this.run();
  }

  /** Accepts the pending synchronizing literal: send `+ ...` to the client now. */
  acceptLiteral(): CommandParserEvent[] {
    const p = this.takePending();
    this.out = [];
    this.startLiteral(p);
    return this.run(this.out);
  }

  /** Refuses the pending synchronizing literal: send `tag NO/BAD ...`; the command is dropped. */
  rejectLiteral(): CommandParserEvent[] {
    this.takePending();
    this.framer.cancelLiteral();
    this.resetCommand();
    return this.run();
  }

  /** After IDLE was answered with `+ idling`: the next line must be DONE. */
  expectIdleDone(): CommandParserEvent[] {
    this.leaveHold("idle");
    return this.run();
  }

  /** After a `+ challenge` to AUTHENTICATE: the next line is the client's SASL response. */
  expectSaslResponse(): CommandParserEvent[] {
    this.leaveHold("sasl");
    return this.run();
  }

  /**
   * After STARTTLS succeeded, before `resume()`: drops the input received so far. Bytes the client
   * sent in plaintext behind STARTTLS must not be executed inside the TLS session
   * (command injection, CVE-2011-0411 class).
   */
  discardHeldInput(): void {
    if (this.mode !== "hold") throw new Error(`parser is not holding input (mode ${this.mode})`);
    this.framer.clear();
  }

  /** After IDLE/AUTHENTICATE/STARTTLS was refused or finished: parse commands again. */
  resume(): CommandParserEvent[] {
    this.leaveHold("command");
    return this.run();
  }

  private leaveHold(next: Mode): void {
    if (this.mode === "closed") return;
    if (this.mode !== "hold") throw new Error(`parser is not waiting after IDLE/AUTHENTICATE (mode ${this.mode})`);
    this.mode = next;
  }

  private takePending(): PendingLiteral {
    if (this.mode !== "await-literal" || this.pending === null) {
      throw new Error("no synchronizing literal is waiting for a decision");
    }
    const p = this.pending;
    this.pending = null;
    return p;
  }

  private run(out: CommandParserEvent[] = []): CommandParserEvent[] {
    this.out = out;
    if (this.mode === "closed") return out;
    try {
      for (;;) {
        const m = this.mode;
        if (m === "await-literal" || m === "hold") break;
        const ev = this.framer.next();
        if (ev === null) break;
        if (ev.type === "line") this.onLine(ev.text, ev.literal);
        else this.onLiteral(ev.chunk, ev.last);
        if ((this.mode as Mode) === "closed") return out;
      }
      if ((this.mode === "await-literal" || this.mode === "hold") && this.framer.bufferedBytes > this.holdLimit) {
        this.fatal("UNEXPECTED_DATA", "client sent too much data without waiting for the server's response");
      }
    } catch (e) {
      if (e instanceof ParseError) this.fatalError(e);
      else this.fatal("SYNTAX", `internal parser failure: ${(e as Error).message}`);
    }
    return out;
  }

  private onLine(text: Buffer, marker: LiteralMarker | null): void {
    switch (this.mode) {
      case "command":
        this.onCommandLine(text, marker);
        return;
      case "discard":
        this.onDiscardLine(marker);
        return;
      case "idle":
        if (marker === null && text.length === 4 && text.toString("latin1", 0, 4).toUpperCase() === "DONE") {
          this.mode = "command";
          this.out.push({ type: "idle-done" });
          return;
        }
        if (marker !== null && !marker.sync) {
          this.fatal("UNEXPECTED_DATA", "literal data sent during IDLE");
          return;
        }
        // a synchronizing literal is never answered: the client sends nothing more for it
        if (marker !== null) this.framer.cancelLiteral();
        this.emitError("SYNTAX", "expected DONE to end IDLE", undefined);
        return;
      case "sasl": {
        if (marker !== null) {
          this.fatal("SYNTAX", "literal inside a SASL response");
          return;
        }
        const data = text.toString("latin1", 0, text.length);
        this.mode = "hold";
        this.out.push({ type: "sasl-response", data, cancelled: data === "*" });
        return;
      }
      default:
        this.fatal("SYNTAX", `internal parser state ${this.mode} saw a line`);
    }
  }

  private onCommandLine(text: Buffer, marker: LiteralMarker | null): void {
    if (this.parts.length === 0 && text.length === 0 && marker === null) return; // blank line: ignored
    this.partsBytes += text.length;
    this.parts.push(text);
    if (this.partsBytes > this.limits.maxCommandSize) {
      this.abortCommand("COMMAND_TOO_LARGE", `command larger than ${this.limits.maxCommandSize} bytes`, marker);
      return;
    }
    if (marker === null) {
      this.complete();
      return;
    }
    this.onMarker(marker);
  }

  private onMarker(marker: LiteralMarker): void {
    const tag = peekTag(this.parts[0] as Buffer);
    if (!marker.sync && !this.literalPlus && marker.size > this.limits.maxNonSyncLiteral) {
      this.fatal(
        "NONSYNC_LITERAL_TOO_LARGE",
        `non-synchronizing literal of ${marker.size} bytes exceeds the LITERAL- limit of ${this.limits.maxNonSyncLiteral}`,
        tag,
      );
      return;
    }
    const kind = this.classify();
    if (kind instanceof SyntaxFail) {
      this.abortCommand(kind.code === "UNKNOWN_COMMAND" ? "UNKNOWN_COMMAND" : "SYNTAX", kind.message, marker);
      return;
    }
    const limit = kind.purpose === "message" ? this.limits.maxLiteralSize : this.limits.maxInlineLiteral;
    const tooBig = marker.size > limit;
    if (tooBig || (kind.purpose === "inline" && this.partsBytes + marker.size > this.limits.maxCommandSize)) {
      const message = tooBig
        ? `literal of ${marker.size} bytes exceeds the limit of ${limit}`
        : `command larger than ${this.limits.maxCommandSize} bytes`;
      if (!marker.sync && marker.size > this.limits.maxLiteralSize) {
        this.fatal("LITERAL_TOO_LARGE", message, tag);
        return;
      }
      this.abortCommand(tooBig ? "LITERAL_TOO_LARGE" : "COMMAND_TOO_LARGE", message, marker);
      return;
    }
    const pending: PendingLiteral = { marker, purpose: kind.purpose, tag, ...kind.append };
    if (marker.sync) {
      this.pending = pending;
      this.mode = "await-literal";
      this.out.push({
        type: "literal-request",
        tag,
        commandName: this.commandName(),
        size: marker.size,
        binary: marker.binary,
        purpose: kind.purpose,
      });
      return;
    }
    this.startLiteral(pending);
  }

  /** Is the announced literal an APPEND message (streamed) or an inline argument? */
  private classify():
    | { purpose: "message" | "inline"; append?: { mailbox: string; meta: Omit<AppendMessage, "size" | "binary"> } }
    | SyntaxFail {
    if (peekTag(this.parts[0] as Buffer) === undefined) return new SyntaxFail("missing or invalid tag");
    if (this.commandName() !== "APPEND") return { purpose: "inline" };
    const probe: LiteralPart = { kind: "literal", data: EMPTY, size: 0, binary: false, id: PLACEHOLDER_ID };
    const r = new Reader([...this.parts, probe, EMPTY], this.limits);
    try {
      r.chars(TAG_OR_FAIL, "a tag");
      r.sp();
      if (r.keyword("a command name") !== "APPEND") return { purpose: "inline" };
      r.sp();
      if (r.peekLiteral()?.id === PLACEHOLDER_ID) return { purpose: "inline" }; // the mailbox name
      const parsed = readAppendArguments(r, PLACEHOLDER_ID);
      if (parsed.pending === undefined) return new SyntaxFail("APPEND arguments out of order");
      return { purpose: "message", append: { mailbox: parsed.mailbox, meta: parsed.pending } };
    } catch (e) {
      if (e instanceof SyntaxFail) return e;
      throw e;
    }
  }

  private commandName(): string | undefined {
    const m = /^\S+ (?:UID )?([A-Za-z]+)/i.exec((this.parts[0] as Buffer).toString("latin1", 0, 80));
    return m?.[1]?.toUpperCase();
  }

  private startLiteral(p: PendingLiteral): void {
    const id = this.nextLiteralId++;
    this.currentLiteralId = id;
    this.framer.beginLiteral(p.marker.size);
    if (p.purpose === "message") {
      this.mode = "message-literal";
      this.out.push({
        type: "append-message",
        tag: p.tag ?? "",
        mailbox: p.mailbox ?? "",
        index: this.appendIndex++,
        message: { ...p.meta!, size: p.marker.size, binary: p.marker.binary },
        id,
      });
    } else {
      this.mode = "inline-literal";
      this.inline = [];
    }
    this.pending = p;
  }

  private onLiteral(chunk: Buffer, last: boolean): void {
    const id = this.currentLiteralId;
    if (this.mode === "message-literal") {
      if (chunk.length > 0) this.out.push({ type: "literal-chunk", chunk, id });
      if (last) {
        this.out.push({ type: "literal-end", id });
        this.endLiteral(null);
      }
      return;
    }
    if (this.mode === "inline-literal") {
      if (chunk.length > 0) this.inline.push(chunk);
      if (last) {
        const data = this.inline.length === 1 ? Buffer.from(this.inline[0]!) : Buffer.concat(this.inline);
        this.inline = [];
        this.partsBytes += data.length;
        this.endLiteral(data);
      }
      return;
    }
    if (this.mode === "skip-literal") {
      if (last) this.mode = "discard";
      return;
    }
    this.fatal("SYNTAX", `internal parser state ${this.mode} saw literal bytes`);
  }

  private endLiteral(data: Buffer | null): void {
    const p = this.pending!;
    this.pending = null;
    this.parts.push({ kind: "literal", data, size: p.marker.size, binary: p.marker.binary, id: this.currentLiteralId });
    this.mode = "command";
  }

  /** The rest of a refused command: skip its non-synchronizing literals until a line ends it. */
  private onDiscardLine(marker: LiteralMarker | null): void {
    if (marker === null) {
      this.mode = "command";
      return;
    }
    this.discardAfter(marker);
  }

  private discardAfter(marker: LiteralMarker): void {
    if (marker.sync) {
      // the client waits for "+", which never comes: the command ends here
      this.framer.cancelLiteral();
      this.mode = "command";
      return;
    }
    if (
      marker.size > this.limits.maxLiteralSize ||
      (!this.literalPlus && marker.size > this.limits.maxNonSyncLiteral)
    ) {
      this.fatal("NONSYNC_LITERAL_TOO_LARGE", `non-synchronizing literal of ${marker.size} bytes cannot be skipped`);
      return;
    }
    this.framer.beginLiteral(marker.size);
    this.mode = "skip-literal";
  }

  /** Refuses the command being received (recoverable) and skips what the client still sends of it. */
  private abortCommand(code: ParseErrorCode, message: string, marker: LiteralMarker | null): void {
    const tag = this.parts.length > 0 ? peekTag(this.parts[0] as Buffer) : undefined;
    this.resetCommand();
    this.emitError(code, message, tag);
    if (marker === null) this.mode = "command";
    else this.discardAfter(marker);
  }

  private complete(): void {
    const parts = this.parts;
    this.resetCommand();
    try {
      const command = parseCommand(parts, this.limits);
      this.out.push({ type: "command", command });
      // pause where the next bytes mean something else than a command (or, after STARTTLS,
      // must not be trusted: plaintext sent before the handshake is an injection attempt)
      if (command.name === "IDLE" || command.name === "AUTHENTICATE" || command.name === "STARTTLS") this.mode = "hold";
    } catch (e) {
      if (!(e instanceof SyntaxFail)) throw e;
      this.emitError(e.code, e.message, peekTag(parts[0] as Buffer));
    }
  }

  private resetCommand(): void {
    this.parts = [];
    this.partsBytes = 0;
    this.inline = [];
    this.appendIndex = 0;
    this.mode = "command";
  }

  private emitError(code: ParseErrorCode, message: string, tag: string | undefined): void {
    this.out.push({ type: "error", error: new ParseError(code, message, true, tag) });
  }

  private fatal(code: ParseErrorCode, message: string, tag?: string): void {
    this.fatalError(new ParseError(code, message, false, tag ?? this.currentTag()));
  }

  private fatalError(e: ParseError): void {
    const err =
      e.tag === undefined && this.currentTag() !== undefined
        ? new ParseError(e.code, e.message, false, this.currentTag())
        : e;
    this.mode = "closed";
    this.parts = [];
    this.partsBytes = 0;
    this.inline = [];
    this.framer.clear();
    this.out.push({ type: "error", error: err });
  }

  private currentTag(): string | undefined {
    const first = this.parts[0];
    return first instanceof Uint8Array ? peekTag(first) : undefined;
  }
}
