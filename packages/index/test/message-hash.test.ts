import { initChecksum, xxh64 } from "@holdfast/checksum";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { MESSAGE_HASH_SEED } from "../src/format.js";
import { MailboxState, type Operation } from "../src/index.js";
import { fromHalves, type PendingHashes, toHalves, xorHalves, xorMessageHashAt } from "../src/message-hash.js";

beforeAll(() => initChecksum());

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe("64-bit values as uint32 halves", () => {
  it("split and join give back the value (property, with the extremes)", () => {
    fc.assert(
      fc.property(u64, (v) => {
        const h = toHalves(v, { lo: 0, hi: 0 });
        expect(h.lo).toBe(Number(v & 0xffff_ffffn));
        expect(h.hi).toBe(Number(v >> 32n));
        expect(fromHalves(h.lo, h.hi)).toBe(v);
      }),
      { examples: [[0n], [(1n << 64n) - 1n], [1n << 63n], [0xffff_ffffn], [1n << 32n]] },
    );
  });

  it("XOR of halves equals the BigInt XOR, over chains of random values (property)", () => {
    fc.assert(
      fc.property(fc.array(u64, { maxLength: 40 }), (values) => {
        const acc = { lo: 0, hi: 0 };
        let reference = 0n;
        for (const v of values) {
          const h = toHalves(v, { lo: 0, hi: 0 });
          xorHalves(acc, h.lo, h.hi);
          reference ^= v;
        }
        expect(acc.lo).toBeGreaterThanOrEqual(0);
        expect(acc.hi).toBeGreaterThanOrEqual(0);
        expect(fromHalves(acc.lo, acc.hi)).toBe(reference);
      }),
    );
  });
});

function keywordWords(ids: readonly number[]): Uint32Array {
  const w = new Uint32Array(8);
  for (const id of ids) w[id >>> 5]! |= 1 << (id & 31);
  return w;
}

function guidOf(n: number): Uint8Array {
  const g = new Uint8Array(16);
  for (let i = 0; i < 16; i++) g[i] = (n * 37 + i * 11) & 255;
  return g;
}

/** An append of `uid` (fields other than those given: zero, one, or derived from the UID). */
function appendOp(
  uid: number,
  fields: { flags?: number; keywords?: readonly number[]; modseq?: number } = {},
): Operation {
  return {
    op: "append",
    record: {
      uid,
      flags: fields.flags ?? 0,
      keywords: keywordWords(fields.keywords ?? []),
      modseq: fields.modseq ?? 1,
      size: 1,
      internalDate: 0,
      guid: guidOf(uid),
      contentHash: 0n,
    },
  };
}

/**
 * The message hash as docs/index-format.md defines it, in BigInt arithmetic and written
 * independently of src/: xxh64 (MESSAGE_HASH_SEED) of UID u32, flags u32, MODSEQ u64, the
 * XOR of xxh64 of each set and named keyword's lower-cased name u64, GUID; little-endian.
 */
function referenceHash(state: MailboxState, i: number): bigint {
  const t = state.messages;
  const keywords = t.keywordsAt(i);
  let keywordHash = 0n;
  for (let id = 0; id < state.keywords.size; id++) {
    if ((keywords[id >>> 5]! >>> (id & 31)) & 1) {
      const name = new TextEncoder().encode(state.keywords.names[id]!.toLowerCase());
      keywordHash ^= xxh64(name, MESSAGE_HASH_SEED);
    }
  }
  const bytes = new Uint8Array(40);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, t.uids[i]!, true);
  v.setUint32(4, t.flags[i]!, true);
  v.setBigUint64(8, BigInt(t.modseqs[i]!), true);
  v.setBigUint64(16, keywordHash, true);
  bytes.set(t.guids.subarray(i * 16, i * 16 + 16), 24);
  return xxh64(bytes, MESSAGE_HASH_SEED);
}

