// Scrub throughput on a generated store of at least 2 GB, beside a raw baseline measured in
// the same run (read every file and xxh64 it, no checks), then the measured rate under a
// 50 MB/s limit. Runs alternate (baseline, scrub, baseline, scrub) so that both see the same
// page cache state; the best of each is reported.
//
//   npm run bench -w holdfast-scrubber          (HOLDFAST_BENCH_DIR to keep/reuse the store,
//                                                 HOLDFAST_BENCH_GB to change its size)
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { open, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createXxh64, initChecksum } from "@holdfast/checksum";
import { Store } from "@holdfast/store";
import { scrub } from "../dist/index.js";

const GB = Number(process.env.HOLDFAST_BENCH_GB ?? 2.05);
const keep = !!process.env.HOLDFAST_BENCH_DIR;
const root = process.env.HOLDFAST_BENCH_DIR ?? join(tmpdir(), `holdfast-scrub-bench-${process.pid}`);
const dataDir = join(root, "data");
const MB = 1e6;

function message(i, size) {
  const head = `From: bench@example.org\r\nSubject: bench ${i}\r\nMessage-ID: <${i}@bench>\r\n\r\n`;
  const line = `${i.toString(36).padStart(8, "0")} ${"abcdefghijklmnopqrstuvwxyz0123456789".repeat(2)}\r\n`;
  return Buffer.from(head + line.repeat(Math.ceil((size - head.length) / line.length)));
}

async function generate() {
  if (existsSync(join(root, "ready"))) return;
  await rm(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const store = await Store.open(dataDir, { fsync: false });
  const users = ["u1", "u2", "u3", "u4"];
  for (const u of users) await store.users.add(u, "pw");
  let total = 0;
  let i = 0;
  const target = GB * 1e9;
  const t0 = performance.now();
  while (total < target) {
    const u = users[i % users.length];
    const mail = await store.mailboxes(u);
    // mostly 1 MB messages, with a share of small ones (many files, as real mail)
    const size = i % 5 === 0 ? 1_000_000 + (i % 7) * 100_000 : 20_000 + (i % 13) * 3_000;
    const box = ["INBOX", "Archive", "Sent"][i % 3];
    await mail.append(box, message(i, size), { flags: i % 2 ? ["\\Seen"] : [] });
    total += size;
    i++;
    if (i % 2000 === 0) process.stderr.write(`  generated ${(total / 1e9).toFixed(2)} GB (${i} messages)\n`);
  }
  await store.close();
  writeFileSync(join(root, "ready"), String(i));
  process.stderr.write(
    `generated ${i} messages, ${(total / 1e9).toFixed(2)} GB in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
  );
}

async function* files(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile() && e.name !== "lock") yield p;
  }
}

/** The reference: read every file of the data folder and xxh64 it, nothing else. */
async function baseline() {
  const buf = Buffer.allocUnsafe(1024 * 1024);
  let bytes = 0;
  let count = 0;
  const t0 = performance.now();
  for await (const p of files(dataDir)) {
    const fh = await open(p, "r");
    const h = createXxh64(0n);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    h.digest();
    await fh.close();
    count++;
  }
  return { bytes, files: count, seconds: (performance.now() - t0) / 1000 };
}

async function scrubRun(limitMB) {
  const t0 = performance.now();
  const r = await scrub(dataDir, { limits: { bytesPerSecond: limitMB * MB, filesPerSecond: 0 } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.damage.length || r.errors.length)
    throw new Error(`bench store not clean: ${JSON.stringify(r.damage.slice(0, 3))}`);
  return { bytes: r.bytes, files: r.files, seconds };
}

const rate = (x) => x.bytes / MB / x.seconds;

await initChecksum();
await generate();
const base = [];
const scr = [];
for (let round = 0; round < 2; round++) {
  base.push(await baseline());
  scr.push(await scrubRun(0));
}
const b = base.reduce((a, x) => (rate(x) > rate(a) ? x : a));
const s = scr.reduce((a, x) => (rate(x) > rate(a) ? x : a));
const limited = await scrubRun(50);

const rows = [
  ["run", "files", "GB", "seconds", "MB/s", "vs baseline / target"],
  [
    "raw baseline: read + xxh64 every file",
    b.files,
    (b.bytes / 1e9).toFixed(2),
    b.seconds.toFixed(1),
    rate(b).toFixed(0),
    "reference",
  ],
  [
    "scrub --rate 0 (unlimited)",
    s.files,
    (s.bytes / 1e9).toFixed(2),
    s.seconds.toFixed(1),
    rate(s).toFixed(0),
    `${((rate(s) / rate(b)) * 100).toFixed(0)}% (target >= 80%)`,
  ],
  [
    "scrub --rate 50",
    limited.files,
    (limited.bytes / 1e9).toFixed(2),
    limited.seconds.toFixed(1),
    rate(limited).toFixed(1),
    `${(((rate(limited) - 50) / 50) * 100).toFixed(1)}% off 50 MB/s (target within ±10%)`,
  ],
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join("  "));
console.log(
  `(all runs: baseline ${base.map((x) => rate(x).toFixed(0)).join(", ")} MB/s; scrub ${scr.map((x) => rate(x).toFixed(0)).join(", ")} MB/s)`,
);
if (!keep) await rm(root, { recursive: true, force: true });
