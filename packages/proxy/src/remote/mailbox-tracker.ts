import { expandSequenceSet, type FetchResponseItem, type SequenceSet, type UntaggedData } from "@holdfast/imap-codec";
import type { MailboxChange, MessageState } from "@holdfast/session";

/*
 * Turns the backend's untagged responses for the selected mailbox into the UID-level
 * MailboxChanges the front end's NotificationQueue takes.
 *
 * State kept per session is small: UIDVALIDITY, the highest UID delivered, the message
 * count, and the MODSEQ up to which every change has been delivered (the QRESYNC point
 * used after a reconnect). Only a backend without QRESYNC needs the sequence → UID list
 * (4 bytes a message), because its EXPUNGE and unsolicited FETCH carry sequence numbers.
 *
 * Invariants:
 * - `append` changes carry UIDs above every UID delivered before, ascending: a FETCH for
 *   a UID above `highestUid` is held until the new-message fetch completes (`takeNew`);
 *   an EXISTS that arrives while that fetch runs asks for one more fetch (the running one
 *   may have been sent before the message existed).
 * - `syncedModseq` is the HIGHESTMODSEQ of the last SELECT or re-select, never a MODSEQ
 *   seen in a FETCH: a FETCH can show a message's new MODSEQ before the backend has told
 *   this session of an expunge with a lower one, and a QRESYNC re-select from past that
 *   expunge would never report it. Re-selecting from an older point only repeats changes
 *   the front end already has (they are no-ops in its queue).
 */

export interface TrackerInit {
  uidValidity: number;
  highestUid: number;
  exists: number;
  highestModseq: bigint;
  /** Sequence → UID, when the backend lacks QRESYNC. */
  uids: number[] | null;
}

export class MailboxTracker {
  uidValidity: number;
  highestUid: number;
  exists: number;
  syncedModseq: bigint;
  uids: number[] | null;
  /** EXISTS grew: there are UIDs above highestUid to fetch. */
  newPending = false;
  /** EXISTS grew again while the new-message fetch was running: fetch once more. */
  private again = false;
  /** New messages seen (FETCH with a UID above highestUid) but not yet delivered. */
  private incoming = new Map<number, MessageState>();

  constructor(
    init: TrackerInit,
    private readonly emit: (change: MailboxChange) => void,
    private readonly onNewMessages: () => void,
  ) {
    this.uidValidity = init.uidValidity;
    this.highestUid = init.highestUid;
    this.exists = init.exists;
    this.syncedModseq = init.highestModseq;
    this.uids = init.uids;
  }

  handle(data: UntaggedData): void {
    switch (data.type) {
      case "EXISTS":
        if (this.uids) while (this.uids.length < data.count) this.uids.push(0);
        if (data.count > this.exists) {
          this.exists = data.count;
          if (!this.newPending) {
            this.newPending = true;
            this.onNewMessages();
          } else this.again = true;
        } else this.exists = data.count;
        return;
      case "EXPUNGE": {
        if (!this.uids) return; // with QRESYNC the backend sends VANISHED instead
        const [uid] = this.uids.splice(data.seq - 1, 1);
        this.exists = Math.max(0, this.exists - 1);
        if (uid) this.gone([uid]);
        return;
      }
      case "VANISHED": {
        if (data.earlier) return; // answers to our own QRESYNC queries, handled there
        const uids = expand(data.uids);
        this.exists = Math.max(0, this.exists - uids.length);
        this.gone(uids);
        return;
      }
      case "FETCH":
        this.fetched(data.seq, data.items);
        return;
      default:
        return;
    }
  }

  private gone(uids: number[]): void {
    const known: number[] = [];
    for (const uid of uids) {
      if (this.incoming.delete(uid)) continue;
      if (uid <= this.highestUid) known.push(uid);
    }
    if (this.uids && uids.length > 0) {
      const set = new Set(uids);
      if (this.uids.some((u) => set.has(u))) this.uids = this.uids.filter((u) => !set.has(u));
    }
    if (known.length > 0) this.emit({ kind: "expunge", uids: known });
  }

  private fetched(seq: number, items: FetchResponseItem[]): void {
    let uid = 0;
    let flags: string[] | null = null;
    let modseq: bigint | undefined;
    for (const item of items) {
      if (item.name === "UID") uid = item.value;
      else if (item.name === "FLAGS") flags = item.value;
      else if (item.name === "MODSEQ") modseq = item.value;
    }
    if (this.uids) {
      if (uid > 0 && seq >= 1 && seq <= this.uids.length) this.uids[seq - 1] = uid;
      else if (uid === 0) uid = this.uids[seq - 1] ?? 0;
    }
    if (uid === 0 || flags === null) return;
    const state: MessageState = modseq !== undefined ? { uid, flags, modseq } : { uid, flags };
    if (uid > this.highestUid) {
      this.incoming.set(uid, state);
      return;
    }
    this.emit({ kind: "flags", messages: [state] });
  }

  /** More messages than the initial list held arrived meanwhile: fetch them. */
  expectNew(): void {
    if (this.newPending) {
      this.again = true;
      return;
    }
    this.newPending = true;
    this.onNewMessages();
  }

  /** The new-message fetch finished: deliver what it found as one ascending append. */
  takeNew(): void {
    this.newPending = false;
    if (this.incoming.size > 0) {
      const messages = [...this.incoming.values()].sort((a, b) => a.uid - b.uid);
      this.incoming.clear();
      this.highestUid = messages[messages.length - 1]!.uid;
      this.emit({ kind: "append", messages });
    }
    if (this.again) {
      this.again = false;
      this.expectNew();
    }
  }
}

/** The UIDs of a set without `*` (VANISHED never has one), bounded. */
export function expand(set: SequenceSet): number[] {
  if (set === "$") return [];
  return expandSequenceSet(set, 0, 10_000_000);
}
