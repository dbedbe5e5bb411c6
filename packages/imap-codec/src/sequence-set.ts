import type { SeqNumber, SeqRange, SequenceSet } from "./types/common.js";

/**
 * Parses `sequence-set` (RFC 9051): comma-separated numbers and `a:b` ranges, `*`, or `$`.
 * Returns the set, or an error message (never throws). Numbers must be 1..2^32-1.
 */
export function parseSequenceSet(text: string, maxRanges = Number.POSITIVE_INFINITY): SequenceSet | string {
  if (text === "$") return "$";
  if (text.length === 0) return "empty sequence set";
  const ranges: SeqRange[] = [];
  let i = 0;
  const n = text.length;
  const readNumber = (): SeqNumber | string => {
    if (i < n && text.charCodeAt(i) === 0x2a) {
      i++;
      return "*";
    }
    const start = i;
    let v = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      i++;
      if (v > 0xffffffff) return "sequence number does not fit 32 bits";
    }
    if (i === start) return `bad sequence set "${text.slice(0, 40)}"`;
    if (v === 0) return "sequence numbers start at 1";
    return v;
  };
  for (;;) {
    const start = readNumber();
    if (typeof start === "string" && start !== "*") return start;
    let end = start;
    if (i < n && text.charCodeAt(i) === 0x3a) {
      i++;
      end = readNumber();
      if (typeof end === "string" && end !== "*") return end;
    }
    if (ranges.length >= maxRanges) return `sequence set has more than ${maxRanges} ranges`;
    ranges.push({ start: start as SeqNumber, end: end as SeqNumber });
    if (i === n) return ranges;
    if (text.charCodeAt(i) !== 0x2c) return `bad sequence set "${text.slice(0, 40)}"`;
    i++;
  }
}

/** Formats a sequence set for the wire (`1:4,7,9:*` or `$`). */
export function formatSequenceSet(set: SequenceSet): string {
  if (set === "$") return "$";
  if (set.length === 0) throw new RangeError("a sequence set needs at least one range");
  let out = "";
  for (let i = 0; i < set.length; i++) {
    const r = set[i]!;
    if (i > 0) out += ",";
    checkNumber(r.start);
    out += String(r.start);
    if (r.end !== r.start) {
      checkNumber(r.end);
      out += `:${r.end}`;
    }
  }
  return out;
}

function checkNumber(v: SeqNumber): void {
  if (v !== "*" && (!Number.isInteger(v) || v < 1 || v > 0xffffffff)) {
    throw new RangeError(`invalid sequence number ${v}`);
  }
}

/** Builds a compact set (sorted, merged ranges) from a list of numbers. */
export function sequenceSetFromNumbers(numbers: Iterable<number>): SeqRange[] {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const out: SeqRange[] = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.end === v - 1) last.end = v;
    else out.push({ start: v, end: v });
  }
  return out;
}

/**
 * Expands a set to numbers given the value of `*` (largest number in use). Throws RangeError
 * when the expansion would exceed `maxCount` (a guard against `1:4294967295`).
 */
export function expandSequenceSet(set: SeqRange[], star: number, maxCount = 1_000_000): number[] {
  const seen = new Set<number>();
  for (const r of set) {
    let a = r.start === "*" ? star : r.start;
    let b = r.end === "*" ? star : r.end;
    if (a > b) [a, b] = [b, a];
    if (b - a + 1 + seen.size > maxCount) throw new RangeError(`sequence set expands to more than ${maxCount}`);
    for (let v = a; v <= b; v++) seen.add(v);
  }
  return [...seen].sort((x, y) => x - y);
}
