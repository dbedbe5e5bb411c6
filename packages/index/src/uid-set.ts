import { IndexInputError } from "./errors.js";
import { MAX_UID } from "./format.js";

/*
 * UID sets. Callers pass a list of UIDs, a list of [from, to] ranges or an IMAP
 * sequence-set string of UIDs ("1:4,7,9:*"; "*" is the largest UID in the mailbox).
 * Internally a set is a sorted list of disjoint, non-adjacent inclusive ranges.
 */

export type UidSetInput = string | readonly number[] | readonly (readonly [number, number])[];

/** Sorted, merged inclusive ranges: [from0, to0, from1, to1, ...]. */
export type UidRanges = number[];

const MAX_RANGES = 1_000_000;

function checkUid(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_UID) {
    throw new IndexInputError(`${what} must be an integer UID in 1..${MAX_UID}: got ${String(value)}`);
  }
  return value;
}

function merge(pairs: [number, number][]): UidRanges {
  pairs.sort((a, b) => a[0] - b[0]);
  const out: UidRanges = [];
  for (const [from, to] of pairs) {
    const last = out.length - 1;
    if (last > 0 && from <= out[last]! + 1) {
      if (to > out[last]!) out[last] = to;
    } else {
      out.push(from, to);
    }
  }
  return out;
}

function parseString(text: string, largest: number): [number, number][] {
  if (text.length === 0) throw new IndexInputError("empty UID set");
  const pairs: [number, number][] = [];
  const parseNumber = (part: string): number => {
    if (part === "*") return largest;
    if (!/^[1-9][0-9]{0,9}$/.test(part)) throw new IndexInputError(`bad UID ${JSON.stringify(part)} in UID set`);
    return checkUid(Number(part), "UID");
  };
  for (const item of text.split(",")) {
    if (pairs.length >= MAX_RANGES) throw new IndexInputError("UID set has too many ranges");
    const colon = item.indexOf(":");
    if (colon < 0) {
      const n = parseNumber(item);
      pairs.push([n, n]);
    } else {
      const a = parseNumber(item.slice(0, colon));
      const b = parseNumber(item.slice(colon + 1));
      pairs.push(a <= b ? [a, b] : [b, a]);
    }
  }
  return pairs;
}

/**
 * Normalise a UID set. `largest` is what "*" means (the largest UID in the mailbox, or 0
 * when it is empty: then "*" matches nothing, but "n:*" still means "n and up" per RFC 9051).
 */
export function parseUidSet(input: UidSetInput, largest = 0): UidRanges {
  if (typeof input === "string") {
    const pairs = parseString(input, Math.max(largest, 0));
    return merge(pairs.filter(([from]) => from >= 1).map(([a, b]) => [Math.max(a, 1), b]));
  }
  if (!Array.isArray(input)) throw new IndexInputError("UID set must be a string or an array");
  if (input.length > MAX_RANGES) throw new IndexInputError("UID set has too many entries");
  const ascending = ascendingUids(input as readonly unknown[]);
  if (ascending) return ascending;
  const pairs: [number, number][] = [];
  for (const item of input as readonly unknown[]) {
    if (Array.isArray(item)) {
      if (item.length !== 2) throw new IndexInputError("a UID range must be [from, to]");
      const a = checkUid(item[0], "range start");
      const b = checkUid(item[1], "range end");
      pairs.push(a <= b ? [a, b] : [b, a]);
    } else {
      const n = checkUid(item, "UID");
      pairs.push([n, n]);
    }
  }
  return merge(pairs);
}

/**
 * Ranges of a list of UIDs given in strictly ascending order (a single UID, the common
 * case), built directly; undefined when the list holds anything else (ranges, unsorted or
 * repeated UIDs, bad values), which the general path handles and reports.
 */
function ascendingUids(input: readonly unknown[]): UidRanges | undefined {
  const out: UidRanges = [];
  let last = 0;
  for (let i = 0; i < input.length; i++) {
    const u = input[i];
    if (typeof u !== "number" || !Number.isInteger(u) || u <= last || u > MAX_UID) return undefined;
    if (u === last + 1 && out.length > 0) out[out.length - 1] = u;
    else out.push(u, u);
    last = u;
  }
  return out;
}

export function rangesContain(ranges: UidRanges, uid: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (uid < ranges[mid * 2]!) hi = mid - 1;
    else if (uid > ranges[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Format ranges as an IMAP sequence set ("1:4,7"); "" for an empty set. */
export function formatUidRanges(ranges: UidRanges): string {
  const parts: string[] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    const a = ranges[i]!;
    const b = ranges[i + 1]!;
    parts.push(a === b ? String(a) : `${a}:${b}`);
  }
  return parts.join(",");
}

/** Compress a sorted list of UIDs into ranges. */
export function uidsToRanges(uids: ArrayLike<number>): UidRanges {
  const out: UidRanges = [];
  for (let i = 0; i < uids.length; i++) {
    const u = uids[i]!;
    const last = out.length - 1;
    if (last > 0 && u === out[last]! + 1) out[last] = u;
    else out.push(u, u);
  }
  return out;
}
