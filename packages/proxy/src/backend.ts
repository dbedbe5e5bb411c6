import type {
  FetchAttribute,
  FetchResponseItem,
  ListReturnOptions,
  SearchKey,
  StatusAttributes,
  StatusItem,
  StoreAction,
} from "@holdfast/imap-codec";
import type { MailboxChange, MessageState } from "@holdfast/session";

/*
 * The Backend interface: what the IMAP front end needs from a mail store, in UIDs only.
 * Message sequence numbers never cross it (DESIGN.md): the front end owns the client's
 * sequence map and turns sequence sets into UID lists before calling a backend, so a
 * backend can be swapped (failover) without the client's numbering changing.
 *
 * Implementations: LocalBackend (@holdfast/store), RemoteImapBackend (an IMAP server such as
 * Dovecot, spoken to with UID commands), passthrough (no session state at all).
 */

/** A failure the front end turns into a tagged NO with this response code. */
export class BackendError extends Error {
  override name = "BackendError";
  constructor(
    readonly code:
      | "NONEXISTENT"
      | "ALREADYEXISTS"
      | "TRYCREATE"
      | "CANNOT"
      | "LIMIT"
      | "OVERQUOTA"
      | "NOPERM"
      | "INUSE"
      | "CORRUPTION"
      | "UNAVAILABLE"
      | "EXPUNGEISSUED"
      | "TOOBIG"
      | "HASCHILDREN"
      | "SERVERBUG",
    message: string,
  ) {
    super(message);
  }
}

export interface AuthContext {
  /** The client's address (after PROXY protocol, if trusted). */
  remoteAddress: string;
  remotePort: number;
  /** The connection is TLS (implicit or after STARTTLS). */
  secure: boolean;
  sessionId: string;
  /** The client's ID parameters (RFC 2971), when it sent ID before authenticating. */
  clientId?: Readonly<Record<string, string | null>>;
}

/** Checks credentials. Implementations must compare in constant time. */
export interface Authenticator {
  /** The canonical user name when the password is right, null otherwise. */
  authenticate(user: string, password: string, context: AuthContext): Promise<string | null>;
}

export interface Backend {
  /** Open the mail of an authenticated user. */
  open(user: string, context: AuthContext): Promise<BackendSession>;
  /**
   * Sessions of this backend take the client's connection over after login (passthrough,
   * see `ConnectionTakeover`). The front end then keeps the raw bytes a client pipelines
   * behind LOGIN/AUTHENTICATE unparsed, so they can be handed over untouched.
   */
  readonly takesOverConnections?: boolean;
}

/**
 * Passthrough: once login succeeded, the front end answers the tagged OK (with these
 * capabilities), stops speaking IMAP on the connection and hands its socket over. From
 * then on the session alone reads and writes the client's bytes; the front end only closes
 * the session (`BackendSession.close`) when the socket closes.
 */
export interface ConnectionTakeover {
  /** What the tagged OK of LOGIN/AUTHENTICATE advertises: the backend's post-login capabilities. */
  readonly capabilities: readonly string[];
  /** `buffered`: bytes the client sent after its login command, not parsed, in order. */
  takeover(client: import("node:net").Socket, buffered: Buffer): void;
}

export interface ListedMailbox {
  /** Full name, `/` as hierarchy delimiter, UTF-8. */
  name: string;
  /** `\HasChildren`, `\Noselect`, `\Subscribed`, `\Sent`, ... */
  attributes: string[];
  /** LIST-EXTENDED CHILDINFO ("SUBSCRIBED") when RECURSIVEMATCH found a subscribed child. */
  childInfo?: string[];
}

export interface ListOptions {
  /** LIST-EXTENDED selection: SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE. */
  selection: string[];
  returnOptions: ListReturnOptions;
}

/** What SELECT/EXAMINE learns about a mailbox. */
export interface SelectedState {
  uidValidity: number;
  uidNext: number;
  /** 0n when the mailbox has no MODSEQ support (NOMODSEQ). */
  highestModseq: bigint;
  flags: string[];
  permanentFlags: string[];
  /** Every message, ascending UID. */
  messages: MessageState[];
  /** UIDs this session gets \Recent for (RFC 3501); empty under IMAP4rev2. */
  recent: number[];
  readOnly: boolean;
}

/**
 * An open (selected) mailbox. Changes by anyone arrive through `onChange`. Its initial
 * state is returned by `select()` beside it, not kept here: after SELECT the session's own
 * sequence map is the only per-message state a connection holds (memory per idle session).
 */
