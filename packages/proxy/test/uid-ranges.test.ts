import { describe, expect, it } from "vitest";
import { uidSetOf, uidsInRanges } from "../src/uid-ranges.js";

/** The set as the wire shows it: `1:3,7`. */
function wire(numbers: ArrayLike<number>): string {
  const set = uidSetOf(numbers);
  if (set === "$") return "$";
  return set.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}:${r.end}`)).join(",");
}

/** The reference: sort, drop repeats, join runs. */
function expected(numbers: number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

describe("uidSetOf", () => {
  it("one UID, ascending runs, arrays and typed arrays alike", () => {
    expect(wire([7])).toBe("7");
    expect(wire(Uint32Array.of(4_294_967_295))).toBe("4294967295");
    expect(wire([1, 2, 3, 7, 9, 10])).toBe("1:3,7,9:10");
    expect(wire(Uint32Array.of(1, 2, 3, 7, 9, 10))).toBe("1:3,7,9:10");
    expect(wire([])).toBe("");
  });

  it("unsorted input and repeats give the same set as sorted input", () => {
    expect(wire([3, 1, 2])).toBe("1:3");
    expect(wire([5, 5, 6])).toBe("5:6");
    expect(wire([1, 2, 2, 3])).toBe("1:3");
    expect(wire([10, 1, 11, 2])).toBe("1:2,10:11");
    // a repeat or a step back only after an ascending prefix
    expect(wire([1, 2, 3, 3])).toBe("1:3");
    expect(wire([1, 2, 9, 4])).toBe("1:2,4,9");
  });

  it("agrees with sort + dedupe + runs on random inputs", () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      const length = 1 + rand(30);
      const numbers = Array.from({ length }, () => 1 + rand(60));
      if (round % 3 === 0) numbers.sort((a, b) => a - b);
      expect(wire(numbers), numbers.join(" ")).toBe(expected(numbers));
      expect(wire(Uint32Array.from(numbers)), numbers.join(" ")).toBe(expected(numbers));
    }
  });
});

describe("uidsInRanges", () => {
  it("keeps the UIDs inside any range, ascending", () => {
    expect(
      uidsInRanges(
        [9, 1, 5, 20],
        [
          { lo: 4, hi: 10 },
          { lo: 1, hi: 1 },
        ],
      ),
    ).toEqual([1, 5, 9]);
  });
});
