/*
 * Sequence sets as the IMAP grammar has them (RFC 9051 §9 `sequence-set`): ranges whose
 * ends are numbers or `*`, or `$` (the saved search result, RFC 5182). The shape is the
 * one @holdfast/imap-codec parses into, so its values can be passed straight in.
 */

export type SeqNumber = number | "*";

export interface SeqRange {
  start: SeqNumber;
  end: SeqNumber;
}

export type SequenceSet = readonly SeqRange[] | "$";

/** A closed range of numbers, lo ≤ hi. */
export interface NumberRange {
  lo: number;
  hi: number;
}

/** Sort and merge ranges so that they are disjoint, ascending and not adjacent. */
export function mergeRanges(ranges: NumberRange[]): NumberRange[] {
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo);
  const out: NumberRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.lo <= last.hi + 1) {
      if (r.hi > last.hi) last.hi = r.hi;
    } else {
      out.push({ lo: r.lo, hi: r.hi });
    }
  }
  return out;
}

/** Compress ascending numbers into ranges (for VANISHED and COPYUID-style output). */
export function rangesOf(sortedNumbers: ArrayLike<number>): NumberRange[] {
  const out: NumberRange[] = [];
  for (let i = 0; i < sortedNumbers.length; i++) {
    const n = sortedNumbers[i]!;
    const last = out[out.length - 1];
    if (last && n === last.hi + 1) last.hi = n;
    else if (!last || n > last.hi) out.push({ lo: n, hi: n });
  }
  return out;
}

/** `1:3,5,9:12` for ascending disjoint ranges. */
export function formatRanges(ranges: readonly NumberRange[]): string {
  return ranges.map((r) => (r.lo === r.hi ? `${r.lo}` : `${r.lo}:${r.hi}`)).join(",");
}
