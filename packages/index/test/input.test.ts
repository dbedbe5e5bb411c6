import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkKeyword, formatUidRanges, IndexInputError, parseFlags, parseUidSet, SystemFlag } from "../src/index.js";

describe("flags and keywords", () => {
  it("parses system flags case-insensitively and keywords as atoms", () => {
    expect(parseFlags(["\\SEEN", "\\answered", "\\Flagged", "\\Deleted", "\\Draft", "$Junk", "work"])).toEqual({
      system: SystemFlag.seen | SystemFlag.answered | SystemFlag.flagged | SystemFlag.deleted | SystemFlag.draft,
      keywords: ["$Junk", "work"],
    });
  });

  it("deduplicates keywords case-insensitively, keeping the first spelling", () => {
    expect(parseFlags(["$Junk", "$JUNK", "$junk"]).keywords).toEqual(["$Junk"]);
  });

  it.each([
    ["\\Recent", "not a storable"],
    ["\\Whatever", "not a storable"],
    ["", "empty"],
    ["has space", "atom"],
    ["paren(", "atom"],
    ['quo"te', "atom"],
    ["wild*", "atom"],
    ["pct%", "atom"],
    ["brace{", "atom"],
    ["bracket]", "atom"],
    ["back\\slash", "atom"],
    ["tab\t", "atom"],
    ["ümlaut", "atom"],
    ["x".repeat(128), "longer than"],
  ])("refuses %j with a typed error", (flag, message) => {
    expect(() => parseFlags([flag])).toThrow(IndexInputError);
    expect(() => parseFlags([flag])).toThrow(message);
  });

  it("refuses non-strings and non-arrays", () => {
    expect(() => parseFlags([42 as unknown as string])).toThrow(IndexInputError);
    expect(() => parseFlags("\\Seen" as unknown as string[])).toThrow(IndexInputError);
    expect(() => checkKeyword(undefined)).toThrow(IndexInputError);
  });

  it("bounds the number of flags", () => {
    expect(() => parseFlags(Array.from({ length: 300 }, (_, i) => `k${i}`))).toThrow(IndexInputError);
  });

  it("accepts every atom of printable ASCII without specials (property)", () => {
    const atomChar = fc.constantFrom(
      ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&'+,-./:;<=>?@[^_`|}~".split(""),
    );
    fc.assert(
      fc.property(fc.array(atomChar, { minLength: 1, maxLength: 127 }), (chars) => {
        const k = chars.join("");
        expect(checkKeyword(k)).toBe(k);
      }),
    );
  });
});

describe("UID sets", () => {
  it("parses IMAP sets, merging and sorting ranges", () => {
    expect(parseUidSet("7,1:4,5,9:10")).toEqual([1, 5, 7, 7, 9, 10]);
    expect(parseUidSet("4:1")).toEqual([1, 4]);
    expect(parseUidSet("3:*", 10)).toEqual([3, 10]);
    expect(parseUidSet("*", 10)).toEqual([10, 10]);
  });

  it("parses arrays of UIDs and of ranges", () => {
    expect(parseUidSet([5, 1, 2, 3])).toEqual([1, 3, 5, 5]);
    expect(
      parseUidSet([
        [10, 12],
        [1, 1],
        [2, 3],
      ]),
    ).toEqual([1, 3, 10, 12]);
  });

  it.each(["", "0", "1:0", "abc", "1,,2", "-1", "4294967296", "1:2:3", "01"])("refuses %j", (text) => {
    expect(() => parseUidSet(text)).toThrow(IndexInputError);
  });

  it("refuses bad array entries", () => {
    expect(() => parseUidSet([0])).toThrow(IndexInputError);
    expect(() => parseUidSet([1.5])).toThrow(IndexInputError);
    expect(() => parseUidSet([[1, 2, 3]] as unknown as [number, number][])).toThrow(IndexInputError);
    expect(() => parseUidSet({} as unknown as number[])).toThrow(IndexInputError);
  });

  it("format and parse are inverse on normalised sets (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 200 }), (uids) => {
        const ranges = parseUidSet(uids);
        expect(parseUidSet(formatUidRanges(ranges))).toEqual(ranges);
        const set = new Set(uids);
        for (let r = 0; r < ranges.length; r += 2)
          for (let u = ranges[r]!; u <= ranges[r + 1]!; u++) expect(set.has(u)).toBe(true);
      }),
    );
  });
});
