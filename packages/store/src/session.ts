import type { Readable } from "node:stream";
import type { MessageInfo, ReadView, SyncResult } from "@holdfast/index";
import type { MessageSource } from "./blob-store.js";
import { MailboxNotFoundError, StoreClosedError } from "./errors.js";
import type { ChangeSink, MailboxHandle } from "./mailbox-handle.js";
import type { MessageStructure } from "./mime-adapter.js";
import type { SearchKey, SearchResult } from "./search.js";
import type {
  AppendOptions,
  AppendResult,
  CopyResult,
  FlagStoreMode,
  FlagStoreResult,
  MoveResult,
  UidSet,
} from "./types.js";
import type { UserStore } from "./user-store.js";

/**
 * A selected mailbox: a read view (the message list as this session knows it) plus the
 * change feed. Changes committed by anyone (this session, other sessions, other callers)
 * reach the view only through `sync()`, in commit order, so the caller decides when its
 * client may be told (the IMAP rules on when EXPUNGE may be sent stay with the front end).
 *
 * Two ways to follow changes: `onChange(cb)` (a wake-up with no data; call sync() when the
 * protocol allows) or `subscribe(cb)` (the session syncs at once and hands over each
 * non-empty SyncResult). Use one or the other: a sync consumes the changes it returns.
 */
export class MailboxSession implements ChangeSink {
  private readonly wakeups = new Set<() => void>();
  private readonly pushes = new Set<(changes: SyncResult) => void>();
  private waiters: (() => void)[] = [];
  private scheduled = false;
  private closeReason: string | undefined;

  constructor(
    private readonly owner: UserStore,
    readonly handle: MailboxHandle,
    private readonly view: ReadView,
    readonly readOnly: boolean,
    private readonly onClose: (session: MailboxSession) => void,
  ) {}

  /** Mailbox id (stable across renames). */
  get mailboxId(): number {
    return this.handle.id;
  }

  /** Current name of the mailbox. */
  get mailboxName(): string {
    return this.handle.name;
  }

  get uidValidity(): number {
    return this.view.uidValidity;
  }

  get uidNext(): number {
    return this.view.uidNext;
  }

  get highestModseq(): number {
    return this.view.highestModseq;
  }

  /** Messages in the view. */
  get count(): number {
    return this.view.count;
  }

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  /** UIDs in the view, ascending (sequence number n is uids()[n-1]: the front end's business). */
  uids(): number[] {
    this.check();
    return Array.from(this.view.uids());
  }

  /** One message as of the last sync (flags, MODSEQ, size, internal date, GUID...). */
  message(uid: number): MessageInfo | undefined {
    this.check();
    return this.view.get(uid);
  }

  /** Every message as of the last sync, ascending UID. */
  messages(): MessageInfo[] {
    this.check();
    const out: MessageInfo[] = [];
    for (const uid of this.view.uids()) {
      const m = this.view.get(uid);
      if (m) out.push(m);
    }
    return out;
  }

  /** UIDs with \Recent for this session. */
  recentUids(): number[] {
    return this.uids().filter((u) => u >= this.view.firstRecentUid);
  }

  /**
   * UIDs expunged with a MODSEQ above `modseq` (QRESYNC VANISHED (EARLIER)); `exact` is false
   * when the tombstones no longer reach that far back (then every missing UID is listed).
   */
  expungedSince(modseq: number): { exact: boolean; uids: number[] } {
    this.check();
    return this.handle.index.expungedSince(modseq);
  }

  /**
   * Move the view to the latest durable state: what was expunged, appended and changed since.
   * While that state shows an append whose blob is not durable yet (its index entry and its
   * blob are made durable in parallel), the view stays where it is and the result is empty;
   * the append's completion wakes the session again.
   */
  sync(): SyncResult {
    this.check();
    if (this.held()) return this.unchanged();
    return this.view.sync();
  }

  /** True while the next sync would show an append that is not acknowledged yet. */
  private held(): boolean {
    return this.handle.unsettledShown({ cursor: this.view.cursor }).length > 0;
  }

  private unchanged(): SyncResult {
    return {
      expunged: [],
      appended: [],
      changed: [],
      uidNext: this.view.uidNext,
      highestModseq: this.view.highestModseq,
      count: this.view.count,
    };
  }

