import { KEYWORD_WORDS } from "./format.js";

/*
 * The messages of a mailbox as a struct of arrays: one typed array per field, sorted by
 * UID, no object per message. At a million messages that is about 53 bytes each
 * (uid 4 + flags 1 + keywords 4 + modseq 8 + size 4 + date 8 + guid 16 + content hash 8),
 * and loading is a copy out of the snapshot blocks.
 *
 * Keywords 0..31 are a bit mask per message; the rare message with a keyword numbered 32
 * or higher keeps its other mask words in `extraKeywords` (UID → words 1..7).
 *
 * Invariant: uids[0..count) is strictly increasing.
 */

/** One message, as handed to callers (a copy; changing it changes nothing). */
export interface MessageRecord {
  uid: number;
  /** System flag bits (see SystemFlag). */
  flags: number;
  /** Keyword mask words: word w bit b is keyword number 32*w+b. Length KEYWORD_WORDS. */
  keywords: Uint32Array;
  modseq: number;
  size: number;
  /** Internal date, milliseconds since the epoch. */
  internalDate: number;
  /** 16-byte message GUID. */
  guid: Uint8Array;
  /** xxh64 of the message blob. */
  contentHash: bigint;
}

const EXTRA_WORDS = KEYWORD_WORDS - 1;

/** One column array of a MessageTable. */
export type Column = Uint8Array | Uint32Array | Float64Array;

export class MessageTable {
  count = 0;
  uids: Uint32Array;
  flags: Uint8Array;
  keywords0: Uint32Array;
  modseqs: Float64Array;
  sizes: Uint32Array;
  dates: Float64Array;
  guids: Uint8Array;
  /** Content hashes as (low, high) 32-bit word pairs: no BigInt per message on load. */
  hashWords: Uint32Array;
  readonly extraKeywords = new Map<number, Uint32Array>();

  constructor(capacity = 16) {
    const n = Math.max(capacity, 1);
    this.uids = new Uint32Array(n);
    this.flags = new Uint8Array(n);
    this.keywords0 = new Uint32Array(n);
    this.modseqs = new Float64Array(n);
    this.sizes = new Uint32Array(n);
    this.dates = new Float64Array(n);
    this.guids = new Uint8Array(n * 16);
    this.hashWords = new Uint32Array(n * 2);
  }

  get capacity(): number {
    return this.uids.length;
  }

  /** The eight column arrays (each `capacity` entries of its width: byteLength / capacity). */
  columns(): Column[] {
    return [this.uids, this.flags, this.keywords0, this.modseqs, this.sizes, this.dates, this.guids, this.hashWords];
  }

  private grow(needed: number): void {
    const capacity = Math.max(needed, Math.ceil(this.capacity * 1.25) + 16);
    const copy = <T extends Uint8Array | Uint32Array | Float64Array>(old: T, make: (n: number) => T, per = 1): T => {
      const next = make(capacity * per);
      next.set(old.subarray(0, this.count * per) as never);
      return next;
    };
    this.uids = copy(this.uids, (n) => new Uint32Array(n));
    this.flags = copy(this.flags, (n) => new Uint8Array(n));
    this.keywords0 = copy(this.keywords0, (n) => new Uint32Array(n));
    this.modseqs = copy(this.modseqs, (n) => new Float64Array(n));
    this.sizes = copy(this.sizes, (n) => new Uint32Array(n));
    this.dates = copy(this.dates, (n) => new Float64Array(n));
    this.guids = copy(this.guids, (n) => new Uint8Array(n), 16);
    this.hashWords = copy(this.hashWords, (n) => new Uint32Array(n), 2);
  }

  /** Reserve room so that `extra` more messages can be added without reallocating. */
  reserve(extra: number): void {
    if (this.count + extra > this.capacity) this.grow(this.count + extra);
  }

  /**
   * Position of the UID last found by indexOf or lowerBound. A commit looks a message up
   * twice (resolving the request, then applying the operation): the second lookup is one
   * comparison instead of a binary search over the whole column. Only a hint: it is used
   * when uids[hint] is the UID asked for, which (UIDs strictly increasing) makes it that
   * UID's position whatever happened to the table since.
   */
  private hint = 0;

