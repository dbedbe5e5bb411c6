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

/**
 * Numbers (any order, repeats allowed) as a compressed set for the wire: `1:3,7`.
 * Ascending input (UIDs resolved from the session map: nearly every command, often one
 * UID) is turned into ranges in one pass, without the sorted typed-array copy, which costs
 * more than the rest of a one-UID command's encoding while the process is young.
 */
export function uidSetOf(numbers: ArrayLike<number>): SequenceSet {
  const n = numbers.length;
  if (n === 1) return [{ start: numbers[0]!, end: numbers[0]! }];
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i < n; i++) {
    const u = numbers[i]!;
    const last = out.length > 0 ? out[out.length - 1]! : null;
    if (last === null || u > last.end + 1) out.push({ start: u, end: u });
    else if (u === last.end + 1) last.end = u;
    else return rangesOf(Uint32Array.from(numbers).sort()).map((r) => ({ start: r.lo, end: r.hi }));
  }
  return out;
}
