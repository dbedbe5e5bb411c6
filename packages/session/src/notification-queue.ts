import type { MailboxChange, MessageState, Notification } from "./changes.js";
import { FlagSetTable } from "./flag-sets.js";
import type { FlushPermission } from "./flush-rules.js";
import { SequenceMap } from "./sequence-map.js";
import { rangesOf } from "./sequence-set.js";

interface PendingMessage {
  uid: number;
  flagSet: number;
  modseq: bigint;
}

export interface NotificationQueueOptions {
  /** QRESYNC is enabled: expunges go out as one VANISHED instead of EXPUNGEs (RFC 7162 §3.2.10). */
  qresync?: boolean;
}

/**
 * The changes a client is owed, held until the protocol lets them out.
 *
 * Changes arrive at any time from the backend's change feed (or a resync) in UIDs. They
 * leave through flush(), at a point where the caller is writing responses, with the
 * permission of that point (flush-rules.ts): expunges only where allowed; new messages
 * (EXISTS) and flag changes (FETCH) whenever responses go out. The SequenceMap is updated
 * exactly as the notifications returned describe, so it stays equal to the client's view.
 *
 * Coalescing: any number of new messages become one EXISTS; several flag changes of one
 * message become one FETCH with the latest flags; a message that arrives and vanishes
 * before the client heard of it is never mentioned; flag changes of a message about to be
 * expunged are dropped; a flag "change" to what the client already has is not sent.
 */
export class NotificationQueue {
  private qresync: boolean;
  private readonly appends: PendingMessage[] = [];
  private readonly expunges = new Set<number>();
  private readonly flagChanges = new Map<number, { flagSet: number; modseq: bigint }>();
  private problem: string | null = null;

  constructor(
    readonly map: SequenceMap = new SequenceMap(),
    readonly flagSets: FlagSetTable = new FlagSetTable(),
    options: NotificationQueueOptions = {},
  ) {
    this.qresync = options.qresync ?? false;
  }

  /** Switch to VANISHED for expunges (after ENABLE QRESYNC). */
  enableQresync(): void {
    this.qresync = true;
  }

  /** True when something is waiting to be sent. */
  get hasPending(): boolean {
    return this.appends.length > 0 || this.expunges.size > 0 || this.flagChanges.size > 0;
  }

  /** The client still sees this message but it is gone from the mailbox (EXPUNGE not sent yet). */
  isExpungePending(uid: number): boolean {
    return this.expunges.has(uid);
  }

  /**
   * Set when a change could not be applied without lying to the client (a new UID below
   * UIDs the client already knows). The session cannot continue honestly: `* BYE`.
   */
  get inconsistency(): string | null {
    return this.problem;
  }

  /** Highest UID the session has accounted for, sent or pending (new UIDs must be above it). */
  get highestKnownUid(): number {
    const last = this.appends[this.appends.length - 1];
    return last ? last.uid : this.map.highestUidSeen;
  }

