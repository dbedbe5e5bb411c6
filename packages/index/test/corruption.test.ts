import { initChecksum } from "@holdfast/checksum";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BLOCK_SIZE,
  compareStates,
  entriesPerBlock,
  FileName,
  IndexReadOnlyError,
  KEYWORD_ENTRY_SIZE,
  MailboxIndex,
  type MailboxState,
  MESSAGE_RECORD_SIZE,
  repair,
  scanLog,
  verify,
} from "../src/index.js";
import { FaultFs, type FaultFsImage } from "./helpers/fault-fs.js";
import { message, prng } from "./helpers/mailbox.js";

/*
 * Corruption tests: a mailbox of a few thousand messages (keywords past the 32nd, expunge
 * tombstones, two checkpoints so index, index.backup and log all hold data), then one bit
 * flipped at a time over every region of each file. Each flip must be detected by verify;
 * repair must give back exactly the state before the flip, since every other copy is
 * intact. Damage to every copy must be reported with the affected UIDs.
 *
 * The files live in the in-memory file layer (no faults injected) so thousands of
 * verify + repair rounds stay fast. HOLDFAST_LONG=1 flips every byte of the headers'
 * padding too.
 */

const DIR = "/mbox";
const LONG = process.env.HOLDFAST_LONG === "1";
const KEYWORDS = Array.from({ length: 40 }, (_, i) => `$Kw${i}`);

let image: FaultFsImage;
let reference: MailboxState;

function path(name: string): string {
  return `${DIR}/${name}`;
}

function fsWith(change?: (files: Map<string, Uint8Array>) => void): FaultFs {
  const files = new Map([...image.files].map(([k, v]) => [k, v.slice()]));
  change?.(files);
  return new FaultFs({ files });
}

function flip(name: string, offset: number): FaultFs {
  return fsWith((files) => {
    const data = files.get(path(name))!;
    data[offset]! ^= 1 << (offset % 8);
  });
}

beforeAll(async () => {
  await initChecksum();
  const random = prng(77);
  const fs = new FaultFs();
  const index = await MailboxIndex.open(DIR, { fs, create: true, uidValidity: 1234, autoCheckpointBytes: 0 });
  const pick = () => [
    ...["\\Seen", "\\Flagged", "\\Answered"].filter(() => random() < 0.4),
    ...KEYWORDS.filter(() => random() < 0.04),
  ];
  for (let b = 0; b < 4; b++) {
    const tx = index.transaction();
    for (let i = 0; i < 500; i++) tx.append(message(b * 500 + i + 1, pick()));
    await tx.commit();
  }
  await index.transaction().expunge("100:180").commit();
  await index.transaction().store("1:400", "add", ["$Kw35", "\\Deleted"]).commit();
  await index.checkpoint();
  for (let k = 0; k < 40; k++) {
    const uids = Array.from({ length: 20 }, () => 1 + Math.floor(random() * 2000));
    const r = random();
    if (r < 0.6) await index.transaction().store(uids, "replace", pick()).commit();
    else if (r < 0.8) await index.transaction().expunge(uids.slice(0, 3)).commit();
    else
      await index
        .transaction()
        .append(message(5000 + k, pick()))
        .commit();
  }
  await index.checkpoint();
  await index.close();
  image = fs.cleanImage();
  const check = await MailboxIndex.open(DIR, { fs: new FaultFs(image), readOnly: true });
  reference = check.state;
  await check.close();
  expect(reference.messages.count).toBeGreaterThan(1800);
  expect(reference.messages.extraKeywords.size).toBeGreaterThan(100);
  expect(reference.tombstones.count).toBeGreaterThan(50);
});

/** Offsets to flip in a snapshot: every header byte that means something, sampled padding, sampled records. */
function snapshotOffsets(size: number, random: () => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 128; i++) out.push(i);
  for (let i = 128; i < BLOCK_SIZE - 8; i += LONG ? 1 : 997) out.push(i);
  for (let i = BLOCK_SIZE - 8; i < BLOCK_SIZE; i++) out.push(i);
  const blocks = size / BLOCK_SIZE;
  for (let b = 1; b < blocks; b++) {
    // Every data block: eight bytes spread over its records, a block-header and a checksum byte.
    const base = b * BLOCK_SIZE;
    for (let k = 0; k < 8; k++) out.push(base + 8 + Math.floor((k + random()) * ((BLOCK_SIZE - 16) / 8)));
    out.push(base + Math.floor(random() * 8), base + BLOCK_SIZE - 1 - Math.floor(random() * 8));
  }
  return out;
}

function logOffsets(log: Uint8Array, random: () => number): number[] {
  const out: number[] = [];
  const scan = scanLog(log);
  expect(scan.damage).toEqual([]);
  // Every byte of the header record, then each record's header, some payload, its checksum.
  const firstEnd = 8 + 32 + 8;
  for (let i = 0; i < firstEnd; i++) out.push(i);
  let at = firstEnd;
  while (at < log.byteLength) {
    const len = new DataView(log.buffer, log.byteOffset).getUint32(at, true);
    const end = at + 16 + len;
    for (let i = 0; i < 8; i++) out.push(at + i);
    for (let k = 0; k < 100; k++) out.push(at + 8 + Math.floor((k + random()) * (len / 100)));
    out.push(end - 1 - Math.floor(random() * 8));
    at = end;
  }
  return out;
}

