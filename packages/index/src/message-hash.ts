import { xxh64 } from "@holdfast/checksum";
import { KEYWORD_WORDS, MESSAGE_HASH_SEED } from "./format.js";
import type { KeywordTable } from "./keyword-table.js";
import type { MessageTable } from "./message-table.js";

/*
 * The per-message hash of the mailbox digest, computed without BigInt arithmetic.
 *
 * Definition (docs/index-format.md, "Mailbox digest"): xxh64, seeded with
 * MESSAGE_HASH_SEED, of 40 bytes: UID u32, system flags u32, MODSEQ u64, keyword hash u64
 * (XOR of the xxh64 of each set keyword's lower-cased name), GUID 16 bytes, all
 * little-endian; the digest is the XOR of that hash over every message.
 *
 * XOR works bit by bit, so a 64-bit XOR is the XOR of the low 32-bit halves beside the XOR
 * of the high halves: the digest and the keyword hash are kept as two uint32 numbers, and
 * the only BigInt per message hash is the one xxh64 returns (read back as halves through a
 * DataView, which allocates nothing). The tests compare it with a BigInt implementation of
 * the definition (test/message-hash.test.ts).
 */

/** A 64-bit value as two unsigned 32-bit halves. */
export interface Halves {
  lo: number;
  hi: number;
}

const TWO_32 = 4294967296;
/** The 40 hashed bytes, written as ten uint32 words (the index runs on little-endian hosts only). */
const input = new Uint8Array(40);
const inputWords = new Uint32Array(input.buffer);
const split = new DataView(new ArrayBuffer(8));

/** `acc ^= value` on 64-bit values given as halves. */
export function xorHalves(acc: Halves, lo: number, hi: number): void {
  acc.lo = (acc.lo ^ lo) >>> 0;
  acc.hi = (acc.hi ^ hi) >>> 0;
}

/** Halves of a bigint in [0, 2^64) (no BigInt arithmetic: written and read back). */
export function toHalves(value: bigint, out: Halves): Halves {
  split.setBigUint64(0, value, true);
  out.lo = split.getUint32(0, true);
  out.hi = split.getUint32(4, true);
  return out;
}

/** The bigint of two halves. */
export function fromHalves(lo: number, hi: number): bigint {
  split.setUint32(0, lo, true);
  split.setUint32(4, hi, true);
  return split.getBigUint64(0, true);
}

/**
 * XOR the keyword hash of one mask word (keywords 32*w .. 32*w+31) into `acc`.
 * Bits without a defined keyword are ignored (they hash as nothing).
 */
function xorKeywordWord(keywords: KeywordTable, w: number, bits: number, acc: Halves): void {
  const words = keywords.nameHashWords;
  while (bits !== 0) {
    const b = 31 - Math.clz32(bits & -bits);
    bits &= bits - 1;
    const k = (w * 32 + b) * 2;
    if (k < words.length) {
      acc.lo = (acc.lo ^ words[k]!) >>> 0;
      acc.hi = (acc.hi ^ words[k + 1]!) >>> 0;
    }
  }
}

/*
 * A message's hashed fields as nine uint32 words ("entry"): UID, flags, keyword word 0,
 * MODSEQ low and high, GUID as four little-endian words. Keyword words 1..7 are not in an
 * entry: a message that has any is hashed at once (see PendingHashes.add).
 */
const ENTRY = 9;

function captureAt(table: MessageTable, i: number, out: Uint32Array, at: number): void {
  const modseq = table.modseqs[i]!;
  out[at] = table.uids[i]!;
  out[at + 1] = table.flags[i]!;
  out[at + 2] = table.keywords0[i]!;
  out[at + 3] = modseq >>> 0;
  out[at + 4] = Math.floor(modseq / TWO_32);
  const g = table.guids;
  for (let w = 0, b = i * 16; w < 4; w++, b += 4)
    out[at + 5 + w] = (g[b]! | (g[b + 1]! << 8) | (g[b + 2]! << 16) | (g[b + 3]! << 24)) >>> 0;
}

