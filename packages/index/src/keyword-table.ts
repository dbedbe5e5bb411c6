import { xxh64 } from "@holdfast/checksum";
import { IndexInputError } from "./errors.js";
import { MAX_KEYWORDS, MESSAGE_HASH_SEED } from "./format.js";
import { toHalves } from "./message-hash.js";

const encoder = new TextEncoder();

/*
 * The mailbox's keyword names. A keyword gets the next free number the first time it is
 * set on a message and keeps it for the life of the index (numbers are never reused, so a
 * mask bit always means the same name). Names compare case-insensitively (RFC 9051 §2.3.2);
 * the first spelling seen is kept.
 */
export class KeywordTable {
  readonly names: string[] = [];
  /**
   * xxh64 of each lower-cased name (the digest mixes keywords by name, not by number), as
   * uint32 halves [lo0, hi0, lo1, hi1, ...]: message-hash.ts XORs these.
   */
  readonly nameHashWords: number[] = [];
  private readonly byFolded = new Map<string, number>();

  get size(): number {
    return this.names.length;
  }

  /**
   * Numbers of names as callers spelled them (a cache in front of byFolded: a commit
   * looks its keywords up without lower-casing them). Cleared when it grows past a bound,
   * so that spellings differing only in case cannot make it grow without limit.
   */
  private readonly bySpelling = new Map<string, number>();

  find(name: string): number | undefined {
    const cached = this.bySpelling.get(name);
    if (cached !== undefined) return cached;
    const id = this.byFolded.get(name.toLowerCase());
    if (id !== undefined) {
      if (this.bySpelling.size >= 4 * MAX_KEYWORDS) this.bySpelling.clear();
      this.bySpelling.set(name, id);
    }
    return id;
  }

  /** Append a keyword with the given number (must be the next one). */
  add(id: number, name: string): void {
    if (id !== this.names.length) throw new IndexInputError(`keyword number ${id} out of order`);
    if (id >= MAX_KEYWORDS) throw new IndexInputError(`a mailbox holds at most ${MAX_KEYWORDS} keywords`);
    const folded = name.toLowerCase();
    this.names.push(name);
    const halves = toHalves(xxh64(encoder.encode(folded), MESSAGE_HASH_SEED), { lo: 0, hi: 0 });
    this.nameHashWords.push(halves.lo, halves.hi);
    this.byFolded.set(folded, id);
  }

  namesOf(words: Uint32Array): string[] {
    const out: string[] = [];
    for (let w = 0; w < words.length; w++) {
      let bits = words[w]!;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const name = this.names[w * 32 + b];
        if (name !== undefined) out.push(name);
      }
    }
    return out;
  }
}