  /** Wake-up callback on new changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.wakeups.add(listener);
    return () => this.wakeups.delete(listener);
  }

  /** Push mode: every change, synced and delivered in order; returns the unsubscribe function. */
  subscribe(listener: (changes: SyncResult) => void): () => void {
    this.pushes.add(listener);
    return () => this.pushes.delete(listener);
  }

  /** Resolves at the next change (or when the session closes): IDLE. */
  waitForChange(): Promise<void> {
    if (this.closeReason !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** @internal ChangeSink */
  signal(): void {
    if (this.scheduled || this.closeReason !== undefined) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.closeReason !== undefined) return;
      // Held back: the append that holds it calls notify() again when it is settled.
      if (this.held()) return;
      if (this.pushes.size > 0) {
        let changes: SyncResult;
        try {
          changes = this.view.sync();
        } catch (error) {
          // The view fell too far behind (its feed was trimmed): the front end must reselect.
          this.closed(`change feed lost: ${(error as Error).message}`);
          return;
        }
        if (changes.appended.length + changes.expunged.length + changes.changed.length > 0)
          for (const p of this.pushes) callSafely(() => p(changes));
      }
      for (const w of this.wakeups) callSafely(w);
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
  }

  /** @internal ChangeSink */
  closed(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    this.view.close();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    for (const w of this.wakeups) callSafely(w);
  }

  // Operations on this mailbox, by UID --------------------------------------------------

  /** A message of this session's view (also one expunged since the last sync), or MailboxNotFoundError. */
  private known(uid: number): MessageInfo {
    const m = this.message(uid);
    if (!m) throw new MailboxNotFoundError(`UID ${uid} is not in this session's view of ${this.handle.name}`);
    return m;
  }

  /** The raw message (verified first). MessageExpungedError when it was expunged and its blob is gone. */
  async readMessage(uid: number): Promise<Buffer> {
    return this.owner.readMessageIn(this.handle, uid, this.known(uid));
  }

  async openMessage(uid: number): Promise<Readable> {
    return this.owner.openMessageIn(this.handle, uid, this.known(uid));
  }

  /** BODYSTRUCTURE / BODY / ENVELOPE / RFC822.SIZE from the structure cache. */
  async structure(uid: number): Promise<MessageStructure> {
    return this.owner.structureIn(this.handle, uid, this.known(uid));
  }

  /** SEARCH over this session's view (as of its last sync). */
  async search(key: SearchKey): Promise<SearchResult> {
    this.check();
    return this.owner.searchIn(this.handle, this.view.uids(), (uid) => this.view.get(uid), key);
  }

  async append(message: MessageSource, options?: AppendOptions): Promise<AppendResult> {
    this.checkWritable();
    return this.owner.appendTo(this.handle, message, options);
  }

  async storeFlags(
    uids: UidSet,
    mode: FlagStoreMode,
    flags: readonly string[],
    options?: { unchangedSince?: number },
  ): Promise<FlagStoreResult> {
    this.checkWritable();
    return this.owner.storeFlagsIn(this.handle, uids, mode, flags, options);
  }

  /** EXPUNGE (uids undefined) or UID EXPUNGE: removes \Deleted messages. */
  async expunge(uids?: UidSet): Promise<number[]> {
    this.checkWritable();
    return this.owner.expungeUids(this.handle, uids, true);
  }

  async copy(uids: UidSet, to: string): Promise<CopyResult> {
    this.check();
    return this.owner.copyBetween(this.handle, uids, await this.owner.handleByName(to));
  }

  async move(uids: UidSet, to: string): Promise<MoveResult> {
    this.checkWritable();
    return this.owner.moveBetween(this.handle, uids, await this.owner.handleByName(to));
  }

  private checkWritable(): void {
    this.check();
    if (this.readOnly) throw new StoreClosedError(`mailbox ${this.handle.name} was selected read-only (EXAMINE)`);
  }

  /** Deselect. */
  close(): void {
    if (this.closeReason !== undefined) return;
    this.closed("session closed");
    this.onClose(this);
  }

  private check(): void {
    if (this.closeReason !== undefined) throw new StoreClosedError(`mailbox session closed: ${this.closeReason}`);
  }
}

/** A listener that throws must not break the feed of the others (nor escape as uncaught). */
function callSafely(fn: () => void): void {
  try {
    fn();
  } catch {
    // the listener's own failure; the feed goes on
  }
}
