import { IndexError } from "./errors.js";
import { KeywordTable } from "./keyword-table.js";
import { fromHalves, type Halves, PendingHashes, toHalves, xorMessageHashAt } from "./message-hash.js";
import { type MessageRecord, MessageTable } from "./message-table.js";
import type { Operation, Transaction } from "./operations.js";

/** Replay found a transaction that does not fit the state (a bug or undetected damage). */
export class ReplayError extends IndexError {
  override name = "ReplayError";
}

/** A committed change, as the change feed reports it (see ReadView.sync). */
export type Change =
  | { kind: "append"; uid: number; modseq: number }
  | { kind: "flags"; uid: number; modseq: number; before: FlagState }
  | { kind: "expunge"; uid: number; modseq: number; before: MessageRecord };

export interface FlagState {
  flags: number;
  keywords: Uint32Array;
  modseq: number;
}

/**
 * Expunged UIDs with the MODSEQ of their expunge, in expunge order (so MODSEQ ascending).
 * `floor`: every expunge with MODSEQ > floor is here; older ones may have been trimmed.
 */
export class Tombstones {
  count = 0;
  uids = new Uint32Array(16);
  modseqs = new Float64Array(16);
  floor = 0;

  push(uid: number, modseq: number): void {
    if (this.count === this.uids.length) {
      const n = this.count * 2;
      const u = new Uint32Array(n);
      u.set(this.uids);
      const m = new Float64Array(n);
      m.set(this.modseqs);
      this.uids = u;
      this.modseqs = m;
    }
    this.uids[this.count] = uid;
    this.modseqs[this.count] = modseq;
    this.count++;
  }

  /** Drop every tombstone with MODSEQ <= floor. */
  trim(floor: number): void {
    let k = 0;
    while (k < this.count && this.modseqs[k]! <= floor) k++;
    this.uids.copyWithin(0, k, this.count);
    this.modseqs.copyWithin(0, k, this.count);
    this.count -= k;
    if (floor > this.floor) this.floor = floor;
  }