  /** Position of `uid`, or -1. */
  indexOf(uid: number): number {
    const uids = this.uids;
    if (this.hint < this.count && uids[this.hint] === uid) return this.hint;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = uids[mid]!;
      if (u < uid) lo = mid + 1;
      else if (u > uid) hi = mid - 1;
      else {
        this.hint = mid;
        return mid;
      }
    }
    return -1;
  }

  /** First position whose UID is >= uid (count when none). */
  lowerBound(uid: number): number {
    const uids = this.uids;
    if (this.hint < this.count && uids[this.hint] === uid) return this.hint;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (uids[mid]! < uid) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.count && uids[lo] === uid) this.hint = lo;
    return lo;
  }

  lastUid(): number {
    return this.count === 0 ? 0 : this.uids[this.count - 1]!;
  }

  /** Add a message at the end. Caller guarantees record.uid > lastUid(). */
  push(record: MessageRecord): void {
    if (this.count === this.capacity) this.grow(this.count + 1);
    const i = this.count++;
    this.uids[i] = record.uid;
    this.setFlagsAt(i, record.flags, record.keywords);
    this.modseqs[i] = record.modseq;
    this.sizes[i] = record.size;
    this.dates[i] = record.internalDate;
    this.guids.set(record.guid, i * 16);
    this.setHashAt(i, record.contentHash);
  }

  setFlagsAt(i: number, flags: number, keywords: Uint32Array): void {
    this.flags[i] = flags;
    this.keywords0[i] = keywords[0]!;
    const uid = this.uids[i]!;
    let extra = false;
    for (let w = 1; w < KEYWORD_WORDS; w++) if (keywords[w]) extra = true;
    if (extra) this.extraKeywords.set(uid, keywords.slice(1, KEYWORD_WORDS));
    else if (this.extraKeywords.size > 0) this.extraKeywords.delete(uid);
  }

  hashAt(i: number): bigint {
    return (BigInt(this.hashWords[i * 2 + 1]!) << 32n) | BigInt(this.hashWords[i * 2]!);
  }

  setHashAt(i: number, hash: bigint): void {
    this.hashWords[i * 2] = Number(hash & 0xffff_ffffn);
    this.hashWords[i * 2 + 1] = Number((hash >> 32n) & 0xffff_ffffn);
  }

  /** All keyword words of the message at position i (a new array). */
  keywordsAt(i: number): Uint32Array {
    const out = new Uint32Array(KEYWORD_WORDS);
    out[0] = this.keywords0[i]!;
    if (this.extraKeywords.size === 0) return out;
    const extra = this.extraKeywords.get(this.uids[i]!);
    if (extra) out.set(extra.subarray(0, EXTRA_WORDS), 1);
    return out;
  }

  recordAt(i: number): MessageRecord {
    return {
      uid: this.uids[i]!,
      flags: this.flags[i]!,
      keywords: this.keywordsAt(i),
      modseq: this.modseqs[i]!,
      size: this.sizes[i]!,
      internalDate: this.dates[i]!,
      guid: this.guids.slice(i * 16, i * 16 + 16),
      contentHash: this.hashAt(i),
    };
  }

  /**
   * Remove the messages at the given positions (sorted ascending, distinct), keeping the
   * order of the others. One pass however many are removed.
   */
  removePositions(positions: readonly number[]): void {
    if (positions.length === 0) return;
    for (const p of positions) this.extraKeywords.delete(this.uids[p]!);
    let write = positions[0]!;
    for (let k = 0; k < positions.length; k++) {
      const from = positions[k]! + 1;
      const to = k + 1 < positions.length ? positions[k + 1]! : this.count;
      if (to > from) {
        this.uids.copyWithin(write, from, to);
        this.flags.copyWithin(write, from, to);
        this.keywords0.copyWithin(write, from, to);
        this.modseqs.copyWithin(write, from, to);
        this.sizes.copyWithin(write, from, to);
        this.dates.copyWithin(write, from, to);
        this.guids.copyWithin(write * 16, from * 16, to * 16);
        this.hashWords.copyWithin(write * 2, from * 2, to * 2);
        write += to - from;
      }
    }
    this.count = write;
  }
}
