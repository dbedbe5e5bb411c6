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

type Request =
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
  private readonly requests: Request[] = [];
  private committed = false;

  constructor(private readonly committer: (build: (state: MailboxState) => Built) => Promise<CommitResult>) {}

  /** Append a message; its UID is in `CommitResult.appended` (in call order). */
  append(input: AppendInput): this {
    this.open();
    checkAppend(input);
    const { system, keywords } = parseFlags(input.flags ?? []);
    this.requests.push({ kind: "append", input, system, keywords });
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
    this.requests.push({ kind: "store", ranges, mode, system, keywords, unchangedSince: u });
    return this;
  }

  /** Expunge a UID set (missing UIDs are ignored). */
  expunge(uids: UidSetInput): this {
    this.open();
    const ranges = typeof uids === "string" && uids.includes("*") ? uids : parseUidSet(uids);
    if (typeof ranges === "string") parseUidSet(ranges, 1);
    this.requests.push({ kind: "expunge", ranges });
    return this;
  }

  /**
   * Claim `\Recent`: messages from the current first-recent UID up to UIDNEXT stop being
   * recent for later sessions (the session that selects first is the one that sees them).
   */
  claimRecent(): this {
    this.open();
    this.requests.push({ kind: "recent" });
    return this;
  }

  get size(): number {
    return this.requests.length;
  }

  commit(): Promise<CommitResult> {
    this.open();
    this.committed = true;
    const requests = this.requests;
    return this.committer((state) => build(state, requests));
  }

  private open(): void {
    if (this.committed) throw new IndexInputError("transaction already committed");
  }
}

export interface Built {
  txn: Transaction | undefined;
  result: CommitResult;
}

/** Resolve requests against the state into a transaction (pure: the state is not changed). */
function build(state: MailboxState, requests: readonly Request[]): Built {
  const modseq = state.highestModseq + 1;
  const defines: Operation[] = [];
  const newKeywordIds = new Map<string, number>();
  const keywordId = (name: string): number => {
    const known = state.keywords.find(name) ?? newKeywordIds.get(name.toLowerCase());
    if (known !== undefined) return known;
    const id = state.keywords.size + newKeywordIds.size;
    if (id >= MAX_KEYWORDS) throw new IndexInputError(`a mailbox holds at most ${MAX_KEYWORDS} keywords`);
    newKeywordIds.set(name.toLowerCase(), id);
    defines.push({ op: "defineKeyword", id, name });
    return id;
  };
  const maskOf = (names: readonly string[]): Uint32Array => {
    const words = new Uint32Array(KEYWORD_WORDS);
    for (const n of names) {
      const id = keywordId(n);
      words[id >>> 5]! |= 1 << (id & 31);
    }
    return words;
  };
  const t = state.messages;
  const largest = () => t.lastUid();
  const resolve = (r: UidRanges | string) => (typeof r === "string" ? parseUidSet(r, largest()) : r);

  const appends: Operation[] = [];
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
  // Per-transaction overlay: the latest flags of messages this transaction changes.
  const overlay = new Map<number, { flags: number; keywords: Uint32Array; position: number; changed: boolean }>();
  const expunged = new Set<number>();
  let recent = false;

  for (const req of requests) {
    switch (req.kind) {
      case "append": {
        if (uidNext > 0xffff_ffff) throw new IndexInputError("UID space exhausted: a new UIDVALIDITY is needed");
        const record: MessageRecord = {
          uid: uidNext++,
          flags: req.system,
          keywords: maskOf(req.keywords),
          modseq,
          size: req.input.size,
          internalDate: req.input.internalDate,
          guid: req.input.guid.slice(0, 16),
          contentHash: req.input.contentHash,
        };
        appends.push({ op: "append", record });
        result.appended.push(record.uid);
        break;
      }
      case "store": {
        const ranges = resolve(req.ranges);
        const mask = maskOf(req.keywords);
        for (let r = 0; r < ranges.length; r += 2) {
          for (let i = t.lowerBound(ranges[r]!); i < t.count && t.uids[i]! <= ranges[r + 1]!; i++) {
            const uid = t.uids[i]!;
            if (expunged.has(uid)) continue;
            if (req.unchangedSince !== undefined && t.modseqs[i]! > req.unchangedSince) {
              result.failedUnchangedSince.push(uid);
              continue;
            }
            let cur = overlay.get(uid);
            if (!cur) {
              cur = { flags: t.flags[i]!, keywords: t.keywordsAt(i), position: i, changed: false };
              overlay.set(uid, cur);
            }
            const before = cur.flags;
            const beforeWords = cur.keywords.slice();
            if (req.mode === "add") cur.flags |= req.system;
            else if (req.mode === "remove") cur.flags &= ~req.system;
            else cur.flags = req.system;
            for (let w = 0; w < KEYWORD_WORDS; w++) {
              if (req.mode === "add") cur.keywords[w]! |= mask[w]!;
              else if (req.mode === "remove") cur.keywords[w]! &= ~mask[w]!;
              else cur.keywords[w] = mask[w]!;
            }
            if (before !== cur.flags || beforeWords.some((v, w) => v !== cur!.keywords[w])) cur.changed = true;
          }
        }
        break;
      }
      case "expunge": {
        const ranges = resolve(req.ranges);
        for (let r = 0; r < ranges.length; r += 2) {
          for (let i = t.lowerBound(ranges[r]!); i < t.count && t.uids[i]! <= ranges[r + 1]!; i++)
            expunged.add(t.uids[i]!);
        }
        break;
      }
      case "recent":
        recent = true;
        break;
    }
  }

  const ops: Operation[] = [...defines, ...appends];
  for (const [uid, cur] of overlay) {
    if (!cur.changed || expunged.has(uid)) continue;
    // Only a real change gets a new MODSEQ (RFC 7162 §3.2: a no-op STORE does not).
    const same =
      cur.flags === t.flags[cur.position] && t.keywordsAt(cur.position).every((v, w) => v === cur.keywords[w]);
    if (same) continue;
    ops.push({ op: "setFlags", uid, flags: cur.flags, keywords: cur.keywords, modseq });
    result.modified.push({ uid, modseq });
  }
  result.modified.sort((a, b) => a.uid - b.uid);
  const expungedList = [...expunged].sort((a, b) => a - b);
  for (const uid of expungedList) ops.push({ op: "expunge", uid, modseq });
  result.expunged = expungedList;
  if (recent && state.firstRecentUid !== uidNext) ops.push({ op: "setFirstRecent", uid: uidNext });
  result.failedUnchangedSince.sort((a, b) => a - b);

  if (ops.length === 0) return { txn: undefined, result };
  const changesModseq = appends.length > 0 || result.modified.length > 0 || expungedList.length > 0;
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
