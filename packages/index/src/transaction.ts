import { IndexInputError } from "./errors.js";
import { parseFlags } from "./flags.js";
import { KEYWORD_WORDS, MAX_KEYWORDS, MAX_MESSAGE_SIZE } from "./format.js";
import type { MessageRecord } from "./message-table.js";
import type { Operation, Transaction } from "./operations.js";
import type { MailboxState } from "./state.js";
import { parseUidSet, type UidRanges, type UidSetInput } from "./uid-set.js";

/** A message to append: everything but the UID and MODSEQ, which the index assigns. */
export interface AppendInput {
  /** 16 bytes. */
  guid: Uint8Array;
  size: number;
  /** Milliseconds since the epoch. */
  internalDate: number;
  /** xxh64 of the message blob. */
  contentHash: bigint;
  /** System flags and keywords, e.g. ["\\Seen", "$Forwarded"]. */
  flags?: readonly string[];
}

export type StoreMode = "add" | "remove" | "replace";

export interface StoreOptions {
  /** CONDSTORE UNCHANGEDSINCE: messages whose MODSEQ is above it are not changed but reported. */
  unchangedSince?: number;
}

export interface CommitResult {
  /** Sequence number of the transaction in the log (0 when it changed nothing). */
  seq: number;
  /** UIDs assigned to the appends, in order. */
  appended: number[];
  /** Messages whose flags or keywords changed, with their new MODSEQ. */
  modified: { uid: number; modseq: number }[];
  /** UIDs that failed UNCHANGEDSINCE (RFC 7162 MODIFIED response code). */
  failedUnchangedSince: number[];
  /** UIDs expunged. */
  expunged: number[];
  uidNext: number;
  highestModseq: number;
}

/** A validated request of a write transaction (resolved against the state at commit). */
export type Request =
  | { kind: "append"; input: AppendInput; system: number; keywords: string[] }
  | {
      kind: "store";
      ranges: UidRanges | string;
      mode: StoreMode;
      system: number;
      keywords: string[];
      unchangedSince?: number;
    }
  | { kind: "expunge"; ranges: UidRanges | string }
  | { kind: "recent" };

function checkAppend(input: AppendInput): void {
  if (typeof input !== "object" || input === null) throw new IndexInputError("append needs a message description");
  if (!(input.guid instanceof Uint8Array) || input.guid.byteLength !== 16)
    throw new IndexInputError("guid must be 16 bytes");
  if (!Number.isInteger(input.size) || input.size < 0 || input.size > MAX_MESSAGE_SIZE) {
    throw new IndexInputError(`size must be an integer in 0..${MAX_MESSAGE_SIZE}: got ${String(input.size)}`);
  }
  if (!Number.isSafeInteger(input.internalDate))
    throw new IndexInputError("internalDate must be an integer number of milliseconds");
  if (typeof input.contentHash !== "bigint" || input.contentHash < 0n || input.contentHash >= 1n << 64n) {
    throw new IndexInputError("contentHash must be a 64-bit unsigned bigint");
  }
}

/**
 * A write transaction: requests are validated when made (bad input throws
 * IndexInputError and nothing is queued) and resolved against the mailbox at commit, in
 * commit order. `commit()` resolves only once the transaction is durable in the log.
 */
export class WriteTransaction {
  /** Made with the first request (most transactions have one: see `append`). */
  private requests: Request[] | undefined;
  private committed = false;

  /**
   * `committer` resolves the requests (with buildTransaction) and makes them durable. It is
   * one function per index, shared by all its transactions: no closure per transaction.
   */
  constructor(private readonly committer: (requests: readonly Request[]) => Promise<CommitResult>) {}

  /** Append a message; its UID is in `CommitResult.appended` (in call order). */
  append(input: AppendInput): this {
    this.open();
    checkAppend(input);
    const { system, keywords } = parseFlags(input.flags ?? []);
    this.requests = append(this.requests, { kind: "append", input, system, keywords });
    return this;
  }

  /** Add, remove or replace flags and keywords on a UID set (missing UIDs are ignored). */
  store(uids: UidSetInput, mode: StoreMode, flags: readonly string[], options: StoreOptions = {}): this {
    this.open();
    if (mode !== "add" && mode !== "remove" && mode !== "replace")
      throw new IndexInputError(`bad store mode ${String(mode)}`);
    const { system, keywords } = parseFlags(flags);
    const u = options.unchangedSince;
    if (u !== undefined && (!Number.isSafeInteger(u) || u < 0))
      throw new IndexInputError("unchangedSince must be a non-negative integer");
    const ranges = typeof uids === "string" && uids.includes("*") ? uids : parseUidSet(uids);
    if (typeof ranges === "string") parseUidSet(ranges, 1);
    this.requests = append(this.requests, { kind: "store", ranges, mode, system, keywords, unchangedSince: u });
    return this;
  }

