import { IndexClosedError, ViewExpiredError } from "./errors.js";
import { systemFlagNames } from "./flags.js";
import type { MessageRecord } from "./message-table.js";
import type { Change, MailboxState } from "./state.js";

/** One message as a view shows it. */
export interface MessageInfo {
  uid: number;
  /** System flags and keywords, e.g. ["\\Seen", "$Forwarded"] (without \Recent). */
  flags: string[];
  /** System flag bits (SystemFlag). */
  systemFlags: number;
  keywords: string[];
  modseq: number;
  size: number;
  internalDate: number;
  guid: Uint8Array;
  contentHash: bigint;
  /** \Recent: UID at or above the first-recent UID when the view last synced. */
  recent: boolean;
}

/** What changed between two syncs of a view. */
export interface SyncResult {
  /** UIDs that left the mailbox (EXPUNGE / VANISHED), ascending. */
  expunged: number[];
  /** UIDs that arrived (EXISTS), ascending. */
  appended: number[];
  /** Messages still present whose flags, keywords or MODSEQ changed (FETCH), ascending. */
  changed: { uid: number; modseq: number }[];
  uidNext: number;
  highestModseq: number;
  /** Message count after the sync. */
  count: number;
}

/** What a view needs from its index. */
export interface ChangesSince {
  durable: readonly Change[];
  from: number;
  pending: readonly Change[];
}

/** The state a message had at a view's point, for the messages changed since (oldest change wins). */
function statesAtView(since: ChangesSince): Map<number, Change> {
  const first = new Map<number, Change>();
  for (let k = since.from; k < since.durable.length; k++) {
    const c = since.durable[k]!;
    if (!first.has(c.uid)) first.set(c.uid, c);
  }
  for (const c of since.pending) if (!first.has(c.uid)) first.set(c.uid, c);
  return first;
}

export interface ViewHost {
  readonly state: MailboxState;
  /** Change number just past the last durable change. */
  journalEnd(): number;
  /**
   * Durable changes from `cursor` on — `durable[from]` onwards (the host's own journal, not a
   * copy: read it before yielding) — then the not-yet-durable ones; undefined if trimmed.
   */
  changesSince(cursor: number): ChangesSince | undefined;
  /** The view synced: its cursor moved forward from `from`. */
  viewMoved(view: ReadView, from: number): void;
  /** The view closed (called once): its changes need no longer be kept for it. */
  releaseView(view: ReadView): void;
}

/**
 * A consistent view of a mailbox: its message list (hence sequence numbers), counters and
 * message attributes are those of the moment it was opened or last synced, whatever is
 * committed meanwhile. `sync()` moves it to the latest durable state and returns what
 * changed: the feed an IMAP session turns into EXPUNGE/EXISTS/FETCH.
 */
export class ReadView {
  private uidList: Uint32Array;
  private length: number;
  private closed = false;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  firstRecentUid: number;

  /** @internal created by MailboxIndex.view() when no commit is in flight. */
  constructor(
    private readonly host: ViewHost,
    /** Change number this view has seen up to. */
    public cursor: number,
  ) {
    const s = host.state;
    this.length = s.messages.count;
    this.uidList = s.messages.uids.slice(0, Math.max(this.length, 1));
    this.uidValidity = s.uidValidity;
    this.uidNext = s.uidNext;
    this.highestModseq = s.highestModseq;
    this.firstRecentUid = s.firstRecentUid;
  }

  get count(): number {
    return this.length;
  }

  /** UIDs in sequence-number order (a copy). */
  uids(): Uint32Array {
    return this.uidList.slice(0, this.length);
  }

  /** UID of sequence number `seq` (1-based), or undefined. */
  uidAt(seq: number): number | undefined {
    return seq >= 1 && seq <= this.length ? this.uidList[seq - 1] : undefined;
  }

