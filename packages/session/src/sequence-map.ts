import { SequenceMapError } from "./errors.js";
import { LiveSlots } from "./live-slots.js";
import { mergeRanges, type NumberRange, type SequenceSet } from "./sequence-set.js";

/** The outcome of resolving a client's sequence set: the numbers, or why the set is invalid. */
export type ResolvedSequenceSet = { ok: true; seqs: Uint32Array } | { ok: false; error: string };

export interface ResolveOptions {
  /** The saved search result (RFC 5182 `$`), as UIDs. Absent: `$` is empty (its initial value). */
  saved?: ArrayLike<number>;
}

const MIN_COMPACT = 1024;

/**
 * The ordered UIDs one client sees in its selected mailbox: message sequence number n is
 * the n-th UID. This is the client's view, not the backend's: it changes only when the
 * session sends the client EXISTS (append) or EXPUNGE/VANISHED (expunge).
 *
 * Storage: UIDs in a Uint32Array by slot, strictly ascending, and a LiveSlots tree of which
 * slots are still present. An expunge marks its slot dead (O(log n)); dead slots keep their
 * UID so binary search still works, and are dropped in one O(n) pass when they outnumber
 * the live ones, which keeps every operation O(log n) amortised at a million messages.
 *
 * Invariants: uids[0..slots.length) strictly ascending; size === slots.liveCount.
 */
export class SequenceMap {
  private uids: Uint32Array;
  /** Per slot: the id of the message's flag set (a FlagSetTable id) as the client last saw it. */
  private flagSets: Uint32Array;
  /** Per slot: the message's MODSEQ as the client last saw it (0 when unknown). */
  private modseqs: BigUint64Array;
  private slots: LiveSlots;
  /** Lookups that had to walk the tree since the last compaction (see maybeCompact). */
  private treeWalks = 0;

  constructor(capacity = 16) {
    const columns = SequenceMap.columns(capacity);
    this.uids = columns.uids;
    this.flagSets = columns.flagSets;
    this.modseqs = columns.modseqs;
    this.slots = new LiveSlots(capacity);
  }

  /**
   * The three per-slot columns in one ArrayBuffer (16 bytes a slot): one allocation and one
   * ArrayBuffer object per map instead of three, which counts with thousands of sessions.
   * MODSEQs come first so they are 8-byte aligned.
   */
  private static columns(capacity: number): { uids: Uint32Array; flagSets: Uint32Array; modseqs: BigUint64Array } {
    const buffer = new ArrayBuffer(capacity * 16);
    return {
      modseqs: new BigUint64Array(buffer, 0, capacity),
      uids: new Uint32Array(buffer, capacity * 8, capacity),
      flagSets: new Uint32Array(buffer, capacity * 12, capacity),
    };
  }

  /**
   * A map of the given UIDs, which must be strictly ascending and in 1..2^32-1, with
   * optional flag-set ids and MODSEQs in the same order. O(n).
   */
  static fromUids(uids: ArrayLike<number>, flagSets?: ArrayLike<number>, modseqs?: ArrayLike<bigint>): SequenceMap {
    const map = new SequenceMap(Math.max(16, uids.length));
    const copy = map.uids;
    if (flagSets) map.flagSets.set(flagSets);
    if (modseqs) map.modseqs.set(modseqs);
    let previous = 0;
    for (let i = 0; i < uids.length; i++) {
      const uid = uids[i]!;
      if (!Number.isInteger(uid) || uid <= previous || uid > 0xffffffff) {
        throw new SequenceMapError(`UIDs must be strictly ascending integers in 1..2^32-1 (at index ${i}: ${uid})`);
      }
      copy[i] = uid;
      previous = uid;
    }
    map.slots = LiveSlots.allAlive(uids.length);
    return map;
  }

  /** Number of messages the client sees (its EXISTS count). */
  get size(): number {
    return this.slots.liveCount;
  }

  /** The UID of sequence number `seq`, or undefined if there is no such message. */
  uidAt(seq: number): number | undefined {
    if (!this.slots.allAlive) this.countTreeWalk(); // may compact: slots move, so look up after
    if (this.slots.allAlive) return seq >= 1 && seq <= this.slots.length ? this.uids[seq - 1] : undefined;
    const slot = this.slots.select(seq);
    return slot < 0 ? undefined : this.uids[slot];
  }