  /** Expunge a UID set (missing UIDs are ignored). */
  expunge(uids: UidSetInput): this {
    this.open();
    const ranges = typeof uids === "string" && uids.includes("*") ? uids : parseUidSet(uids);
    if (typeof ranges === "string") parseUidSet(ranges, 1);
    this.requests = append(this.requests, { kind: "expunge", ranges });
    return this;
  }

  /**
   * Claim `\Recent`: messages from the current first-recent UID up to UIDNEXT stop being
   * recent for later sessions (the session that selects first is the one that sees them).
   */
  claimRecent(): this {
    this.open();
    this.requests = append(this.requests, { kind: "recent" });
    return this;
  }

  get size(): number {
    return this.requests?.length ?? 0;
  }

  commit(): Promise<CommitResult> {
    this.open();
    this.committed = true;
    return this.committer(this.requests ?? []);
  }

  private open(): void {
    if (this.committed) throw new IndexInputError("transaction already committed");
  }
}

export interface Built {
  txn: Transaction | undefined;
  result: CommitResult;
}

/** Per-transaction overlay entry: the latest flags of a message this transaction changes. */
interface Pending {
  uid: number;
  flags: number;
  keywords: Uint32Array;
  position: number;
  changed: boolean;
}

/**
 * Resolve requests against the state into a transaction (pure: the state is not changed).
 *
 * This runs once per commit on the write path (a flag change of one message is the common
 * case, and group commit makes its CPU cost the limit of concurrent throughput): containers
 * are made only when a request needs them, and no closure is created per commit.
 */
export function buildTransaction(state: MailboxState, requests: readonly Request[]): Built {
  const modseq = state.highestModseq + 1;
  const kw: KeywordResolver = { state, defines: undefined, newIds: undefined };
  const t = state.messages;

  let appends: Operation[] | undefined;
  const result: CommitResult = {
    seq: 0,
    appended: [],
    modified: [],
    failedUnchangedSince: [],
    expunged: [],
    uidNext: state.uidNext,
    highestModseq: state.highestModseq,
  };
  let uidNext = state.uidNext;
  // Overlay, in first-touched order: the latest flags of messages this transaction changes.
  // The first message touched is kept in `first`; the map is made for the second (a flag
  // change of one message, the common case, makes no map).
  let first: Pending | undefined;
  let overlay: Map<number, Pending> | undefined;
  let expunged: Set<number> | undefined;
  let recent = false;

  for (const req of requests) {
    switch (req.kind) {
      case "append": {
        if (uidNext > 0xffff_ffff) throw new IndexInputError("UID space exhausted: a new UIDVALIDITY is needed");
        const record: MessageRecord = {
          uid: uidNext++,
          flags: req.system,
          keywords: maskOf(kw, req.keywords),
          modseq,
          size: req.input.size,
          internalDate: req.input.internalDate,
          guid: req.input.guid.slice(0, 16),
          contentHash: req.input.contentHash,
        };
        appends ??= [];
        appends.push({ op: "append", record });
        result.appended.push(record.uid);
        break;
      }
      case "store": {
        const ranges = typeof req.ranges === "string" ? parseUidSet(req.ranges, t.lastUid()) : req.ranges;
        const mask = maskInto(kw, req.keywords, storeMask);
        const mode = req.mode;
        for (let r = 0; r < ranges.length; r += 2) {
          const high = ranges[r + 1]!;
          for (let i = t.lowerBound(ranges[r]!); i < t.count && t.uids[i]! <= high; i++) {
            const uid = t.uids[i]!;
            if (expunged?.has(uid)) continue;
            if (req.unchangedSince !== undefined && t.modseqs[i]! > req.unchangedSince) {
              result.failedUnchangedSince.push(uid);
              continue;
            }
            let cur = first?.uid === uid ? first : overlay?.get(uid);
            if (!cur) {
              cur = { uid, flags: t.flags[i]!, keywords: t.keywordsAt(i), position: i, changed: false };
              if (!first) first = cur;
              else {
                overlay ??= new Map([[first.uid, first]]);
                overlay.set(uid, cur);
              }
            }
            const before = cur.flags;
            if (mode === "add") cur.flags |= req.system;
            else if (mode === "remove") cur.flags &= ~req.system;
            else cur.flags = req.system;
            let changed = before !== cur.flags;
            const words = cur.keywords;
            for (let w = 0; w < KEYWORD_WORDS; w++) {
              const old = words[w]!;
              const next = mode === "add" ? old | mask[w]! : mode === "remove" ? old & ~mask[w]! : mask[w]!;
              if (next !== old) {
                words[w] = next;
                changed = true;
              }
            }
            if (changed) cur.changed = true;
          }
        }
        break;
      }
      case "expunge": {
        const ranges = typeof req.ranges === "string" ? parseUidSet(req.ranges, t.lastUid()) : req.ranges;
        for (let r = 0; r < ranges.length; r += 2) {
          const high = ranges[r + 1]!;
          for (let i = t.lowerBound(ranges[r]!); i < t.count && t.uids[i]! <= high; i++) {
            expunged ??= new Set();
            expunged.add(t.uids[i]!);
          }
        }
        break;
      }
      case "recent":
        recent = true;
        break;
    }
  }

  // Lists are made with their first element (`append`): an empty array grown by a push
  // gets room for 16, and most commits add one element.
  let ops: Operation[] | undefined = kw.defines;
  if (appends) for (const a of appends) ops = append(ops, a);
  if (first) {
    let modified: CommitResult["modified"] | undefined;
    // `first`, then the map's other entries (the map starts with `first`).
    const rest = overlay?.values();
    rest?.next();
    for (let cur: Pending | undefined = first; cur !== undefined; cur = rest?.next().value) {
      if (!cur.changed || expunged?.has(cur.uid)) continue;
      // Only a real change gets a new MODSEQ (RFC 7162 §3.2: a no-op STORE does not).
      if (sameAsStored(state, cur)) continue;
      ops = append(ops, { op: "setFlags", uid: cur.uid, flags: cur.flags, keywords: cur.keywords, modseq });
      modified = append(modified, { uid: cur.uid, modseq });
    }
    if (modified) {
      if (modified.length > 1) modified.sort((a, b) => a.uid - b.uid);
      result.modified = modified;
    }
  }
  if (expunged) {
    const expungedList = [...expunged].sort((a, b) => a - b);
    for (const uid of expungedList) ops = append(ops, { op: "expunge", uid, modseq });
    result.expunged = expungedList;
  }
  if (recent && state.firstRecentUid !== uidNext) ops = append(ops, { op: "setFirstRecent", uid: uidNext });
  if (result.failedUnchangedSince.length > 1) result.failedUnchangedSince.sort((a, b) => a - b);

  if (ops === undefined) return { txn: undefined, result };
  const changesModseq = appends !== undefined || result.modified.length > 0 || result.expunged.length > 0;
  const txn: Transaction = {
    seq: state.seq + 1,
    uidNext,
    highestModseq: changesModseq ? modseq : state.highestModseq,
    ops,
  };
  result.seq = txn.seq;
  result.uidNext = uidNext;
  result.highestModseq = txn.highestModseq;
  return { txn, result };
}

