import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { type SecureContext, TLSSocket } from "node:tls";
import {
  type Command,
  CommandParser,
  type CommandParserEvent,
  encodeResponseParts,
  type Limits,
  type Response,
  type ResponseCode,
  type Status,
} from "@holdfast/imap-codec";
import type { FlushPermission, Notification, NotificationQueue } from "@holdfast/session";
import type { AuthThrottle } from "./auth-throttle.js";
import type { AppendTransaction, Authenticator, Backend, BackendSession, SelectedMailbox } from "./backend.js";
import { BackendError } from "./backend.js";
import type { BodyChannel } from "./body-channel.js";
import { capabilities } from "./capabilities.js";
import { abortAppend, onAppendEvent } from "./handlers/append.js";
import { endIdle } from "./handlers/idle.js";
import type { Logger } from "./logger.js";
import type { ServerObserver } from "./observer.js";
import { visibleFlags } from "./visible-flags.js";

export type ConnectionState = "not-authenticated" | "authenticated" | "selected" | "logout";

export interface Timeouts {
  /** From connect to successful authentication. Default 60 s. */
  preAuthMs: number;
  /** Inactivity once authenticated; RFC 9051 §5.4 asks for at least 30 minutes. */
  idleMs: number;
  /** A client in IDLE with no traffic at all. Default 31 minutes. */
  idleCommandMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { preAuthMs: 60_000, idleMs: 30 * 60_000, idleCommandMs: 31 * 60_000 };

export interface FrontEndOptions {
  backend: Backend;
  authenticator: Authenticator;
  /** Enables STARTTLS on plain connections. */
  tlsContext?: SecureContext;
  /** Allow LOGIN/AUTHENTICATE without TLS (for localhost development only). */
  plaintextAuth: boolean;
  limits?: Partial<Limits>;
  timeouts: Timeouts;
  throttle: AuthThrottle;
  logger: Logger;
  serverName: string;
  observer: ServerObserver;
}

/** The state of the selected mailbox that belongs to this connection. */
export interface SelectedContext {
  name: string;
  mailbox: SelectedMailbox;
  queue: NotificationQueue;
  readOnly: boolean;
  unsubscribe: () => void;
  /** SEARCHRES (RFC 5182): the saved result, as UIDs. */
  saved?: Uint32Array;
  /** The flags the client was told exist (FLAGS response), in order; lower case in `knownFlags`. */
  flagList: string[];
  knownFlags: Set<string>;
}

/** The message being streamed into an APPEND, and the command it belongs to. */
export interface AppendInProgress {
  tag: string;
  tx: AppendTransaction | null;
  failure: BackendError | Error | null;
  /** The command is malformed (answer BAD with this reason). */
  bad: string | null;
  staged: Promise<void>[];
  /** Messages are staged one after the other, so UIDs follow the order given (RFC 3502). */
  chain: Promise<void>;
  body: BodyChannel | null;
}

const NO_CAPABILITIES: ReadonlySet<string> = new Set();
const MAX_QUEUED_EVENTS = 32;
/** Encoded responses held for one write at most this long (bytes) before being written. */
const BATCH_FLUSH_BYTES = 64 * 1024;
const RESOLVED: Promise<void> = Promise.resolve();
/** Raw input held during a passthrough login beyond which the socket is paused. */
const RAW_HOLD_PAUSE_BYTES = 64 * 1024;

/** A parser event after which the input may belong to a passthrough backend. */
function isLoginStep(event: CommandParserEvent): boolean {
  if (event.type === "sasl-response") return true;
  return event.type === "command" && (event.command.name === "LOGIN" || event.command.name === "AUTHENTICATE");
}

/** A literal source that writes itself into the socket (the remote backend's BodyStream). */
interface WritesItself {
  writeTo(socket: Socket): Promise<number>;
}

function writesItself(source: unknown): source is WritesItself {
  return typeof (source as Partial<WritesItself>).writeTo === "function";
}

/**
 * One client connection: bytes in through the command parser, commands run one at a time
 * in arrival order, responses out with back-pressure. Owns the session state (DESIGN): the
 * selected mailbox's sequence map and notification queue live here, not in a backend.
 *
 * Invariants:
 * - Commands are executed strictly in order; a tagged response is written only after all
 *   of the command's untagged responses.
 * - Nothing a client sends can throw out of this class: parse errors become BAD (or BYE
 *   when the parser cannot resynchronise), backend errors become NO with a response code,
 *   anything else becomes NO [SERVERBUG] with the session id and is logged.
 */
export class ImapConnection {
  readonly id = randomBytes(6).toString("base64url");
  state: ConnectionState = "not-authenticated";
  socket: Socket;
  parser: CommandParser;
  session: BackendSession | null = null;
  selected: SelectedContext | null = null;
  append: AppendInProgress | null = null;
  /** ENABLEd extensions (RFC 5161): CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4rev2. */
  readonly enabled = new Set<string>();
  /** The client's last ID parameters (passed to the authenticator: loop protection). */
  clientId: Record<string, string | null> | null = null;
  /** Tag of the IDLE in progress. */
  idling: string | null = null;
  /** The SASL exchange in progress. */
  sasl: ((data: string, cancelled: boolean) => Promise<void>) | null = null;
  readonly log: Logger;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * The parser is paused after IDLE, AUTHENTICATE, STARTTLS and each SASL response line,
   * until told what comes next. Whatever path a command takes, the connection must end up
   * either continuing that exchange or resuming command parsing, or it would hang.
   */
  private holding = false;
  private byeSent = false;
  /** A flush is scheduled for when the socket drains (IDLE with a slow reader). */
  private flushOnDrain = false;
  private inbox: CommandParserEvent[] = [];
  private pumping = false;
  private paused = false;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly commandHandler: (conn: ImapConnection, command: Command) => Promise<void>;
  /**
   * Passthrough backends (`takesOverConnections`): from a LOGIN/AUTHENTICATE/SASL response
   * until it is answered, input is kept raw here instead of being parsed, so that if the
   * connection is handed over the client's pipelined bytes go to the backend untouched.
   */
  private rawHold = false;
  private rawHeld: Buffer[] = [];
  private rawHeldBytes = 0;
  private rawPaused = false;
  /** Handed over (passthrough): the socket is no longer this connection's to read or write. */
  private spliced = false;
  private withheldAtLogin: ReadonlySet<string> | null = null;

