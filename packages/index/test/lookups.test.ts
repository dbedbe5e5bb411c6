import { initChecksum } from "@holdfast/checksum";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { parseFlags, parseUidSet } from "../src/index.js";
import { KeywordTable } from "../src/keyword-table.js";
import { MessageTable } from "../src/message-table.js";

/*
 * The commit path's shortcuts give what the general paths give: the last-found position of
 * MessageTable, ascending UID lists in parseUidSet, one-keyword parseFlags, and the
 * spelling cache of KeywordTable.find.
 */

beforeAll(() => initChecksum());

function record(uid: number) {
  return {
    uid,
    flags: 0,
    keywords: new Uint32Array(8),
    modseq: 1,
    size: 0,
    internalDate: 0,
    guid: new Uint8Array(16),
    contentHash: 0n,
  };
}

describe("MessageTable lookups with the last-found hint", () => {
  it("agree with a linear search over pushes, removals and lookups in any order (property)", () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), gap: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant("remove" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant("find" as const), uid: fc.integer({ min: 0, max: 80 }) }),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 120 }), (actions) => {
        const t = new MessageTable(2);
        let next = 1;
        const uids = () => Array.from(t.uids.subarray(0, t.count));
        for (const a of actions) {
          if (a.kind === "push") {
            next += a.gap;
            t.push(record(next));
          } else if (a.kind === "remove" && t.count > 0) {
            const from = a.at % t.count;
            const positions = [];
            for (let p = from; p < Math.min(t.count, from + a.n); p++) positions.push(p);
            t.removePositions(positions);
          }
          // Look up the UID asked for and its neighbours, each twice (the second hits the hint).
          const probe = a.kind === "find" ? a.uid : next;
          for (const uid of [probe, probe, probe - 1, probe + 1, probe - 1]) {
            const list = uids();
            expect(t.indexOf(uid)).toBe(list.indexOf(uid));
            const lower = list.findIndex((u) => u >= uid);
            expect(t.lowerBound(uid)).toBe(lower < 0 ? list.length : lower);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("UID lists in ascending order", () => {
  it("give the same ranges as the general path (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 30 }), fc.boolean(), (list, sorted) => {
        const input = sorted ? [...new Set(list)].sort((a, b) => a - b) : list;
        // As [u, u] pairs the list always takes the general path.
        const general = parseUidSet(input.map((u) => [u, u] as [number, number]));
        expect(parseUidSet(input)).toEqual(general);
      }),
    );
  });

  it("still refuses bad UIDs in a one-element list", () => {
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN, "1"]) expect(() => parseUidSet([bad as number])).toThrow();
    expect(parseUidSet([0xffff_ffff])).toEqual([0xffff_ffff, 0xffff_ffff]);
  });
});

describe("flags", () => {
  it("parse the same with or without the one-keyword shortcut, duplicates folded by case", () => {
    expect(parseFlags(["$A"])).toEqual({ system: 0, keywords: ["$A"] });
    expect(parseFlags(["\\Seen", "$A", "$a", "\\SEEN", "$B", "$b"])).toEqual({ system: 1, keywords: ["$A", "$B"] });
    expect(parseFlags(["\\seen", "\\Flagged"])).toEqual({ system: 5, keywords: [] });
    expect(parseFlags([])).toEqual({ system: 0, keywords: [] });
    expect(() => parseFlags(["\\Recent"])).toThrow();
  });
});

describe("KeywordTable.find with its spelling cache", () => {
  it("finds a keyword under any case, and nothing for unknown names, with the cache bounded", () => {
    const table = new KeywordTable();
    table.add(0, "$Work");
    table.add(1, "abcdefghijk");
    const cacheSize = () => (table as unknown as { bySpelling: Map<string, number> }).bySpelling.size;
    for (let round = 0; round < 2; round++) {
      // 2,048 spellings of one keyword, more than the cache keeps: every one is found.
      for (let mask = 0; mask < 2048; mask++) {
        const spelled = [..."abcdefghijk"].map((c, i) => (mask & (1 << i) ? c.toUpperCase() : c)).join("");
        expect(table.find(spelled)).toBe(1);
        expect(table.find(spelled)).toBe(1);
        expect(cacheSize()).toBeLessThanOrEqual(1024);
      }
      expect(table.find("$WORK")).toBe(0);
      expect(table.find("$nope")).toBeUndefined();
    }
  });
});