  /** First position with MODSEQ > modseq. */
  firstAfter(modseq: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.modseqs[mid]! <= modseq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The whole state of a mailbox in memory. Mutated only through `apply` (and by the
 * snapshot loader), so every path — commit, replay, rebuild — goes through the same code.
 */
export class MailboxState {
  uidValidity = 0;
  uidNext = 1;
  highestModseq = 0;
  firstRecentUid = 1;
  /** Sequence number of the last transaction included. */
  seq = 0;
  /**
   * XOR of messageHash over every message, as uint32 halves (see message-hash.ts): every
   * change XORs a message's hash out and in again, and halves need no BigInt for that.
   */
  private readonly digestHalves: Halves = { lo: 0, hi: 0 };
  /**
   * Hashes owed to digestHalves (see PendingHashes): `digest` hashes them before it is
   * read, and the write path calls settleDigest while its log write runs.
   */
  private readonly owed = new PendingHashes();
  readonly keywords = new KeywordTable();
  messages: MessageTable;
  readonly tombstones = new Tombstones();

  constructor(capacity = 16) {
    this.messages = new MessageTable(capacity);
  }

  /** XOR of messageHash over every message (the on-disk u64 of the snapshot header). */
  get digest(): bigint {
    this.settleDigest();
    return fromHalves(this.digestHalves.lo, this.digestHalves.hi);
  }

  /** Replaces the digest (loaded or recomputed from every message): nothing is owed to it. */
  set digest(value: bigint) {
    this.owed.clear();
    toHalves(value, this.digestHalves);
  }

  /** Hash what the digest is owed by applied transactions (cheap when nothing is). */
  settleDigest(): void {
    if (this.owed.size > 0) this.owed.drain(this.keywords, this.digestHalves);
  }

  /** Owe the digest the hash of the message at position i, as stored now. */
  private owe(i: number): void {
    this.owed.add(this.messages, this.keywords, i, this.digestHalves);
  }

  /** Recompute the digest from every message (verify; the loader trusts the stored one). */
  computeDigest(): bigint {
    const d: Halves = { lo: 0, hi: 0 };
    for (let i = 0; i < this.messages.count; i++) xorMessageHashAt(this.messages, this.keywords, i, d);
    return fromHalves(d.lo, d.hi);
  }

  /**
   * Apply one transaction. `changes`, when given, receives what the change feed reports
   * (with the values before, for read views that are behind). Throws ReplayError when the
   * transaction does not fit (then the state may be half-applied: callers discard it).
   */
  apply(txn: Transaction, changes?: Change[], lenient?: Set<number>): void {
    if (txn.seq !== this.seq + 1) throw new ReplayError(`transaction ${txn.seq} does not follow ${this.seq}`);
    // Made on the first expunge: most transactions (a flag change) have none.
    let expungePositions: Set<number> | undefined;
    for (const op of txn.ops) {
      if (lenient && (op.op === "setFlags" || op.op === "expunge")) {
        // Salvage replay over a state with withheld messages: a change to a message that
        // is not there is skipped and its UID reported, never applied to a guess.
        const i = this.messages.indexOf(op.uid);
        if (i < 0 || expungePositions?.has(i)) {
          lenient.add(op.uid);
          if (op.op === "expunge") this.tombstones.push(op.uid, op.modseq);
          continue;
        }
      }
      if (op.op === "expunge") expungePositions ??= new Set();
      this.applyOp(op, changes, expungePositions);
    }
    if (expungePositions && expungePositions.size > 0) {
      this.messages.removePositions([...expungePositions].sort((a, b) => a - b));
    }
    if (!lenient && (txn.uidNext < this.uidNext || txn.highestModseq < this.highestModseq)) {
      throw new ReplayError(`transaction ${txn.seq} moves UIDNEXT or HIGHESTMODSEQ backwards`);
    }
    this.uidNext = Math.max(this.uidNext, txn.uidNext);
    this.highestModseq = Math.max(this.highestModseq, txn.highestModseq);
    this.seq = txn.seq;
  }

  /** `expungePositions` is set whenever `op` is an expunge (apply makes it on the first). */
  private applyOp(op: Operation, changes: Change[] | undefined, expungePositions: Set<number> | undefined): void {
    const t = this.messages;
    switch (op.op) {
      case "append": {
        const r = op.record;
        if (r.uid <= t.lastUid() || r.uid < this.uidNext) {
          throw new ReplayError(`append of UID ${r.uid} below UIDNEXT ${this.uidNext} or the last UID`);
        }
        t.push(r);
        this.owe(t.count - 1);
        changes?.push({ kind: "append", uid: r.uid, modseq: r.modseq });
        return;
      }
      case "setFlags": {
        const i = t.indexOf(op.uid);
        if (i < 0 || expungePositions?.has(i)) throw new ReplayError(`flag change on missing UID ${op.uid}`);
        // The values before are copied only for the change feed (when a read view exists).
        if (changes) {
          const before: FlagState = { flags: t.flags[i]!, keywords: t.keywordsAt(i), modseq: t.modseqs[i]! };
          changes.push({ kind: "flags", uid: op.uid, modseq: op.modseq, before });
        }
        // Out with the message's hash as stored, in with it as stored after the change.
        this.owe(i);
        t.setFlagsAt(i, op.flags, op.keywords);
        t.modseqs[i] = op.modseq;
        this.owe(i);
        return;
      }
      case "expunge": {
        const i = t.indexOf(op.uid);
        if (i < 0 || expungePositions!.has(i)) throw new ReplayError(`expunge of missing UID ${op.uid}`);
        this.owe(i);
        expungePositions!.add(i);
        this.tombstones.push(op.uid, op.modseq);
        changes?.push({ kind: "expunge", uid: op.uid, modseq: op.modseq, before: t.recordAt(i) });
        return;
      }
      case "defineKeyword":
        if (op.id !== this.keywords.size) throw new ReplayError(`keyword ${op.id} defined out of order`);
        // A bit set before its name existed hashed as nothing: settle before it gets one.
        this.settleDigest();
        this.keywords.add(op.id, op.name);
        return;
      case "setUidValidity":
        this.uidValidity = op.uidValidity;
        return;
      case "setFirstRecent":
        this.firstRecentUid = op.uid;
        return;
      case "trimTombstones":
        this.tombstones.trim(op.floor);
        return;
    }
  }
}