/** XOR of the reference hash over every message. */
function referenceDigest(state: MailboxState): bigint {
  let d = 0n;
  for (let i = 0; i < state.messages.count; i++) d ^= referenceHash(state, i);
  return d;
}

describe("message hash without BigInt arithmetic", () => {
  it("equals the BigInt reference for random messages: keywords past 31, MODSEQs past 2^32 (property)", () => {
    const message = fc.record({
      flags: fc.integer({ min: 0, max: 31 }),
      keywords: fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }),
      modseq: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
      guid: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    });
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 256 }),
        (ms, defined) => {
          const state = new MailboxState();
          const ops: Operation[] = [];
          // Some keyword numbers may be set without a name defined: they hash as nothing.
          for (let id = 0; id < defined; id++) ops.push({ op: "defineKeyword", id, name: `$kw${id}` });
          ms.forEach((m, k) => {
            ops.push({
              op: "append",
              record: {
                uid: k + 1,
                flags: m.flags,
                keywords: keywordWords(m.keywords),
                modseq: m.modseq,
                size: 1,
                internalDate: 0,
                guid: m.guid,
                contentHash: 0n,
              },
            });
          });
          const top = Math.max(...ms.map((m) => m.modseq));
          state.apply({ seq: 1, uidNext: ms.length + 1, highestModseq: top, ops });
          for (let i = 0; i < state.messages.count; i++) {
            const acc = { lo: 0, hi: 0 };
            xorMessageHashAt(state.messages, state.keywords, i, acc);
            expect(fromHalves(acc.lo, acc.hi)).toBe(referenceHash(state, i));
          }
          expect(state.digest).toBe(referenceDigest(state));
          expect(state.computeDigest()).toBe(state.digest);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps the incremental digest equal to the reference over flag changes and expunges (property)", () => {
    const step = fc.record({
      uid: fc.integer({ min: 1, max: 8 }),
      flags: fc.integer({ min: 0, max: 31 }),
      keywords: fc.uniqueArray(fc.integer({ min: 0, max: 47 }), { maxLength: 6 }),
      expunge: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const state = new MailboxState();
        const ops: Operation[] = [];
        for (let id = 0; id < 48; id++) ops.push({ op: "defineKeyword", id, name: `$K${id}` });
        for (let uid = 1; uid <= 8; uid++) ops.push(appendOp(uid, { keywords: [uid, 40] }));
        state.apply({ seq: 1, uidNext: 9, highestModseq: 1, ops });
        let seq = 1;
        for (const s of steps) {
          if (state.messages.indexOf(s.uid) < 0) continue;
          seq++;
          const modseq = 2 ** 32 + seq;
          const op: Operation = s.expunge
            ? { op: "expunge", uid: s.uid, modseq }
            : { op: "setFlags", uid: s.uid, flags: s.flags, keywords: keywordWords(s.keywords), modseq };
          state.apply({ seq, uidNext: 9, highestModseq: modseq, ops: [op] });
          expect(state.digest).toBe(referenceDigest(state));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("gives the digest of the format's definition (known answer, computed before the halves existed)", () => {
    const state = new MailboxState();
    const ops: Operation[] = [{ op: "setUidValidity", uidValidity: 7 }];
    for (let id = 0; id < 40; id++) ops.push({ op: "defineKeyword", id, name: `$K${id}` });
    for (let u = 1; u <= 6; u++)
      ops.push({
        op: "append",
        record: {
          uid: u,
          flags: u % 32,
          keywords: keywordWords([u, 33 + u]),
          modseq: 2,
          size: 100 * u,
          internalDate: 1.7e12 + u,
          guid: guidOf(u),
          contentHash: BigInt(u) << 40n,
        },
      });
    state.apply({ seq: 1, uidNext: 7, highestModseq: 2, ops });
    const modseq = 2 ** 33 + 5;
    state.apply({
      seq: 2,
      uidNext: 7,
      highestModseq: modseq,
      ops: [
        { op: "setFlags", uid: 2, flags: 31, keywords: keywordWords([0, 31, 32, 39]), modseq },
        { op: "setFlags", uid: 3, flags: 0, keywords: keywordWords([]), modseq },
        { op: "expunge", uid: 5, modseq },
      ],
    });
    // The value @holdfast/index 0.1.0 computed with BigInt arithmetic for this mailbox.
    expect(state.digest).toBe(0xe436f22dd4a3f9b1n);
    expect(state.computeDigest()).toBe(0xe436f22dd4a3f9b1n);
  });
});

describe("hashes owed to the digest (computed later, while the log write runs)", () => {
  it("settle to what hashing at once gives, across keyword definitions, the queue's bound and reads (property)", () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("flags" as const),
        uid: fc.integer({ min: 1, max: 40 }),
        flags: fc.integer({ min: 0, max: 31 }),
        // Numbers up to 40 while fewer are defined: bits without a name hash as nothing,
        // and must keep doing so for hashes owed before the name came.
        keywords: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant("expunge" as const), uid: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant("define" as const) }),
      fc.record({ kind: fc.constant("append" as const), n: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ kind: fc.constant("read" as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const state = new MailboxState();
        // The digest as 0.1.0 kept it: each hash XORed in at the moment of the change.
        let reference = 0n;
        let seq = 0;
        let uidNext = 1;
        let defined = 0;
        const apply = (ops: Operation[], modseq: number) => {
          seq++;
          state.apply({ seq, uidNext, highestModseq: Math.max(state.highestModseq, modseq), ops });
        };
        const appendMessages = (n: number) => {
          const ops: Operation[] = [];
          for (let k = 0; k < n; k++, uidNext++)
            ops.push(appendOp(uidNext, { flags: uidNext % 32, keywords: [uidNext % 41], modseq: seq + 2 }));
          const from = state.messages.count;
          apply(ops, seq + 2);
          for (let i = from; i < state.messages.count; i++) reference ^= referenceHash(state, i);
        };
        appendMessages(40);
        for (const s of steps) {
          const modseq = 2 ** 32 + seq + 2;
          if (s.kind === "append") appendMessages(s.n);
          else if (s.kind === "define") {
            apply([{ op: "defineKeyword", id: defined, name: `$K${defined}` }], 0);
            defined++;
          } else if (s.kind === "read") expect(state.digest).toBe(reference);
          else {
            const i = state.messages.indexOf(s.uid);
            if (i < 0) continue;
            reference ^= referenceHash(state, i);
            if (s.kind === "expunge") apply([{ op: "expunge", uid: s.uid, modseq }], modseq);
            else {
              const op: Operation = {
                op: "setFlags",
                uid: s.uid,
                flags: s.flags,
                keywords: keywordWords(s.keywords),
                modseq,
              };
              apply([op], modseq);
              reference ^= referenceHash(state, i);
            }
          }
        }
        expect(state.digest).toBe(reference);
      }),
      { numRuns: 60 },
    );
  });

  it("hash a message with keywords past 31 at once, and keep at most 4,096 entries", () => {
    const state = new MailboxState();
    const ops: Operation[] = [{ op: "defineKeyword", id: 0, name: "$a" }];
    for (let id = 1; id < 40; id++) ops.push({ op: "defineKeyword", id, name: `$k${id}` });
    for (let uid = 1; uid <= 10_000; uid++) ops.push(appendOp(uid, { keywords: uid === 7 ? [0, 35] : [0] }));
    state.apply({ seq: 1, uidNext: 10_001, highestModseq: 1, ops });
    const owed = (state as unknown as { owed: PendingHashes }).owed;
    expect(owed.size).toBeLessThanOrEqual(4096);
    expect(owed.size).toBeGreaterThan(0);
    expect(state.digest).toBe(referenceDigest(state));
    expect(owed.size).toBe(0);
  });
});
