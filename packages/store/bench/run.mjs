// Benchmark: appends per second (fsync on) beside a raw baseline measured in the same run
// (write + fsync of the same bytes to a new file), and BODYSTRUCTURE from the structure
// cache vs from parsing the blob. Run: npm run bench -w @holdfast/store (builds first).
import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { nodeStoreFs, Store } from "../dist/index.js";

const SCRYPT = { N: 1024, r: 8, p: 1, keyLength: 32 };

function makeMessage(size) {
  const head = `From: bench@example.org\r\nTo: you@example.org\r\nSubject: bench ${size}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n`;
  const lines = [];
  let n = head.length;
  while (n < size) {
    const line = randomBytes(38).toString("base64");
    lines.push(line);
    n += line.length + 2;
  }
  return Buffer.from(`${head}${lines.join("\r\n")}\r\n`).subarray(0, size);
}

/** The reference: write the bytes to a new file and fsync it. */
async function rawWrite(dir, name, bytes) {
  const h = await open(join(dir, name), "wx");
  try {
    await h.write(bytes, 0, bytes.byteLength, 0);
    await h.sync();
  } finally {
    await h.close();
  }
}

async function appends(mb, bytes, count, concurrency) {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await mb.append("INBOX", bytes);
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/**
 * Background work seen during the bench, to explain slow appends: every folder fsync of the
 * store (through its StoreFs layer: a slot batch's sync of blobs/tmp/, the rename flushes'
 * shard and tmp/ syncs) and every garbage collection, with start and end times.
 */
const events = [];
const recordingFs = {
  datasync: (file, path) => nodeStoreFs.datasync(file, path),
  fsyncDir: async (path, handle) => {
    const start = performance.now();
    try {
      return await nodeStoreFs.fsyncDir(path, handle);
    } finally {
      events.push({ kind: path.endsWith("/tmp") ? "tmp/ fsync" : "shard fsync", start, end: performance.now() });
    }
  },
};
const gcs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) events.push({ kind: "gc", start: e.startTime, end: e.startTime + e.duration });
});
gcs.observe({ entryTypes: ["gc"] });