  /** Sequence number of `uid`, or undefined. */
  seqOf(uid: number): number | undefined {
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = this.uidList[mid]!;
      if (u < uid) lo = mid + 1;
      else if (u > uid) hi = mid - 1;
      else return mid + 1;
    }
    return undefined;
  }

  /**
   * Every message's UID, system flags, first keyword word and MODSEQ as of the last sync, as
   * parallel typed arrays in sequence order (what SELECT/QRESYNC need in one go). A straight
   * copy when nothing was committed since; otherwise rebuilt message by message.
   */
  listing(): { uids: Uint32Array; flags: Uint8Array; keywords0: Uint32Array; modseqs: Float64Array } {
    this.check();
    const since = this.host.changesSince(this.cursor);
    if (!since) throw new ViewExpiredError("the change feed of this view was trimmed: open a new view");
    const n = this.length;
    const t = this.host.state.messages;
    if (since.durable.length === since.from && since.pending.length === 0) {
      return {
        uids: t.uids.slice(0, n),
        flags: t.flags.slice(0, n),
        keywords0: t.keywords0.slice(0, n),
        modseqs: t.modseqs.slice(0, n),
      };
    }
    // The current table, corrected for the messages changed since this view's point: one
    // pass over the changes and one merge walk (both UID lists ascend).
    const out = {
      uids: this.uids(),
      flags: new Uint8Array(n),
      keywords0: new Uint32Array(n),
      modseqs: new Float64Array(n),
    };
    const atView = statesAtView(since);
    let i = 0;
    for (let k = 0; k < n; k++) {
      const uid = out.uids[k]!;
      const c = atView.get(uid);
      if (c !== undefined && c.kind !== "append") {
        out.flags[k] = c.before.flags;
        out.keywords0[k] = c.before.keywords[0]!;
        out.modseqs[k] = c.before.modseq;
        continue;
      }
      while (i < t.count && t.uids[i]! < uid) i++;
      out.flags[k] = t.flags[i]!;
      out.keywords0[k] = t.keywords0[i]!;
      out.modseqs[k] = t.modseqs[i]!;
    }
    return out;
  }

  /** A message as of this view's last sync, or undefined when the view does not have it. */
  get(uid: number): MessageInfo | undefined {
    this.check();
    if (this.seqOf(uid) === undefined) return undefined;
    const s = this.host.state;
    const i = s.messages.indexOf(uid);
    let record: MessageRecord | undefined = i >= 0 ? s.messages.recordAt(i) : undefined;
    const since = this.host.changesSince(this.cursor);
    if (!since) throw new ViewExpiredError("the change feed of this view was trimmed: open a new view");
    // Undo, newest first, what happened after this view's point.
    const undo = (c: Change) => {
      if (c.uid !== uid) return;
      if (c.kind === "expunge") record = { ...c.before };
      else if (c.kind === "flags" && record)
        record = { ...record, flags: c.before.flags, keywords: c.before.keywords, modseq: c.before.modseq };
    };
    for (let k = since.pending.length - 1; k >= 0; k--) undo(since.pending[k]!);
    for (let k = since.durable.length - 1; k >= since.from; k--) undo(since.durable[k]!);
    if (!record) return undefined;
    const keywords = s.keywords.namesOf(record.keywords);
    return {
      uid,
      flags: [...systemFlagNames(record.flags), ...keywords],
      systemFlags: record.flags,
      keywords,
      modseq: record.modseq,
      size: record.size,
      internalDate: record.internalDate,
      guid: record.guid,
      contentHash: record.contentHash,
      recent: uid >= this.firstRecentUid,
    };
  }

  /** Move to the latest durable state; returns the changes since the last sync. */
  sync(): SyncResult {
    this.check();
    const since = this.host.changesSince(this.cursor);
    if (!since) throw new ViewExpiredError("the change feed of this view was trimmed: open a new view");
    const expunged = new Set<number>();
    const appended: number[] = [];
    const changed = new Map<number, number>();
    const durable = since.durable.slice(since.from);
    for (const c of durable) {
      if (c.kind === "append") appended.push(c.uid);
      else if (c.kind === "expunge") expunged.add(c.uid);
      else changed.set(c.uid, c.modseq);
    }
    // Remove expunged UIDs the view had (appended-then-expunged ones never show up).
    const appendedSet = new Set(appended);
    if (expunged.size > 0) {
      let w = 0;
      for (let r = 0; r < this.length; r++) {
        const u = this.uidList[r]!;
        if (!expunged.has(u)) this.uidList[w++] = u;
      }
      this.length = w;
    }
    const newcomers = appended.filter((u) => !expunged.has(u));
    if (this.length + newcomers.length > this.uidList.length) {
      const grown = new Uint32Array(Math.max(16, (this.length + newcomers.length) * 1.25) | 0);
      grown.set(this.uidList.subarray(0, this.length));
      this.uidList = grown;
    }
    for (const u of newcomers) this.uidList[this.length++] = u;
    const from = this.cursor;
    this.cursor += durable.length;
    const s = this.host.state;
    // Counters of the durable state: the in-memory ones may include commits in flight.
    let uidNext = this.uidNext;
    let highest = this.highestModseq;
    for (const c of durable) {
      if (c.kind === "append") uidNext = Math.max(uidNext, c.uid + 1);
      highest = Math.max(highest, c.modseq);
    }
    if (since.pending.length === 0) {
      uidNext = s.uidNext;
      highest = s.highestModseq;
      this.firstRecentUid = s.firstRecentUid;
    }
    this.uidNext = uidNext;
    this.highestModseq = highest;
    this.host.viewMoved(this, from);
    return {
      expunged: [...expunged].filter((u) => !appendedSet.has(u)).sort((a, b) => a - b),
      appended: newcomers,
      changed: [...changed]
        .filter(([u]) => !expunged.has(u) && !appendedSet.has(u))
        .map(([uid, modseq]) => ({ uid, modseq }))
        .sort((a, b) => a.uid - b.uid),
      uidNext,
      highestModseq: highest,
      count: this.length,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.releaseView(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private check(): void {
    if (this.closed) throw new IndexClosedError("read view is closed");
  }
}