/** `list` with `item` added; a new one-element list when there is none yet. */
function append<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}

/** Keyword numbers for one transaction: known ones, and new ones it defines (in order). */
interface KeywordResolver {
  state: MailboxState;
  defines: Operation[] | undefined;
  /** Lower-cased name → number, for keywords this transaction defines. */
  newIds: Map<string, number> | undefined;
}

function keywordId(kw: KeywordResolver, name: string): number {
  const known = kw.state.keywords.find(name) ?? kw.newIds?.get(name.toLowerCase());
  if (known !== undefined) return known;
  const id = kw.state.keywords.size + (kw.newIds?.size ?? 0);
  if (id >= MAX_KEYWORDS) throw new IndexInputError(`a mailbox holds at most ${MAX_KEYWORDS} keywords`);
  kw.newIds ??= new Map();
  kw.newIds.set(name.toLowerCase(), id);
  kw.defines ??= [];
  kw.defines.push({ op: "defineKeyword", id, name });
  return id;
}

function maskOf(kw: KeywordResolver, names: readonly string[]): Uint32Array {
  return maskInto(kw, names, new Uint32Array(KEYWORD_WORDS));
}

/**
 * The keyword mask of a store request, reused by every request: it is read only inside
 * that request's loop in buildTransaction, never kept (what is kept, the overlay's words,
 * is a copy).
 */
const storeMask = new Uint32Array(KEYWORD_WORDS);

function maskInto(kw: KeywordResolver, names: readonly string[], words: Uint32Array): Uint32Array {
  words.fill(0);
  for (const n of names) {
    const id = keywordId(kw, n);
    words[id >>> 5]! |= 1 << (id & 31);
  }
  return words;
}

/** The overlay's flags equal what the mailbox already stores for that message. */
function sameAsStored(state: MailboxState, cur: Pending): boolean {
  const t = state.messages;
  if (cur.flags !== t.flags[cur.position] || cur.keywords[0] !== t.keywords0[cur.position]) return false;
  const extra = t.extraKeywords.size > 0 ? t.extraKeywords.get(cur.uid) : undefined;
  for (let w = 1; w < KEYWORD_WORDS; w++) if ((extra?.[w - 1] ?? 0) !== cur.keywords[w]) return false;
  return true;
}

/**
 * Tombstone retention: the trim operation to add to a transaction that expunges `added`
 * messages at `modseq` when that would leave more than `max` tombstones. Trimming raises
 * the floor below which QRESYNC answers with every missing UID instead of exact ones.
 */
export function tombstoneTrim(state: MailboxState, max: number, added: number, modseq: number): Operation | undefined {
  const excess = state.tombstones.count + added - max;
  if (added === 0 || excess <= 0) return undefined;
  const floor = excess <= state.tombstones.count ? state.tombstones.modseqs[excess - 1]! : modseq;
  return { op: "trimTombstones", floor };
}