export interface SelectedMailbox {
  /** Push feed: called with every change after it is durable, in order. Returns an unsubscribe. */
  onChange(listener: (change: MailboxChange) => void): () => void;
  /** Pull anything not yet delivered to the listener (NOOP, CHECK). */
  poll(): Promise<void>;
  /**
   * FETCH data for the given UIDs (ascending), in order, one entry per message that still
   * exists. Bodies are streamed (`LiteralSource`), never buffered whole. Setting \Seen for
   * non-PEEK BODY[] is the backend's job when `markSeen` is true; the new flags then come
   * through the change feed.
   */
  fetch(
    uids: Uint32Array,
    items: FetchAttribute[],
    options: { markSeen: boolean; changedSince?: bigint },
  ): AsyncIterable<{ uid: number; items: FetchResponseItem[] }>;
  /** Change flags. `modified`: UIDs that failed UNCHANGEDSINCE (RFC 7162). */
  store(
    uids: Uint32Array,
    action: StoreAction,
    options: { unchangedSince?: bigint },
  ): Promise<{ updated: MessageState[]; modified: number[] }>;
  /** UIDs matching, ascending. Sequence-number keys have been turned into UID keys. */
  search(keys: SearchKey[], options: { charset?: string }): Promise<{ uids: number[]; highestModseq?: bigint }>;
  copy(uids: Uint32Array, target: string): Promise<{ uidValidity: number; source: number[]; destination: number[] }>;
  move(uids: Uint32Array, target: string): Promise<{ uidValidity: number; source: number[]; destination: number[] }>;
  /** Expunge \Deleted messages (all, or only those in `uids`). Returns the UIDs removed. */
  expunge(uids?: Uint32Array): Promise<number[]>;
  /** QRESYNC: UIDs expunged since `modseq` among `knownUids`, and whether that is exact. */
  vanishedSince(modseq: bigint): Promise<{ uids: number[]; exact: boolean }>;
  close(): Promise<void>;
}

export interface AppendInput {
  flags: string[];
  /** Internal date; now when absent. */
  date?: Date;
  size: number;
  /** The message bytes, streamed. It throws if the command turns out to be invalid after its bytes. */
  body: AsyncIterable<Buffer>;
}

/**
 * One APPEND command (MULTIAPPEND: several messages, RFC 3502), in two phases so that
 * nothing becomes visible unless the whole command was valid and every message was
 * accepted: `stage` takes each message's bytes as they arrive, `commit` makes all of them
 * durable and visible at once (or none), `abort` throws the staged data away.
 */
export interface AppendTransaction {
  stage(message: AppendInput): Promise<void>;
  /** Durable before it resolves. UIDs in the order the messages were staged. */
  commit(): Promise<{ uidValidity: number; uids: number[] }>;
  abort(): Promise<void>;
}

/** The mail of one authenticated user. */
export interface BackendSession {
  readonly user: string;
  list(reference: string, patterns: string[], options: ListOptions): Promise<ListedMailbox[]>;
  status(mailbox: string, items: StatusItem[]): Promise<StatusAttributes>;
  create(mailbox: string, specialUse?: string[]): Promise<void>;
  delete(mailbox: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  subscribe(mailbox: string): Promise<void>;
  unsubscribe(mailbox: string): Promise<void>;
  select(mailbox: string, options: { readOnly: boolean }): Promise<{ mailbox: SelectedMailbox; state: SelectedState }>;
  /** Start an APPEND to `mailbox` (NONEXISTENT → the client is told TRYCREATE). */
  beginAppend(mailbox: string): Promise<AppendTransaction>;
  /** Largest message accepted (APPENDLIMIT); null for none. */
  readonly appendLimit: number | null;
  /** Present on passthrough sessions: the client connection is handed over after login. */
  readonly takeover?: ConnectionTakeover;
  /**
   * Optional (remote backends): called when the session cannot go on (failover gave up
   * within its budget, the mailbox's UIDVALIDITY changed): the front end sends
   * `* BYE [UNAVAILABLE] reason` and closes. Returns an unsubscribe.
   */
  onTerminate?(listener: (reason: string) => void): () => void;
  /**
   * Optional (remote backends): the front end's post-login capabilities that the backend
   * connection serving this session cannot honour right now (`backendLacks` in
   * capabilities.ts), spelled as advertised. Absent: the session honours all of them.
   *
   * Asked once right after open(): those are left out of the capabilities advertised to the
   * client for the whole session (tagged OK [CAPABILITY] of LOGIN/AUTHENTICATE and every
   * later CAPABILITY), ENABLE does not enable them and commands using them get BAD. Asked
   * again before a command that uses one of the others: after a failover to a host with
   * fewer capabilities, what was advertised cannot be taken back, so that command gets
   * NO [UNAVAILABLE] instead of being carried out wrongly.
   */
  withheldCapabilities?(): ReadonlySet<string>;
  close(): Promise<void>;
}
