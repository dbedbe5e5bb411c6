// Benchmark of SequenceMap at 1,000,000 messages against a named reference measured in the
// same run: a plain JavaScript array of UIDs (binary search for UID → seq, splice per
// expunge), which is what a straightforward session implementation would use.
// Usage: npm run bench -w @holdfast/session   (builds first; reads ../dist)
import { SequenceMap } from "../dist/index.js";

const N = 1_000_000;
const EXPUNGES = 10_000;
const LOOKUPS = 1_000_000;

function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function time(fn) {
  const t = performance.now();
  const result = fn();
  return { ms: performance.now() - t, result };
}

// UIDs with gaps, as a real mailbox has after years of expunges.
const uids = new Uint32Array(N);
for (let i = 0, uid = 0; i < N; i++) uids[i] = uid += 1 + (i % 3);

class ArrayReference {
  constructor(list) {
    this.uids = Array.from(list);
  }
  seqOf(uid) {
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.uids[mid] === uid) return mid + 1;
      if (this.uids[mid] < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
  uidAt(seq) {
    return this.uids[seq - 1];
  }
  expunge(uid) {
    const seq = this.seqOf(uid);
    if (seq !== undefined) this.uids.splice(seq - 1, 1);
    return seq;
  }
  resolveRange(lo, hi) {
    const out = new Uint32Array(hi - lo + 1);
    for (let s = lo; s <= hi; s++) out[s - lo] = s;
    return out;
  }
  resolveUidRange(lo, hi) {
    const out = [];
    for (const uid of this.uids) if (uid >= lo && uid <= hi) out.push(uid);
    return out;
  }
}

const rows = [];
function row(operation, ours, reference) {
  rows.push({
    operation,
    "SequenceMap ms": ours.toFixed(1),
    "plain array ms": reference.toFixed(1),
    "speed-up": `${(reference / ours).toFixed(1)}×`,
  });
}

globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const build = time(() => SequenceMap.fromUids(uids));
const map = build.result;
globalThis.gc?.();
const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const refBuild = time(() => new ArrayReference(uids));
const ref = refBuild.result;
row(`build from ${N.toLocaleString()} UIDs`, build.ms, refBuild.ms);

const random = rng(42);
const victims = [];
const pool = Array.from(uids);
for (let i = 0; i < EXPUNGES; i++) victims.push(pool[Math.floor(random() * pool.length)]);
const ours = time(() => {
  for (const uid of victims) map.expunge(uid);
});
const theirs = time(() => {
  for (const uid of victims) ref.expunge(uid);
});
row(`${EXPUNGES.toLocaleString()} random expunges`, ours.ms, theirs.ms);
if (map.size !== ref.uids.length) throw new Error("the map and the reference disagree after expunges");

const seqs = Array.from({ length: LOOKUPS }, () => 1 + Math.floor(random() * map.size));
const lookOurs = time(() => {
  let x = 0;
  for (const s of seqs) x ^= map.uidAt(s);
  return x;
});
const lookRef = time(() => {
  let x = 0;
  for (const s of seqs) x ^= ref.uidAt(s);
  return x;
});
if (lookOurs.result !== lookRef.result) throw new Error("uidAt disagrees");
row(`${LOOKUPS.toLocaleString()} seq → UID`, lookOurs.ms, lookRef.ms);

const someUids = seqs.map((s) => ref.uidAt(s));
const revOurs = time(() => {
  let x = 0;
  for (const u of someUids) x ^= map.seqOf(u);
  return x;
});
const revRef = time(() => {
  let x = 0;
  for (const u of someUids) x ^= ref.seqOf(u);
  return x;
});
if (revOurs.result !== revRef.result) throw new Error("seqOf disagrees");
row(`${LOOKUPS.toLocaleString()} UID → seq`, revOurs.ms, revRef.ms);

const all = time(() => map.resolveSequenceSet([{ start: 1, end: "*" }]));
const allRef = time(() => ref.resolveRange(1, ref.uids.length));
row("resolve sequence set 1:*", all.ms, allRef.ms);

const lo = ref.uidAt(Math.floor(map.size / 4));
const hi = ref.uidAt(Math.floor((3 * map.size) / 4));
const uidRange = time(() => map.resolveUidSet([{ start: lo, end: hi }]));
const uidRangeRef = time(() => ref.resolveUidRange(lo, hi));
if (uidRange.result.length !== uidRangeRef.result.length) throw new Error("UID range disagrees");
row("resolve UID set (middle half)", uidRange.ms, uidRangeRef.ms);

const many = Array.from({ length: 1000 }, (_, i) => ({ start: 1 + i * 900, end: 1 + i * 900 + 10 }));
const manyRanges = time(() => map.resolveSequenceSet(many));
const manyRef = time(() => {
  const out = [];
  for (const r of many) out.push(ref.resolveRange(r.start, r.end));
  return out;
});
row("resolve 1,000 small ranges", manyRanges.ms, manyRef.ms);

const appendOurs = time(() => {
  let uid = map.highestUidSeen;
  for (let i = 0; i < 100_000; i++) map.append(++uid);
});
const appendRef = time(() => {
  let uid = ref.uids[ref.uids.length - 1];
  for (let i = 0; i < 100_000; i++) ref.uids.push(++uid);
});
row("100,000 appends", appendOurs.ms, appendRef.ms);

console.log(`\n@holdfast/session — SequenceMap at ${N.toLocaleString()} messages, beside a plain array (same run)\n`);
console.table(rows);
console.log(
  `\nSequenceMap memory: ${((heapAfter - heapBefore) / N).toFixed(1)} bytes per message (UID, flag-set id, MODSEQ, alive bit, tree)`,
);