  constructor(
    socket: Socket,
    readonly options: FrontEndOptions,
    handler: (conn: ImapConnection, command: Command) => Promise<void>,
    private readonly onClose: (conn: ImapConnection) => void,
    /** The client as announced by a trusted PROXY header; the socket's peer otherwise. */
    peer?: { address: string; port: number },
  ) {
    this.socket = socket;
    this.commandHandler = handler;
    this.remoteAddress = peer?.address ?? socket.remoteAddress ?? "unknown";
    this.remotePort = peer?.port ?? socket.remotePort ?? 0;
    this.log = options.logger.child({
      session: this.id,
      remote: this.remoteAddress,
      ...(peer ? { via: socket.remoteAddress } : {}),
    });
    this.parser = this.newParser();
    this.attach(socket);
  }

  get secure(): boolean {
    return this.socket instanceof TLSSocket;
  }

  private newParser(): CommandParser {
    return new CommandParser({ limits: this.options.limits, literalPlus: true });
  }

  private attach(socket: Socket): void {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.log.debug({ err: error.message }, "socket error"));
    socket.on("close", () => void this.cleanup());
    socket.on("timeout", () => void this.onTimeout());
    this.timeoutMs = -1; // a new socket (after STARTTLS too) has no timeout set yet
    this.applyTimeout();
  }

  /** Greeting: `* OK [CAPABILITY ...] <server> ready.` */
  start(): void {
    this.send({
      kind: "untagged",
      data: {
        type: "STATUS-RESPONSE",
        status: "OK",
        code: { name: "CAPABILITY", capabilities: this.capabilities() },
        text: `${this.options.serverName} ready.`,
      },
    });
    this.log.info({ tls: this.secure }, "connected");
  }