  /** The sequence number of `uid`, or undefined if the client does not see it. */
  seqOf(uid: number): number | undefined {
    if (!this.slots.allAlive) this.countTreeWalk(); // may compact: slots move, so look up after
    const slot = this.slotOf(uid);
    if (slot < 0 || !this.slots.isAlive(slot)) return undefined;
    return this.slots.allAlive ? slot + 1 : this.slots.prefix(slot + 1);
  }

  has(uid: number): boolean {
    const slot = this.slotOf(uid);
    return slot >= 0 && this.slots.isAlive(slot);
  }

  /** Highest UID the client sees, 0 when empty. */
  get lastUid(): number {
    const n = this.slots.length;
    for (let s = n - 1; s >= 0; s--) if (this.slots.isAlive(s)) return this.uids[s]!;
    return 0;
  }

  /** Highest UID the client was ever shown in this map (expunged or not): appends must exceed it. */
  get highestUidSeen(): number {
    return this.slots.length === 0 ? 0 : this.uids[this.slots.length - 1]!;
  }

  /** The flag-set id and MODSEQ the client last saw for `uid`, or undefined. */
  attributes(uid: number): { flagSet: number; modseq: bigint } | undefined {
    const slot = this.slotOf(uid);
    if (slot < 0 || !this.slots.isAlive(slot)) return undefined;
    return { flagSet: this.flagSets[slot]!, modseq: this.modseqs[slot]! };
  }

  /** Record that the client was told new flags / MODSEQ for `uid`. Returns false if absent. */
  setAttributes(uid: number, flagSet: number, modseq: bigint): boolean {
    const slot = this.slotOf(uid);
    if (slot < 0 || !this.slots.isAlive(slot)) return false;
    this.flagSets[slot] = flagSet;
    this.modseqs[slot] = modseq;
    return true;
  }

  /** Add a message at the end (the client was told EXISTS). Returns its sequence number. */
  append(uid: number, flagSet = 0, modseq = 0n): number {
    if (!Number.isInteger(uid) || uid <= this.highestUidSeen || uid > 0xffffffff) {
      throw new SequenceMapError(`appended UID ${uid} is not above the last UID ${this.highestUidSeen}`);
    }
    const slot = this.slots.length;
    if (slot === this.uids.length) {
      this.resize(this.uids.length * 2);
    }
    this.uids[slot] = uid;
    this.flagSets[slot] = flagSet;
    this.modseqs[slot] = modseq;
    this.slots.push();
    return this.slots.liveCount;
  }

  /** Remove a message (the client was told EXPUNGE). Returns the sequence number it had. */
  expunge(uid: number): number | undefined {
    const slot = this.slotOf(uid);
    if (slot < 0 || !this.slots.isAlive(slot)) return undefined;
    const seq = this.slots.prefix(slot + 1);
    this.slots.kill(slot);
    this.maybeCompact();
    return seq;
  }

  /** All UIDs in sequence order. */
  toUids(): Uint32Array {
    const out = new Uint32Array(this.size);
    let j = 0;
    for (let s = 0; s < this.slots.length; s++) if (this.slots.isAlive(s)) out[j++] = this.uids[s]!;
    return out;
  }

  /**
   * Resolve a set of message sequence numbers. Per RFC 9051 §6.4 a number above the
   * message count (including `*` in an empty mailbox) makes the command invalid: the
   * result says why, for a BAD. The numbers come back ascending and without repeats.
   */
  resolveSequenceSet(set: SequenceSet, options: ResolveOptions = {}): ResolvedSequenceSet {
    if (set === "$") {
      const seqs: number[] = [];
      for (let i = 0; i < (options.saved?.length ?? 0); i++) {
        const seq = this.seqOf(options.saved![i]!);
        if (seq !== undefined) seqs.push(seq);
      }
      return { ok: true, seqs: Uint32Array.from(seqs).sort() };
    }
    const size = this.size;
    const ranges: NumberRange[] = [];
    for (const r of set) {
      const a = r.start === "*" ? size : r.start;
      const b = r.end === "*" ? size : r.end;
      const hi = Math.max(a, b);
      if (size === 0) return { ok: false, error: "the mailbox is empty: no message sequence numbers are valid" };
      if (hi > size || Math.min(a, b) < 1) {
        return { ok: false, error: `message sequence number ${hi} is out of range (the mailbox has ${size})` };
      }
      ranges.push({ lo: Math.min(a, b), hi });
    }
    const merged = mergeRanges(ranges);
    const out = new Uint32Array(merged.reduce((n, r) => n + r.hi - r.lo + 1, 0));
    let j = 0;
    for (const r of merged) for (let seq = r.lo; seq <= r.hi; seq++) out[j++] = seq;
    return { ok: true, seqs: out };
  }