async function expectRepaired(fs: FaultFs, label: string, withVerify: boolean): Promise<void> {
  // Detected by verify (every 5th flip, to keep the suite short: verify and repair share
  // the same checks) and by repair's own open, which checks every copy...
  if (withVerify) expect((await verify(DIR, { fs })).ok, `${label}: verify missed the flip`).toBe(false);
  const fixed = await repair(DIR, { fs });
  expect(fixed.recovery.clean, `${label}: flip not detected`).toBe(false);
  expect(fixed.repaired, `${label}: ${JSON.stringify(fixed.after.problems)} ${fixed.after.differences}`).toBe(true);
  const index = await MailboxIndex.open(DIR, { fs, readOnly: true });
  expect(compareStates(index.state, reference), label).toEqual([]);
  await index.close();
}

describe("corruption: one bit flipped in one copy", () => {
  it("every flip in index is detected and repaired to the exact prior state", async () => {
    const random = prng(1);
    const offsets = snapshotOffsets(image.files.get(path(FileName.snapshot))!.byteLength, random);
    expect(offsets.length).toBeGreaterThan(150);
    for (const [k, offset] of offsets.entries())
      await expectRepaired(flip(FileName.snapshot, offset), `index@${offset}`, k % 5 === 0);
  });

  it("every flip in index.backup is detected and repaired to the exact prior state", async () => {
    const random = prng(2);
    const offsets = snapshotOffsets(image.files.get(path(FileName.backup))!.byteLength, random);
    for (const [k, offset] of offsets.entries()) {
      await expectRepaired(flip(FileName.backup, offset), `index.backup@${offset}`, k % 5 === 0);
    }
  });

  it("every flip in log is detected and repaired to the exact prior state", async () => {
    const random = prng(3);
    const log = image.files.get(path(FileName.log))!;
    const offsets = logOffsets(log, random);
    expect(offsets.length).toBeGreaterThan(100);
    for (const [k, offset] of offsets.entries())
      await expectRepaired(flip(FileName.log, offset), `log@${offset}`, k % 5 === 0);
  });
});

describe("corruption: every copy damaged", () => {
  it("opens read-only, reports the affected UIDs, and salvage keeps everything else exactly", async () => {
    // Damage the same message region in both snapshots; the log (from the backup on)
    // cannot rebuild it.
    const blockOf = (uidIndex: number) =>
      1 +
      Math.ceil(reference.keywords.size / entriesPerBlock(KEYWORD_ENTRY_SIZE)) +
      Math.floor(uidIndex / entriesPerBlock(MESSAGE_RECORD_SIZE));
    const victim = 1000;
    const fs = fsWith((files) => {
      for (const name of [FileName.snapshot, FileName.backup]) {
        const data = files.get(path(name))!;
        data[blockOf(victim) * BLOCK_SIZE + 100]! ^= 0x10;
      }
    });
    const report = await verify(DIR, { fs });
    expect(report.ok).toBe(false);
    expect(report.lossless).toBe(false);
    const index = await MailboxIndex.open(DIR, { fs });
    expect(index.readOnly).toBe(true);
    await expect(index.transaction().store([1], "add", ["\\Seen"]).commit()).rejects.toBeInstanceOf(IndexReadOnlyError);
    const lost = new Set<number>();
    const t = reference.messages;
    for (let i = 0; i < t.count; i++) if (index.state.messages.indexOf(t.uids[i]!) < 0) lost.add(t.uids[i]!);
    expect(lost.size).toBeGreaterThan(0);
    const inRanges = (u: number) => index.recovery.lostUidRanges.some(([a, b]) => u >= a && u <= b);
    for (const u of lost) {
      expect(inRanges(u), `lost UID ${u} not reported`).toBe(true);
      expect(index.recovery.affectedUids).toContain(u);
    }
    // The names are exact: tombstones tell expunged UIDs apart from lost ones.
    expect(index.recovery.affectedUids.filter((u) => !lost.has(u))).toEqual([]);
    // Never invent flags: every message still served has exactly its old flags.
    const s = index.state.messages;
    for (let i = 0; i < s.count; i++) {
      const r = t.indexOf(s.uids[i]!);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(s.flags[i]).toBe(t.flags[r]);
      expect([...s.keywordsAt(i)]).toEqual([...t.keywordsAt(r)]);
    }
    expect(index.status().uidNext).toBe(reference.uidNext);
    expect(index.status().highestModseq).toBe(reference.highestModseq);
    await index.close();

    const salvaged = await repair(DIR, { fs, salvage: true });
    expect(salvaged.salvaged).toBe(true);
    expect(salvaged.after.ok).toBe(true);
    const after = await MailboxIndex.open(DIR, { fs });
    expect(after.readOnly).toBe(false);
    expect(after.status().messages).toBe(reference.messages.count - lost.size);
    expect(after.status().uidValidity).toBe(reference.uidValidity);
    await after.close();
  });

  it("a damaged header everywhere with no way to prove UIDNEXT asks for a new UIDVALIDITY", async () => {
    const fs = fsWith((files) => {
      for (const name of [FileName.snapshot, FileName.backup]) files.get(path(name))![20]! ^= 1;
    });
    const index = await MailboxIndex.open(DIR, { fs });
    expect(index.readOnly).toBe(true);
    expect(index.recovery.newUidValidity).toBeDefined();
    expect(index.recovery.newUidValidity).not.toBe(reference.uidValidity);
    await index.close();
  });
});