  private pendingAppend(uid: number): PendingMessage | undefined {
    // Pending appends are few and ascending: binary search.
    let lo = 0;
    let hi = this.appends.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.appends[mid]!;
      if (m.uid === uid) return m;
      if (m.uid < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Take in one change from the backend. */
  apply(change: MailboxChange): void {
    switch (change.kind) {
      case "append":
        for (const m of change.messages) this.applyAppend(m);
        return;
      case "expunge":
        for (let i = 0; i < change.uids.length; i++) this.applyExpunge(change.uids[i]!);
        return;
      case "flags":
        for (const m of change.messages) this.applyFlags(m);
        return;
    }
  }

  private applyAppend(m: MessageState): void {
    if (this.map.has(m.uid) || this.pendingAppend(m.uid)) {
      this.applyFlags(m);
      return;
    }
    if (m.uid <= this.highestKnownUid) {
      this.problem ??= `the backend reported new UID ${m.uid}, not above UID ${this.highestKnownUid} the client knows`;
      return;
    }
    this.appends.push({ uid: m.uid, flagSet: this.flagSets.intern(m.flags), modseq: m.modseq ?? 0n });
  }

  private applyExpunge(uid: number): void {
    const pending = this.pendingAppend(uid);
    if (pending) {
      this.appends.splice(this.appends.indexOf(pending), 1);
      return;
    }
    if (!this.map.has(uid)) return;
    this.expunges.add(uid);
    this.flagChanges.delete(uid);
  }

  private applyFlags(m: MessageState): void {
    const flagSet = this.flagSets.intern(m.flags);
    const modseq = m.modseq ?? 0n;
    const pending = this.pendingAppend(m.uid);
    if (pending) {
      if (modseq >= pending.modseq || modseq === 0n) Object.assign(pending, { flagSet, modseq });
      return;
    }
    if (!this.map.has(m.uid) || this.expunges.has(m.uid)) return;
    const queued = this.flagChanges.get(m.uid);
    if (queued && modseq !== 0n && modseq < queued.modseq) return; // older news than we hold
    if (!queued) {
      // What the client already has (typically the backend's FETCH answering the client's
      // own FETCH): the flush would send nothing for it, so nothing is queued.
      const known = this.map.attributes(m.uid);
      if (known && known.flagSet === flagSet && (modseq === 0n || modseq === known.modseq)) return;
    }
    this.flagChanges.set(m.uid, { flagSet, modseq });
  }

  /** Drop everything queued (a resync replaces it with what the new backend says). */
  discardPending(): void {
    this.appends.length = 0;
    this.expunges.clear();
    this.flagChanges.clear();
  }

  /**
   * The notifications allowed now, in the order to send them: expunges (if permitted),
   * then EXISTS, then flag FETCHes by ascending sequence number. The map is updated to
   * match. Whatever is not permitted stays queued.
   */
  flush(permission: FlushPermission): Notification[] {
    const out: Notification[] = [];
    if (permission.expunge && this.expunges.size > 0) {
      const uids = Uint32Array.from(this.expunges).sort();
      this.expunges.clear();
      if (this.qresync) {
        for (const uid of uids) this.map.expunge(uid);
        out.push({ type: "vanished", uids: rangesOf(uids) });
      } else {
        // Highest first: each number is then still valid when the client applies it.
        for (let i = uids.length - 1; i >= 0; i--) {
          const seq = this.map.expunge(uids[i]!);
          if (seq !== undefined) out.push({ type: "expunge", seq });
        }
      }
    }
    if (this.appends.length > 0) {
      for (const m of this.appends) this.map.append(m.uid, m.flagSet, m.modseq);
      this.appends.length = 0;
      out.push({ type: "exists", count: this.map.size });
    }
    if (this.flagChanges.size > 0) {
      const fetches: Notification[] = [];
      for (const [uid, next] of this.flagChanges) {
        if (this.expunges.has(uid)) continue; // gone: not worth telling
        const known = this.map.attributes(uid);
        if (!known) continue;
        if (known.flagSet === next.flagSet && (next.modseq === 0n || known.modseq === next.modseq)) continue;
        // Older than what the client was already told (e.g. a STORE answered it directly
        // while this change was queued): sending it would take the client back in time.
        if (next.modseq !== 0n && known.modseq !== 0n && next.modseq <= known.modseq) continue;
        this.map.setAttributes(uid, next.flagSet, next.modseq === 0n ? known.modseq : next.modseq);
        const seq = this.map.seqOf(uid)!;
        const fetch: Notification = { type: "fetch", seq, uid, flags: this.flagSets.flags(next.flagSet) };
        if (next.modseq !== 0n) fetch.modseq = next.modseq;
        fetches.push(fetch);
      }
      this.flagChanges.clear();
      fetches.sort((a, b) => (a as { seq: number }).seq - (b as { seq: number }).seq);
      out.push(...fetches);
    }
    return out;
  }
}