const keywordHash: Halves = { lo: 0, hi: 0 };
const messageHash: Halves = { lo: 0, hi: 0 };

/** XOR the hash of the entry at `at` (with keyword words 1..7 from `extra`, if any) into `acc`. */
function xorEntryHash(
  keywords: KeywordTable,
  entry: Uint32Array,
  at: number,
  extra: Uint32Array | undefined,
  acc: Halves,
): void {
  keywordHash.lo = 0;
  keywordHash.hi = 0;
  xorKeywordWord(keywords, 0, entry[at + 2]!, keywordHash);
  if (extra) for (let w = 1; w < KEYWORD_WORDS; w++) xorKeywordWord(keywords, w, extra[w - 1]!, keywordHash);
  inputWords[0] = entry[at]!;
  inputWords[1] = entry[at + 1]!;
  inputWords[2] = entry[at + 3]!;
  inputWords[3] = entry[at + 4]!;
  inputWords[4] = keywordHash.lo;
  inputWords[5] = keywordHash.hi;
  inputWords[6] = entry[at + 5]!;
  inputWords[7] = entry[at + 6]!;
  inputWords[8] = entry[at + 7]!;
  inputWords[9] = entry[at + 8]!;
  toHalves(xxh64(input, MESSAGE_HASH_SEED), messageHash);
  xorHalves(acc, messageHash.lo, messageHash.hi);
}

const scratch = new Uint32Array(ENTRY);

/**
 * XOR the hash of the message at position `i` of `table` (as stored there now) into `acc`.
 * Allocates nothing but the bigint xxh64 returns.
 */
export function xorMessageHashAt(table: MessageTable, keywords: KeywordTable, i: number, acc: Halves): void {
  captureAt(table, i, scratch, 0);
  const extra = table.extraKeywords.size > 0 ? table.extraKeywords.get(table.uids[i]!) : undefined;
  xorEntryHash(keywords, scratch, 0, extra, acc);
}

/** Entries queued before PendingHashes hashes them itself (bounds its memory: ~147 KB). */
const MAX_PENDING = 4096;

/**
 * Message hashes owed to a digest, captured now and hashed later.
 *
 * Why: a commit changes the digest by the hash of the message before and after the change,
 * two xxh64 calls, a third of the CPU of a one-message flag change. Capturing the fields
 * (nine words copied) and hashing them while the log write and fdatasync run takes that
 * work off the path between one group commit and the next.
 *
 * Invariants: an entry holds copies of the fields, so later changes to the table do not
 * change what it hashes to; the keyword names its bits refer to never change (numbers are
 * never reused), and a bit with no name yet hashes as nothing, so the owner drains before
 * a keyword is defined (a later name would otherwise count for a bit that had none).
 */
export class PendingHashes {
  private entries = new Uint32Array(ENTRY * 64);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Owe the hash of the message at position `i` (as stored now) to `acc`. A message with
   * keyword words past the first is hashed at once (rare: keywords numbered 32 and up).
   */
  add(table: MessageTable, keywords: KeywordTable, i: number, acc: Halves): void {
    if (table.extraKeywords.size > 0 && table.extraKeywords.has(table.uids[i]!)) {
      xorMessageHashAt(table, keywords, i, acc);
      return;
    }
    if (this.count === MAX_PENDING) this.drain(keywords, acc);
    if ((this.count + 1) * ENTRY > this.entries.length) {
      const grown = new Uint32Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    captureAt(table, i, this.entries, this.count * ENTRY);
    this.count++;
  }

  /** Hash every owed entry into `acc` (XOR: order does not matter). */
  drain(keywords: KeywordTable, acc: Halves): void {
    for (let k = 0; k < this.count; k++) xorEntryHash(keywords, this.entries, k * ENTRY, undefined, acc);
    this.count = 0;
  }

  /** Forget every owed entry (the digest they were owed to was replaced). */
  clear(): void {
    this.count = 0;
  }
}
