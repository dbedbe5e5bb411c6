import type { SequenceSet } from "@holdfast/imap-codec";
import { mergeRanges, type NumberRange, rangesOf } from "@holdfast/session";

/**
 * The UIDs that fall in any of the ranges, ascending, in one merge pass: O(uids + ranges log
 * ranges). Ranges come from clients (thousands in one command) and UIDs from tombstones
 * (maybe hundreds of thousands), so checking every UID against every range would let one
 * command stall the event loop for every session.
 */
export function uidsInRanges(uids: readonly number[], ranges: readonly NumberRange[]): number[] {
  const merged = mergeRanges([...ranges]);
  const sorted = [...uids].sort((a, b) => a - b);
  const out: number[] = [];
  let r = 0;
  for (const uid of sorted) {
    while (r < merged.length && merged[r]!.hi < uid) r++;
    if (r === merged.length) break;
    if (uid >= merged[r]!.lo) out.push(uid);
  }
  return out;
}

/** Numbers (any order, repeats allowed) as a compressed set for the wire: `1:3,7`. */
export function uidSetOf(numbers: readonly number[]): SequenceSet {
  const sorted = Uint32Array.from(numbers).sort();
  return rangesOf(sorted).map((r) => ({ start: r.lo, end: r.hi }));
}