  capabilities(): string[] {
    return capabilities({
      authenticated: this.state === "authenticated" || this.state === "selected",
      secure: this.secure,
      startTls: this.options.tlsContext !== undefined && !this.secure,
      plaintextAuth: this.options.plaintextAuth,
      appendLimit: this.session?.appendLimit ?? null,
      withheld: this.withheld,
    });
  }

  /**
   * Post-login capabilities the session's backend cannot honour, asked once (the first
   * time, right after login: the tagged OK [CAPABILITY]) and kept: what a client was told
   * stays true for the whole session (capabilities.ts, `refusalFor` for later failovers).
   */
  get withheld(): ReadonlySet<string> {
    if (!this.session) return NO_CAPABILITIES;
    this.withheldAtLogin ??= this.session.withheldCapabilities?.() ?? NO_CAPABILITIES;
    return this.withheldAtLogin;
  }

  /** The socket's inactivity timeout as last set (-1: not yet, on this socket). */
  private timeoutMs = -1;

  applyTimeout(): void {
    if (this.spliced) return;
    const t = this.options.timeouts;
    const ms = this.idling ? t.idleCommandMs : this.state === "not-authenticated" ? t.preAuthMs : t.idleMs;
    // Node restarts the timer on every read and write by itself; setTimeout() replaces the
    // timer object, which is measurable when done after every command: only on a change.
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  private async onTimeout(): Promise<void> {
    this.log.info({ state: this.state }, "timed out");
    await this.bye("Autologout; idle for too long.");
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.spliced) return;
    this.options.observer.bytesIn(chunk.length);
    this.feed(chunk);
  }

  private feed(chunk: Buffer): void {
    if (this.rawHold) {
      this.rawHeld.push(chunk);
      this.rawHeldBytes += chunk.length;
      if (this.rawHeldBytes > RAW_HOLD_PAUSE_BYTES) {
        this.rawPaused = true;
        this.socket.pause();
      }
      return;
    }
    if (this.state === "not-authenticated" && this.options.backend.takesOverConnections) this.parseUntilLogin(chunk);
    else this.inbox.push(...this.parser.push(chunk));
    if (this.inbox.length > MAX_QUEUED_EVENTS && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    void this.pump();
  }

  /**
   * Parse line by line (a command ends with a line) and stop after the first line that
   * starts or continues a login; what follows stays raw until that login is answered.
   */
  private parseUntilLogin(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const lf = chunk.indexOf(0x0a, at);
      const end = lf < 0 ? chunk.length : lf + 1;
      const events = this.parser.push(chunk.subarray(at, end));
      this.inbox.push(...events);
      at = end;
      if (events.some(isLoginStep)) {
        this.rawHold = true;
        if (at < chunk.length) this.feed(chunk.subarray(at));
        return;
      }
    }
  }

  /** The login step was answered without a handover: parse what was held back. */
  private releaseRaw(): void {
    if (!this.rawHold || this.spliced) return;
    this.rawHold = false;
    const held = Buffer.concat(this.rawHeld);
    this.rawHeld = [];
    this.rawHeldBytes = 0;
    if (this.rawPaused) {
      this.rawPaused = false;
      if (!this.paused) this.socket.resume();
    }
    if (held.length > 0) {
      this.feed(held);
      void this.pump();
    }
  }

  /**
   * Passthrough: stop speaking IMAP here and give the socket away, with the bytes the client
   * sent after its login command (never parsed). The connection stays registered until the
   * socket closes; then the session is closed as usual.
   */
  handOver(): { socket: Socket; buffered: Buffer } {
    this.flushBatch();
    this.spliced = true;
    this.inbox = [];
    this.socket.removeAllListeners("data");
    this.socket.removeAllListeners("timeout");
    this.socket.setTimeout(0);
    const buffered = Buffer.concat(this.rawHeld);
    this.rawHeld = [];
    this.rawHeldBytes = 0;
    this.rawHold = false;
    if (this.parser.bufferedBytes > 0)
      this.log.error({ bytes: this.parser.bufferedBytes }, "parsed input left at handover");
    this.log.info({ buffered: buffered.length }, "connection handed over");
    return { socket: this.socket, buffered };
  }

