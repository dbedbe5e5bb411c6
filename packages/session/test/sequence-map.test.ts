import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SequenceMap, SequenceMapError } from "../src/index.js";

describe("SequenceMap", () => {
  it("maps both ways and resolves sets (small example)", () => {
    const map = SequenceMap.fromUids([3, 5, 9, 10, 20]);
    expect(map.size).toBe(5);
    expect(map.uidAt(1)).toBe(3);
    expect(map.uidAt(5)).toBe(20);
    expect(map.uidAt(6)).toBeUndefined();
    expect(map.uidAt(0)).toBeUndefined();
    expect(map.seqOf(9)).toBe(3);
    expect(map.seqOf(4)).toBeUndefined();
    expect(map.expunge(5)).toBe(2);
    expect(map.seqOf(9)).toBe(2);
    expect(map.expunge(5)).toBeUndefined();
    expect(map.append(21)).toBe(5);
    expect([...map.toUids()]).toEqual([3, 9, 10, 20, 21]);
  });

  it("sequence sets: *, reversed ranges, overlaps; out of range is an error with a reason", () => {
    const map = SequenceMap.fromUids([10, 20, 30, 40]);
    const ok = (set: Parameters<SequenceMap["resolveSequenceSet"]>[0]) => {
      const r = map.resolveSequenceSet(set);
      if (!r.ok) throw new Error(r.error);
      return [...r.seqs];
    };
    expect(ok([{ start: 1, end: "*" }])).toEqual([1, 2, 3, 4]);
    expect(ok([{ start: "*", end: 3 }])).toEqual([3, 4]);
    expect(
      ok([
        { start: 2, end: 2 },
        { start: 1, end: 3 },
        { start: 4, end: 4 },
      ]),
    ).toEqual([1, 2, 3, 4]);
    expect(map.resolveSequenceSet([{ start: 5, end: 5 }])).toMatchObject({
      ok: false,
      error: expect.stringMatching(/out of range/),
    });
    expect(map.resolveSequenceSet([{ start: 2, end: 7 }]).ok).toBe(false);
    expect(new SequenceMap().resolveSequenceSet([{ start: "*", end: "*" }])).toMatchObject({ ok: false });
    expect(ok2(map.resolveSequenceSet("$"))).toEqual([]); // RFC 5182: $ starts empty
    expect(ok2(map.resolveSequenceSet("$", { saved: [40, 10, 99] }))).toEqual([1, 4]);
  });

  it("UID sets: missing UIDs ignored, n:* includes the last message even past the end", () => {
    const map = SequenceMap.fromUids([10, 20, 30, 40]);
    expect([...map.resolveUidSet([{ start: 15, end: 35 }])]).toEqual([20, 30]);
    expect([...map.resolveUidSet([{ start: 100, end: "*" }])]).toEqual([40]);
    expect([...map.resolveUidSet([{ start: 1, end: 9 }])]).toEqual([]);
    expect([...map.resolveUidSet([{ start: "*", end: "*" }])]).toEqual([40]);
    expect([...new SequenceMap().resolveUidSet([{ start: 1, end: "*" }])]).toEqual([]);
    expect([...map.resolveUidSet("$", { saved: [30, 31, 10] })]).toEqual([10, 30]);
  });

  it("refuses UIDs that break the ascending rule, even after the highest was expunged and compacted", () => {
    expect(() => SequenceMap.fromUids([1, 1])).toThrow(SequenceMapError);
    expect(() => SequenceMap.fromUids([2, 1])).toThrow(SequenceMapError);
    expect(() => SequenceMap.fromUids([0])).toThrow(SequenceMapError);
    const uids = Array.from({ length: 5000 }, (_, i) => i + 1);
    const map = SequenceMap.fromUids(uids);
    for (let uid = 5000; uid > 100; uid--) map.expunge(uid); // compacts along the way
    expect(map.size).toBe(100);
    expect(map.highestUidSeen).toBe(5000);
    expect(() => map.append(4999)).toThrow(SequenceMapError);
    expect(map.append(5001)).toBe(101);
  });

  it("stays correct across the compaction that many reads after expunges trigger", () => {
    const model = Array.from({ length: 20_000 }, (_, i) => 3 * i + 2);
    const map = SequenceMap.fromUids(
      model,
      model.map((u) => u % 7),
      model.map((u) => BigInt(u)),
    );
    for (let i = 0; i < 50; i++) {
      const [uid] = model.splice((i * 7919) % model.length, 1);
      map.expunge(uid!);
    }
    for (let round = 0; round < 3; round++) {
      for (let seq = 1; seq <= model.length; seq += 3) {
        const uid = model[seq - 1]!;
        expect(map.uidAt(seq)).toBe(uid);
        expect(map.seqOf(uid)).toBe(seq);
        expect(map.attributes(uid)).toEqual({ flagSet: uid % 7, modseq: BigInt(uid) });
      }
    }
    expect(map.append(model[model.length - 1]! + 1)).toBe(model.length + 1);
  });

  it("agrees with a plain array model under random operations (property)", () => {
    type Op =
      | { op: "append"; gap: number; flagSet: number }
      | { op: "expunge"; pick: number }
      | { op: "lookup"; pick: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant("append" as const), gap: fc.integer({ min: 1, max: 5 }), flagSet: fc.nat(10) }),
      fc.record({ op: fc.constant("expunge" as const), pick: fc.nat() }),
      fc.record({ op: fc.constant("lookup" as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.array(opArb, { maxLength: 3000 }), (initial, ops) => {
        const model = Array.from({ length: initial }, (_, i) => 2 * i + 1);
        const flags = new Map(model.map((u) => [u, 0]));
        const map = SequenceMap.fromUids(model);
        let highest = model.length ? model[model.length - 1]! : 0;
        for (const o of ops) {
          if (o.op === "append") {
            highest += o.gap;
            model.push(highest);
            flags.set(highest, o.flagSet);
            expect(map.append(highest, o.flagSet, BigInt(highest))).toBe(model.length);
          } else if (model.length > 0) {
            const index = o.pick % model.length;
            const uid = model[index]!;
            if (o.op === "expunge") {
              expect(map.expunge(uid)).toBe(index + 1);
              model.splice(index, 1);
            } else {
              expect(map.uidAt(index + 1)).toBe(uid);
              expect(map.seqOf(uid)).toBe(index + 1);
              expect(map.attributes(uid)?.flagSet).toBe(flags.get(uid));
            }
          }
          expect(map.size).toBe(model.length);
        }
        expect([...map.toUids()]).toEqual(model);
        const lo = model[Math.floor(model.length / 3)] ?? 1;
        const hi = model[Math.floor((2 * model.length) / 3)] ?? 1;
        expect([...map.resolveUidSet([{ start: hi, end: lo }])]).toEqual(model.filter((u) => u >= lo && u <= hi));
      }),
      { numRuns: 60 },
    );
  });
});

function ok2(r: ReturnType<SequenceMap["resolveSequenceSet"]>): number[] {
  if (!r.ok) throw new Error(r.error);
  return [...r.seqs];
}