  /**
   * Resolve a UID set to the UIDs the client sees, ascending. UIDs that do not exist are
   * ignored, and `n:*` includes the last message even when n is above every UID
   * (RFC 9051 §6.4.9), so a UID set is never invalid for lack of messages.
   */
  resolveUidSet(set: SequenceSet, options: ResolveOptions = {}): Uint32Array {
    if (set === "$") {
      const saved = options.saved ? Array.from(options.saved).filter((uid) => this.has(uid)) : [];
      return Uint32Array.from(saved).sort();
    }
    const last = this.lastUid;
    const ranges: NumberRange[] = [];
    for (const r of set) {
      const a = r.start === "*" ? last : r.start;
      const b = r.end === "*" ? last : r.end;
      ranges.push({ lo: Math.min(a, b), hi: Math.max(a, b) });
    }
    const found: number[] = [];
    for (const r of mergeRanges(ranges)) {
      for (let s = this.lowerBound(r.lo); s < this.slots.length && this.uids[s]! <= r.hi; s++) {
        if (this.slots.isAlive(s)) found.push(this.uids[s]!);
      }
    }
    return Uint32Array.from(found);
  }

  /** First slot whose UID is ≥ uid (slots.length if none). */
  private lowerBound(uid: number): number {
    let lo = 0;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.uids[mid]! < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private slotOf(uid: number): number {
    const slot = this.lowerBound(uid);
    return slot < this.slots.length && this.uids[slot] === uid ? slot : -1;
  }

  private resize(capacity: number): void {
    const { uids, flagSets, modseqs } = SequenceMap.columns(capacity);
    const n = Math.min(capacity, this.slots.length);
    uids.set(this.uids.subarray(0, n));
    flagSets.set(this.flagSets.subarray(0, n));
    modseqs.set(this.modseqs.subarray(0, n));
    this.uids = uids;
    this.flagSets = flagSets;
    this.modseqs = modseqs;
  }

  /**
   * Reads after expunges walk the tree (O(log n)); reads with no dead slot do not. Once
   * the walks since the last compaction reach an eighth of the map, compacting (O(n)) is
   * paid for by them, and every later read is direct again.
   */
  private countTreeWalk(): void {
    if (++this.treeWalks >= Math.max(MIN_COMPACT, this.slots.length >>> 3)) this.compact();
  }

  private maybeCompact(): void {
    const total = this.slots.length;
    const live = this.slots.liveCount;
    if (total >= MIN_COMPACT && total - live > live) this.compact();
  }

  /** Drop dead slots in one O(n) pass. */
  private compact(): void {
    this.treeWalks = 0;
    const total = this.slots.length;
    const live = this.slots.liveCount;
    if (live === total) return;
    // The highest UID ever appended stays the floor for the next append even if it was
    // expunged: a dead tail is dropped here, so it survives as a dead sentinel slot.
    const floor = this.highestUidSeen;
    let j = 0;
    for (let s = 0; s < total; s++) {
      if (!this.slots.isAlive(s)) continue;
      this.uids[j] = this.uids[s]!;
      this.flagSets[j] = this.flagSets[s]!;
      this.modseqs[j] = this.modseqs[s]!;
      j++;
    }
    this.slots = LiveSlots.allAlive(live);
    this.resize(Math.max(16, live * 2));
    if (floor > (live ? this.uids[live - 1]! : 0)) {
      this.uids[live] = floor;
      this.slots.kill(this.slots.push());
    }
  }
}