const rows = [];
const tails = [];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
/** p50/p90/p99/max of latencies in ms. */
const spread = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return [50, 90, 99]
    .map((p) => percentile(s, p).toFixed(2))
    .concat(s[s.length - 1].toFixed(2))
    .join(" / ");
};
const fmt = (n) => n.toFixed(n < 100 ? 1 : 0);
const pct = (a, b) => `${((a / b) * 100).toFixed(0)}%`;
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const dir = await mkdtemp(join(tmpdir(), "holdfast-store-bench-"));
try {
  // A store in use: the user already has 2,500 messages (written without fsync, to save
  // time), so every blob shard folder exists — a new user's first appends into each of the
  // 256 shards also create the folder and sync its parent, once per shard.
  const filling = await Store.open(join(dir, "data"), { scrypt: SCRYPT, fsync: false });
  await filling.users.add("bench", "pw");
  const small = makeMessage(1024);
  const fill = await filling.mailboxes("bench");
  for (let i = 0; i < 2500; i++) await fill.append("Archive", small);
  await filling.close();
  const store = await Store.open(join(dir, "data"), { scrypt: SCRYPT, fs: recordingFs });
  const mb = await store.mailboxes("bench");
  for (const [label, size, count] of [
    // HOLDFAST_BENCH_APPENDS=3000 runs long enough (~10 s) to include the 5 s rename flushes.
    ["10 KB", 10 * 1024, Number(process.env.HOLDFAST_BENCH_APPENDS ?? 300)],
    ["1 MB", 1024 * 1024, 40],
  ]) {
    const bytes = makeMessage(size);
    // Interleaved: one raw write+fsync, one append, and so on, timing each side, so the
    // machine's noise (other processes, disk cache flushes) hits both alike.
    const rawDir = await mkdtemp(join(dir, "raw-"));
    for (let i = 0; i < 5; i++) {
      await rawWrite(rawDir, `warm-${i}`, bytes);
      await mb.append("INBOX", bytes);
    }
    let rawMs = 0;
    let storeMs = 0;
    const rawEach = [];
    const storeEach = [];
    const storeSpans = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await rawWrite(rawDir, `raw-${i}`, bytes);
      const t1 = performance.now();
      await mb.append("INBOX", bytes);
      const t2 = performance.now();
      storeMs += t2 - t1;
      rawMs += t1 - t0;
      rawEach.push(t1 - t0);
      storeEach.push(t2 - t1);
      storeSpans.push([t1, t2]);
    }
    const r = count / (rawMs / 1000);
    const s = count / (storeMs / 1000);
    // The median latency of each side as well: on a shared machine a few stalls (other
    // jobs' disk flushes) can dominate a mean; the median shows the typical operation.
    const rm = 1000 / median(rawEach);
    const sm = 1000 / median(storeEach);
    // Which appends overlapped background work, and what they cost (sum over the run).
    const by = new Map();
    for (const [a, b] of storeSpans) {
      const kinds = [...new Set(events.filter((e) => e.start < b && e.end > a).map((e) => e.kind))];
      const key = kinds.length ? kinds.sort().join(" + ") : "nothing";
      const entry = by.get(key) ?? { n: 0, ms: [] };
      entry.n++;
      entry.ms.push(b - a);
      by.set(key, entry);
    }
    tails.push(
      `${label} one at a time, latency ms p50 / p90 / p99 / max: raw ${spread(rawEach)}; append ${spread(storeEach)}`,
    );
    for (const [key, { n, ms }] of by)
      tails.push(
        `  appends overlapping ${key}: ${n}, ${ms.reduce((x, y) => x + y, 0).toFixed(0)} ms in all (${spread(ms)})`,
      );
    const c = await appends(mb, bytes, count, 8);
    rows.push([
      `append ${label}, one at a time`,
      fmt(s),
      fmt(r),
      pct(s, r),
      `${fmt(sm)} / ${fmt(rm)} = ${pct(sm, rm)}`,
    ]);
    rows.push([`append ${label}, 8 in flight (group commit)`, fmt(c), fmt(r), pct(c, r), ""]);
  }

  // BODYSTRUCTURE: from the cache (memory, file) vs parsing the blob each time.
  const parts = [];
  for (let i = 0; i < 20; i++)
    parts.push(
      `--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\npart ${i} ${"x".repeat(2000)}\r\n`,
    );
  const multipart = `From: a@example.org\r\nSubject: multi\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${parts.join("")}--b--\r\n`;
  const { uid, guid } = await mb.append("INBOX", multipart);
  const N = 2000;
  const time = async (fn) => {
    const start = performance.now();
    for (let i = 0; i < N; i++) await fn();
    return N / ((performance.now() - start) / 1000);
  };
  await mb.structure("INBOX", uid);
  const memory = await time(() => mb.structure("INBOX", uid));
  const file = await time(async () => {
    mb.structures.clearMemory();
    await mb.structure("INBOX", uid);
  });
  const parse = await time(async () => {
    mb.structures.clearMemory();
    await mb.structures.remove(guid);
    await mb.structure("INBOX", uid);
  });
  rows.push(["BODYSTRUCTURE from cache (memory)", fmt(memory), fmt(parse), `${(memory / parse).toFixed(1)}x`, ""]);
  rows.push(["BODYSTRUCTURE from cache (file)", fmt(file), fmt(parse), `${(file / parse).toFixed(1)}x`, ""]);
  await store.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}

const header = ["operation", "ops/s", "reference ops/s", "vs reference", "by median latency (ops/s)"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join("  ");
console.log("reference for appends: raw write + fsync of the same bytes to a new file (target: >= 70%)");
console.log("reference for BODYSTRUCTURE: read + verify the blob, parse it with @holdfast/mime (cache entry deleted)");
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));
console.log("");
for (const t of tails) console.log(t);
gcs.disconnect();
