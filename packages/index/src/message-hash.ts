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
 * DataView, which allocates nothing). MailboxState.messageHash is the BigInt form of the
 * same definition, kept as the reference the tests compare against.
 */

/** A 64-bit value as two unsigned 32-bit halves. */
export interface Halves {
  lo: number;
  hi: number;
}

const TWO_32 = 4294967296;
const input = new Uint8Array(40);
const inputView = new DataView(input.buffer);
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
 * Bits without a defined keyword are ignored, as in KeywordTable.hashOf.
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

const keywordHash: Halves = { lo: 0, hi: 0 };
const messageHash: Halves = { lo: 0, hi: 0 };

/**
 * XOR the hash of the message at position `i` of `table` (as stored there now) into `acc`.
 * Allocates nothing but the bigint xxh64 returns.
 */
export function xorMessageHashAt(table: MessageTable, keywords: KeywordTable, i: number, acc: Halves): void {
  keywordHash.lo = 0;
  keywordHash.hi = 0;
  xorKeywordWord(keywords, 0, table.keywords0[i]!, keywordHash);
  if (table.extraKeywords.size > 0) {
    const extra = table.extraKeywords.get(table.uids[i]!);
    if (extra) for (let w = 1; w < KEYWORD_WORDS; w++) xorKeywordWord(keywords, w, extra[w - 1]!, keywordHash);
  }
  const modseq = table.modseqs[i]!;
  inputView.setUint32(0, table.uids[i]!, true);
  inputView.setUint32(4, table.flags[i]!, true);
  inputView.setUint32(8, modseq >>> 0, true);
  inputView.setUint32(12, Math.floor(modseq / TWO_32), true);
  inputView.setUint32(16, keywordHash.lo, true);
  inputView.setUint32(20, keywordHash.hi, true);
  const guids = table.guids;
  const g = i * 16;
  for (let b = 0; b < 16; b++) input[24 + b] = guids[g + b]!;
  toHalves(xxh64(input, MESSAGE_HASH_SEED), messageHash);
  xorHalves(acc, messageHash.lo, messageHash.hi);
}