  /** Events produced by a parser method (accept/reject literal, resume...) come first. */
  unshiftEvents(events: CommandParserEvent[]): void {
    this.inbox.unshift(...events);
  }

  /** Parse commands again after a paused exchange ended (or was refused). */
  resumeParsing(): void {
    if (this.holding) {
      this.holding = false;
      this.unshiftEvents(this.parser.resume());
    }
    this.releaseRaw();
  }

  /** IDLE accepted: the next line must be DONE. */
  awaitIdleDone(): void {
    this.holding = false;
    this.unshiftEvents(this.parser.expectIdleDone());
  }

  /** A SASL continuation was sent: the next line is the client's response. */
  awaitSaslResponse(): void {
    this.holding = false;
    this.unshiftEvents(this.parser.expectSaslResponse());
    this.releaseRaw();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.inbox.length > 0 && !this.closed && !this.spliced) {
        const event = this.inbox.shift()!;
        try {
          await this.handleEvent(event);
        } catch (error) {
          this.log.error({ err: (error as Error).stack }, "unexpected failure handling client input");
          await this.bye("Internal error.");
        }
        if (this.paused && this.inbox.length <= MAX_QUEUED_EVENTS / 2) {
          this.paused = false;
          this.socket.resume();
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async handleEvent(event: CommandParserEvent): Promise<void> {
    switch (event.type) {
      case "command":
        await this.runCommand(event.command);
        return;
      case "literal-request":
        await this.onLiteralRequest(event);
        return;
      case "append-message":
      case "literal-chunk":
      case "literal-end":
        await onAppendEvent(this, event);
        return;
      case "sasl-response":
        this.holding = true;
        try {
          if (this.sasl) await this.sasl(event.data, event.cancelled);
        } finally {
          if (this.sasl === null) this.resumeParsing();
        }
        return;
      case "idle-done":
        await endIdle(this);
        return;
      case "error": {
        const e = event.error;
        if (this.append && e.tag === this.append.tag) await abortAppend(this);
        if (!e.recoverable) {
          await this.bye(e.message);
          return;
        }
        if (e.tag)
          await this.tagged(e.tag, "BAD", e.message, e.code === "LITERAL_TOO_LARGE" ? { name: "TOOBIG" } : undefined);
        else this.send({ kind: "untagged", data: { type: "STATUS-RESPONSE", status: "BAD", text: e.message } });
        return;
      }
    }
  }

  private async onLiteralRequest(event: Extract<CommandParserEvent, { type: "literal-request" }>): Promise<void> {
    if (event.purpose === "message") {
      const tag = event.tag ?? "*";
      const authenticated = this.state === "authenticated" || this.state === "selected";
      const limit = this.session?.appendLimit ?? null;
      let refusal: [Status, string, ResponseCode | undefined] | null = null;
      if (!authenticated) refusal = ["BAD", "APPEND is not valid in this state.", undefined];
      else if (limit !== null && event.size > limit) {
        refusal = ["NO", `Message of ${event.size} bytes exceeds the limit of ${limit}.`, { name: "TOOBIG" }];
      }
      if (refusal) {
        if (this.append?.tag === tag) await abortAppend(this);
        this.unshiftEvents(this.parser.rejectLiteral());
        await this.tagged(tag, refusal[0], refusal[1], refusal[2]);
        return;
      }
    }
    this.send({ kind: "continuation", text: "Ready for literal data" });
    this.unshiftEvents(this.parser.acceptLiteral());
  }

  /** Status of the last tagged response, for the command's metrics. */
  private lastStatus: Status | "BYE" = "OK";

  private async runCommand(command: Command): Promise<void> {
    const started = performance.now();
    this.lastStatus = "OK";
    if (command.name === "IDLE" || command.name === "AUTHENTICATE" || command.name === "STARTTLS") this.holding = true;
    try {
      await this.commandHandler(this, command);
    } catch (error) {
      this.sasl = null;
      await this.failCommand(command.tag, error);
    } finally {
      // Refused, failed or finished without continuing: parse commands again.
      if (this.idling === null && this.sasl === null) this.resumeParsing();
    }
    const name = "uid" in command && command.uid ? `UID ${command.name}` : command.name;
    this.options.observer.command(
      name,
      this.state === "logout" ? "BYE" : this.lastStatus,
      (performance.now() - started) / 1000,
    );
    this.applyTimeout();
  }

  /** Turn a failure inside a command into its tagged answer. */
  async failCommand(tag: string, error: unknown): Promise<void> {
    if (error instanceof BackendError) {
      this.options.observer.backendError(error.code);
      await this.tagged(tag, "NO", error.message, { name: error.code });
      return;
    }
    this.log.error({ err: (error as Error)?.stack ?? String(error) }, "command failed");
    this.options.observer.backendError("SERVERBUG");
    await this.tagged(tag, "NO", `Internal error, session ${this.id}.`, { name: "SERVERBUG" });
  }

  /**
   * Queue a response for writing, in order. It is encoded now (an unencodable value fails
   * the caller's command); literal sources are streamed later with back-pressure, and a
   * source that gives more or fewer bytes than it announced closes the connection, since
   * the client could no longer find where the next response starts.
   *
   * Two paths, one order:
   * - Plain bytes (nearly every response) go into `batch`, written in ONE socket write:
   *   at once for a tagged completion or a continuation (the client waits for those; the
   *   bookkeeping after a command then runs after the bytes are on their way, not before),
   *   when the batch passes BATCH_FLUSH_BYTES, and otherwise at the next tick (untagged
   *   responses pushed during IDLE). A round of microtasks that sends a command's untagged
   *   lines and its completion thus costs one write system call.
   * - A response with a literal source (a streamed body) flushes the batch and goes through
   *   the `writing` chain; until that chain is idle (`chained` is 0) every later response
   *   goes through it too, so nothing overtakes a body that is still streaming.
   * Back-pressure: the promise resolves once the socket is below its high-water mark.
   */
  send(response: Response): Promise<void> {
    const utf8 = this.enabled.has("UTF8=ACCEPT") || this.enabled.has("IMAP4rev2");
    const parts = encodeResponseParts(response, { utf8 });
    if (this.chained === 0 && parts.every((part) => Buffer.isBuffer(part))) {
      for (const part of parts as Buffer[]) {
        this.batch.push(part);
        this.batchBytes += part.length;
      }
      if (response.kind !== "untagged" || this.batchBytes >= BATCH_FLUSH_BYTES) this.flushBatch();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(this.flushBatch);
      }
      return this.socket.writableNeedDrain ? this.drained() : RESOLVED;
    }
    this.flushBatch();
    this.chained++;
    this.writing = this.writing
      .then(async () => {
        for (const part of parts) {
          if (Buffer.isBuffer(part)) {
            await this.write(part);
            continue;
          }
          if (!("source" in part)) continue; // client-side continuation marker: never in a response
          let sent = 0;
          if (writesItself(part.source)) {
            // (a remote body: its chunks go to the socket as they arrive, no await per chunk)
            sent = await part.source.writeTo(this.socket);
            this.options.observer.bytesOut(sent);
          } else
            for await (const chunk of part.source) {
              sent += chunk.byteLength;
              if (sent > part.size) throw new Error(`literal source gave more than its ${part.size} bytes`);
              await this.write(
                Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
              );
            }
          if (sent !== part.size) throw new Error(`literal source gave ${sent} of its ${part.size} bytes`);
        }
      })
      .catch((error) => {
        this.log.warn({ err: (error as Error).message }, "write failed; closing");
        this.socket.destroy();
      })
      .finally(() => {
        this.chained--;
      });
    return this.writing;
  }

  /** Responses encoded and not yet written (see send). */
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  /** Responses queued on the `writing` chain and not finished. */
  private chained = 0;

  /** Write the batch in one system call (bound: also the nextTick callback). */
  private readonly flushBatch = (): void => {
    this.flushScheduled = false;
    if (this.batch.length === 0) return;
    const data = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    if (this.closed || this.spliced || this.socket.destroyed) return;
    this.options.observer.bytesOut(data.length);
    this.socket.write(data);
  };

  /** The wait for "drain" in progress, shared by every send that finds the socket full. */
  private drainWait: Promise<void> | null = null;

  /**
   * Resolves when the socket drains (or closes). One wait, however many responses are
   * queued meanwhile (notifications are sent without awaiting each): not a listener each.
   */
  private drained(): Promise<void> {
    if (this.drainWait) return this.drainWait;
    const socket = this.socket;
    this.drainWait = new Promise<void>((resolve) => {
      const done = () => {
        socket.off("drain", done);
        socket.off("close", done);
        if (this.socket === socket) this.drainWait = null;
        resolve();
      };
      socket.on("drain", done);
      socket.on("close", done);
    });
    return this.drainWait;
  }

  /** The socket is corked until the current run of microtasks ends (see write). */
  private corked = false;

  /**
   * Write one chunk of a chained response (see send); wait for the socket to drain (or
   * close) when its buffer is full.
   *
   * Writes are coalesced: the first write of a run of microtasks corks the socket and a
   * process.nextTick uncorks it, which Node runs only once that run is over, so a streamed
   * response's head and the lines after it leave in one writev. A write that finds the
   * buffer over its high-water mark still waits for "drain"; the uncork is already
   * scheduled, so that wait always ends.
   */
  private async write(chunk: Buffer): Promise<void> {
    if (this.closed || this.spliced || this.socket.destroyed) return;
    this.options.observer.bytesOut(chunk.length);
    if (!this.corked) {
      const socket = this.socket;
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    if (!this.socket.write(chunk)) await this.drained();
  }

  untagged(status: "OK" | "NO" | "BAD", text: string, code?: ResponseCode): Promise<void> {
    return this.send({ kind: "untagged", data: { type: "STATUS-RESPONSE", status, text, ...(code ? { code } : {}) } });
  }

  /**
   * The tagged completion of a command. Notifications the client may receive at this point
   * (given the command) go out first.
   */
  async tagged(
    tag: string,
    status: Status,
    text: string,
    code?: ResponseCode,
    permission?: FlushPermission,
  ): Promise<void> {
    // Nothing queued (the common case): no detour through the flush.
    const queue = this.selected?.queue;
    if (permission && queue && (queue.hasPending || queue.inconsistency !== null)) {
      await this.flushNotifications(permission);
    }
    if (this.byeSent) return; // the session already ended with BYE
    this.lastStatus = status;
    // Built without a conditional spread (a generic property copy per command).
    await this.send(code ? { kind: "tagged", tag, status, text, code } : { kind: "tagged", tag, status, text });
  }

  /** Send what the selected mailbox's queue may let out now. */
  async flushNotifications(permission: FlushPermission): Promise<void> {
    const sel = this.selected;
    if (!sel) return;
    if (sel.queue.inconsistency) {
      this.log.error({ reason: sel.queue.inconsistency }, "mailbox state cannot be shown honestly");
      await this.bye("Mailbox state changed in a way this session cannot follow; please reconnect.");
      return;
    }
    // Every response of one flush is queued at once: the map has already moved past all of
    // them, so nothing (another flush, a tagged completion) may come between them.
    let last: Promise<void> | undefined;
    for (const n of sel.queue.flush(permission)) {
      if (n.type === "fetch") this.announceFlags(n.flags);
      last = this.send(this.notificationResponse(n));
    }
    await last;
  }

  /**
   * Before the client sees a keyword it was not told exists, send FLAGS and PERMANENTFLAGS
   * again (RFC 9051 §7.3.5). Queued synchronously, so it stays ahead of the FETCH that
   * carries the keyword.
   */
  announceFlags(flags: readonly string[]): void {
    const sel = this.selected;
    if (!sel) return;
    const fresh = flags.filter((f) => !f.startsWith("\\") && !sel.knownFlags.has(f.toLowerCase()));
    if (fresh.length === 0) return;
    for (const f of fresh) {
      sel.knownFlags.add(f.toLowerCase());
      sel.flagList.push(f);
    }
    void this.send({ kind: "untagged", data: { type: "FLAGS", flags: [...sel.flagList] } });
    void this.send({
      kind: "untagged",
      data: {
        type: "STATUS-RESPONSE",
        status: "OK",
        code: { name: "PERMANENTFLAGS", flags: sel.readOnly ? [] : [...sel.flagList, "\\*"] },
        text: "Flags permitted.",
      },
    });
  }

  notificationResponse(n: Notification): Response {
    switch (n.type) {
      case "expunge":
        return { kind: "untagged", data: { type: "EXPUNGE", seq: n.seq } };
      case "vanished":
        return {
          kind: "untagged",
          data: { type: "VANISHED", earlier: false, uids: n.uids.map((r) => ({ start: r.lo, end: r.hi })) },
        };
      case "exists":
        return { kind: "untagged", data: { type: "EXISTS", count: n.count } };
      case "fetch": {
        const items: Extract<Response, { kind: "untagged" }>["data"] & { type: "FETCH" } = {
          type: "FETCH",
          seq: n.seq,
          items: [
            { name: "UID", value: n.uid },
            {
              name: "FLAGS",
              value: visibleFlags(this.enabled, n.flags),
            },
          ],
        };
        if (n.modseq !== undefined && this.condstore) items.items.push({ name: "MODSEQ", value: n.modseq });
        return { kind: "untagged", data: items };
      }
    }
  }

  /** CONDSTORE is active: enabled, or a CONDSTORE-using command was seen (RFC 7162 §3.1). */
  get condstore(): boolean {
    return this.enabled.has("CONDSTORE") || this.enabled.has("QRESYNC");
  }

  /** A change from the backend's feed for the selected mailbox. */
  onBackendChange(sel: SelectedContext, change: Parameters<NotificationQueue["apply"]>[0]): void {
    if (this.selected !== sel) return;
    sel.queue.apply(change);
    if (this.idling) this.pushWhileIdle();
  }

  /**
   * During IDLE changes go out at once, unless the client is not reading: then they stay
   * in the queue (which coalesces them, so memory stays bounded) until the socket drains.
   */
  private pushWhileIdle(): void {
    if (this.socket.writableNeedDrain) {
      if (this.flushOnDrain) return;
      this.flushOnDrain = true;
      this.socket.once("drain", () => {
        this.flushOnDrain = false;
        if (this.idling) this.pushWhileIdle();
      });
      return;
    }
    void this.flushNotifications({ expunge: true });
  }

  /** `* BYE` and close. */
  async bye(text: string, code?: ResponseCode): Promise<void> {
    if (this.closed || this.byeSent) return;
    if (this.spliced) {
      // mid-stream of the backend's responses: an injected BYE could land inside a literal
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
      return;
    }
    this.state = "logout";
    await this.send({
      kind: "untagged",
      data: { type: "STATUS-RESPONSE", status: "BYE", text, ...(code ? { code } : {}) },
    });
    this.byeSent = true;
    await this.writing;
    this.flushBatch();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Replace the socket after STARTTLS: a fresh parser, so nothing sent in plaintext carries over. */
  upgrade(socket: TLSSocket): void {
    this.flushBatch(); // the STARTTLS completion: in plaintext, before the handshake
    this.drainWait = null; // a wait on the plain socket still ends with it
    this.rawHold = false; // never: STARTTLS is not a login step; plaintext is dropped anyway
    this.rawHeld = [];
    this.rawHeldBytes = 0;
    this.socket.removeAllListeners("data");
    this.socket.removeAllListeners("timeout");
    this.socket.removeAllListeners("close");
    this.inbox = [];
    this.parser = this.newParser();
    this.holding = false;
    this.socket = socket;
    this.attach(socket);
  }

  /** Leave the selected state (CLOSE, UNSELECT, SELECT of another mailbox, logout). */
  async deselect(): Promise<void> {
    const sel = this.selected;
    if (!sel) return;
    this.selected = null;
    sel.unsubscribe();
    if (this.state === "selected") this.state = "authenticated";
    await sel.mailbox.close();
  }

  private async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state = "logout";
    try {
      if (this.append) await abortAppend(this);
      await this.deselect();
      await this.session?.close();
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, "cleanup failed");
    }
    this.log.info({}, "disconnected");
    this.onClose(this);
  }
}
