import { sealBlock, verifyBlock } from "@holdfast/checksum";
import {
  BLOCK_HEADER_SIZE,
  BLOCK_SIZE,
  EXTRA_KEYWORD_ENTRY_SIZE,
  entriesPerBlock,
  FORMAT_VERSION,
  KEYWORD_ENTRY_SIZE,
  KEYWORD_WORDS,
  MESSAGE_RECORD_SIZE,
  Section,
  type SectionId,
  SNAPSHOT_MAGIC,
  SNAPSHOT_SEED,
  TOMBSTONE_ENTRY_SIZE,
} from "./format.js";
import type { MessageTable } from "./message-table.js";
import { MailboxState } from "./state.js";

/** The fast record paths read and write 32-bit words in host order: the format is little-endian. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/*
 * The snapshot file (`index`, `index.backup`): block 0 is the header, then the keyword
 * table, the message records, the extra keyword words and the tombstones, each section in
 * whole blocks. Every block, the header included, is sealed with sealBlock (xxh64 seeded
 * with the block number), so damage is found block by block and an intact block is
 * trusted on its own. Byte layout: docs/index-format.md.
 */

export interface SnapshotHeader {
  version: number;
  blockSize: number;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** Sequence number of the last log transaction included. */
  seq: number;
  firstRecentUid: number;
  messageCount: number;
  keywordCount: number;
  extraKeywordCount: number;
  tombstoneCount: number;
  tombstoneFloor: number;
  digest: bigint;
  createdAt: number;
  keywordBlocks: number;
  messageBlocks: number;
  extraBlocks: number;
  tombstoneBlocks: number;
}

const KW_PER_BLOCK = entriesPerBlock(KEYWORD_ENTRY_SIZE);
const MSG_PER_BLOCK = entriesPerBlock(MESSAGE_RECORD_SIZE);
const EXTRA_PER_BLOCK = entriesPerBlock(EXTRA_KEYWORD_ENTRY_SIZE);
const TOMB_PER_BLOCK = entriesPerBlock(TOMBSTONE_ENTRY_SIZE);

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

function blocksFor(count: number, perBlock: number): number {
  return Math.ceil(count / perBlock);
}

/** Where each section starts (block numbers) for a header's counts. */
export function sectionLayout(
  h: Pick<SnapshotHeader, "keywordBlocks" | "messageBlocks" | "extraBlocks" | "tombstoneBlocks">,
) {
  const keywords = 1;
  const messages = keywords + h.keywordBlocks;
  const extra = messages + h.messageBlocks;
  const tombstones = extra + h.extraBlocks;
  const total = tombstones + h.tombstoneBlocks;
  return { keywords, messages, extra, tombstones, total };
}

/** Serialise a state into a complete, sealed snapshot. */
export function encodeSnapshot(state: MailboxState, createdAt = Date.now()): Uint8Array {
  const t = state.messages;
  // Extra keyword words, sorted by UID: walk the (small) side table, not every message.
  const extraEntries: [number, number, number][] = [];
  for (const uid of [...t.extraKeywords.keys()].sort((a, b) => a - b)) {
    if (t.indexOf(uid) < 0) continue; // a withheld message's words (salvage) are not written
    const extra = t.extraKeywords.get(uid)!;
    for (let w = 0; w < extra.length; w++) if (extra[w]) extraEntries.push([uid, w + 1, extra[w]!]);
  }
  const header: SnapshotHeader = {
    version: FORMAT_VERSION,
    blockSize: BLOCK_SIZE,
    uidValidity: state.uidValidity,
    uidNext: state.uidNext,
    highestModseq: state.highestModseq,
    seq: state.seq,
    firstRecentUid: state.firstRecentUid,
    messageCount: t.count,
    keywordCount: state.keywords.size,
    extraKeywordCount: extraEntries.length,
    tombstoneCount: state.tombstones.count,
    tombstoneFloor: state.tombstones.floor,
    digest: state.digest,
    createdAt,
    keywordBlocks: blocksFor(state.keywords.size, KW_PER_BLOCK),
    messageBlocks: blocksFor(t.count, MSG_PER_BLOCK),
    extraBlocks: blocksFor(extraEntries.length, EXTRA_PER_BLOCK),
    tombstoneBlocks: blocksFor(state.tombstones.count, TOMB_PER_BLOCK),
  };
  const layout = sectionLayout(header);
  const out = new Uint8Array(layout.total * BLOCK_SIZE);
  const view = new DataView(out.buffer);
  const o32 = new Uint32Array(out.buffer);
  const guidWords = new Uint32Array(t.guids.buffer, t.guids.byteOffset, t.guids.byteLength >>> 2);
  writeHeader(view, header);

  const section = (
    first: number,
    blocks: number,
    id: SectionId,
    count: number,
    per: number,
    size: number,
    fill: (entry: number, at: number) => void,
  ) => {
    for (let b = 0; b < blocks; b++) {
      const base = (first + b) * BLOCK_SIZE;
      const firstEntry = b * per;
      const n = Math.min(per, count - firstEntry);
      out[base] = id;
      view.setUint16(base + 2, n, true);
      view.setUint32(base + 4, firstEntry, true);
      for (let k = 0; k < n; k++) fill(firstEntry + k, base + BLOCK_HEADER_SIZE + k * size);
    }
  };
  section(
    layout.keywords,
    header.keywordBlocks,
    Section.keywords,
    header.keywordCount,
    KW_PER_BLOCK,
    KEYWORD_ENTRY_SIZE,
    (e, at) => {
      const bytes = encoder.encode(state.keywords.names[e]!);
      out[at] = bytes.length;
      out.set(bytes, at + 1);
    },
  );
  section(
    layout.messages,
    header.messageBlocks,
    Section.messages,
    t.count,
    MSG_PER_BLOCK,
    MESSAGE_RECORD_SIZE,
    (i, at) => {
      // Word writes through a Uint32Array (little-endian host, checked at load): no BigInt.
      const w = at >>> 2;
      o32[w] = t.uids[i]!;
      out[at + 4] = t.flags[i]!;
      o32[w + 2] = t.keywords0[i]!;
      o32[w + 3] = t.sizes[i]!;
      const m = t.modseqs[i]!;
      o32[w + 4] = m >>> 0;
      o32[w + 5] = Math.floor(m / 4294967296);
      const d = t.dates[i]!;
      o32[w + 6] = d >>> 0;
      o32[w + 7] = Math.floor(d / 4294967296);
      const g = i * 4;
      o32[w + 8] = guidWords[g]!;
      o32[w + 9] = guidWords[g + 1]!;
      o32[w + 10] = guidWords[g + 2]!;
      o32[w + 11] = guidWords[g + 3]!;
      o32[w + 12] = t.hashWords[i * 2]!;
      o32[w + 13] = t.hashWords[i * 2 + 1]!;
    },
  );
  section(
    layout.extra,
    header.extraBlocks,
    Section.extraKeywords,
    extraEntries.length,
    EXTRA_PER_BLOCK,
    EXTRA_KEYWORD_ENTRY_SIZE,
    (e, at) => {
      const [uid, word, mask] = extraEntries[e]!;
      view.setUint32(at, uid, true);
      view.setUint32(at + 4, word, true);
      view.setUint32(at + 8, mask, true);
    },
  );
  const tomb = state.tombstones;
  section(
    layout.tombstones,
    header.tombstoneBlocks,
    Section.tombstones,
    tomb.count,
    TOMB_PER_BLOCK,
    TOMBSTONE_ENTRY_SIZE,
    (e, at) => {
      view.setUint32(at, tomb.uids[e]!, true);
      view.setBigUint64(at + 8, BigInt(tomb.modseqs[e]!), true);
    },
  );
  for (let b = 0; b < layout.total; b++)
    sealBlock(out.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE), b, SNAPSHOT_SEED);
  return out;
}

function writeHeader(view: DataView, h: SnapshotHeader): void {
  for (let i = 0; i < 8; i++) view.setUint8(i, SNAPSHOT_MAGIC[i]!);
  view.setUint32(8, h.version, true);
  view.setUint32(12, h.blockSize, true);
  view.setUint32(16, h.uidValidity, true);
  view.setUint32(20, h.uidNext, true);
  view.setBigUint64(24, BigInt(h.highestModseq), true);
  view.setBigUint64(32, BigInt(h.seq), true);
  view.setUint32(40, h.firstRecentUid, true);
  view.setUint32(44, h.messageCount, true);
  view.setUint32(48, h.keywordCount, true);
  view.setUint32(52, h.extraKeywordCount, true);
  view.setUint32(56, h.tombstoneCount, true);
  view.setBigUint64(64, BigInt(h.tombstoneFloor), true);
  view.setBigUint64(72, h.digest, true);
  view.setBigUint64(80, BigInt(h.createdAt), true);
  view.setUint32(88, h.keywordBlocks, true);
  view.setUint32(92, h.messageBlocks, true);
  view.setUint32(96, h.extraBlocks, true);
  view.setUint32(100, h.tombstoneBlocks, true);
}

/** The header, when block 0 is intact and self-consistent; otherwise a reason. */
export function readSnapshotHeader(data: Uint8Array): SnapshotHeader | string {
  if (data.byteLength < BLOCK_SIZE) return "file shorter than one block";
  const block0 = data.subarray(0, BLOCK_SIZE);
  if (!verifyBlock(block0, 0, SNAPSHOT_SEED)) return "header block checksum mismatch";
  for (let i = 0; i < 8; i++) if (data[i] !== SNAPSHOT_MAGIC[i]) return "bad magic";
  const v = new DataView(data.buffer, data.byteOffset, BLOCK_SIZE);
  const h: SnapshotHeader = {
    version: v.getUint32(8, true),
    blockSize: v.getUint32(12, true),
    uidValidity: v.getUint32(16, true),
    uidNext: v.getUint32(20, true),
    highestModseq: Number(v.getBigUint64(24, true)),
    seq: Number(v.getBigUint64(32, true)),
    firstRecentUid: v.getUint32(40, true),
    messageCount: v.getUint32(44, true),
    keywordCount: v.getUint32(48, true),
    extraKeywordCount: v.getUint32(52, true),
    tombstoneCount: v.getUint32(56, true),
    tombstoneFloor: Number(v.getBigUint64(64, true)),
    digest: v.getBigUint64(72, true),
    createdAt: Number(v.getBigUint64(80, true)),
    keywordBlocks: v.getUint32(88, true),
    messageBlocks: v.getUint32(92, true),
    extraBlocks: v.getUint32(96, true),
    tombstoneBlocks: v.getUint32(100, true),
  };
  if (h.version !== FORMAT_VERSION) return `unsupported format version ${h.version}`;
  if (h.blockSize !== BLOCK_SIZE) return `unsupported block size ${h.blockSize}`;
  if (
    h.keywordBlocks !== blocksFor(h.keywordCount, KW_PER_BLOCK) ||
    h.messageBlocks !== blocksFor(h.messageCount, MSG_PER_BLOCK) ||
    h.extraBlocks !== blocksFor(h.extraKeywordCount, EXTRA_PER_BLOCK) ||
    h.tombstoneBlocks !== blocksFor(h.tombstoneCount, TOMB_PER_BLOCK)
  ) {
    return "section sizes do not match their counts";
  }
  return h;
}

/**
 * Copy `n` message records starting at byte `at` into the table. A small function of its
 * own so the JIT optimises it after a few blocks (a loop inside one long function is
 * optimised late, which costs more than the whole load on a cold start).
 * Word reads through a Uint32Array over the (4-aligned) file: no BigInt, no subarray.
 */
export function decodeMessages(t: MessageTable, data: Uint8Array, d32: Uint32Array, at: number, n: number): void {
  let w = at >>> 2;
  const uids = t.uids;
  const flags = t.flags;
  const kw = t.keywords0;
  const sizes = t.sizes;
  const modseqs = t.modseqs;
  const dates = t.dates;
  const hashWords = t.hashWords;
  const guidWords = new Uint32Array(t.guids.buffer, t.guids.byteOffset, t.guids.byteLength >>> 2);
  let i = t.count;
  for (let k = 0; k < n; k++, at += MESSAGE_RECORD_SIZE, w += MESSAGE_RECORD_SIZE >>> 2, i++) {
    uids[i] = d32[w]!;
    flags[i] = data[at + 4]!;
    kw[i] = d32[w + 2]!;
    sizes[i] = d32[w + 3]!;
    modseqs[i] = d32[w + 4]! + d32[w + 5]! * 4294967296;
    dates[i] = d32[w + 6]! + (d32[w + 7]! | 0) * 4294967296;
    const g = i * 4;
    guidWords[g] = d32[w + 8]!;
    guidWords[g + 1] = d32[w + 9]!;
    guidWords[g + 2] = d32[w + 10]!;
    guidWords[g + 3] = d32[w + 11]!;
    hashWords[i * 2] = d32[w + 12]!;
    hashWords[i * 2 + 1] = d32[w + 13]!;
  }
  t.count = i;
}

/** A range of message positions lost to a damaged block, with the UIDs it may have held. */
export interface LostMessages {
  block: number;
  firstPosition: number;
  count: number;
  /** Every lost UID lies in [uidLow, uidHigh] (bounded by the intact neighbours). */
  uidLow: number;
  uidHigh: number;
}

export type SnapshotRead =
  | { kind: "ok"; header: SnapshotHeader; state: MailboxState }
  | { kind: "damaged"; header: SnapshotHeader | undefined; reason: string; damagedBlocks: number[] };

/** Block numbers whose checksum fails (header excluded), for a file with an intact header. */
export function damagedSnapshotBlocks(data: Uint8Array, total: number): number[] {
  const damaged: number[] = [];
  for (let b = 1; b < total; b++) {
    const block = data.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE);
    if (block.byteLength < BLOCK_SIZE || !verifyBlock(block, b, SNAPSHOT_SEED)) damaged.push(b);
  }
  return damaged;
}

/**
 * Verify and load a snapshot. Every block's checksum is checked before anything in it is
 * used; any failure gives "damaged" with the failing block numbers (see loadBlocks).
 */
export function readSnapshot(data: Uint8Array): SnapshotRead {
  const header = readSnapshotHeader(data);
  if (typeof header === "string") return { kind: "damaged", header: undefined, reason: header, damagedBlocks: [0] };
  const layout = sectionLayout(header);
  if (data.byteLength !== layout.total * BLOCK_SIZE) {
    const damaged = damagedSnapshotBlocks(data, layout.total);
    return {
      kind: "damaged",
      header,
      reason: `file is ${data.byteLength} bytes, header says ${layout.total * BLOCK_SIZE}`,
      damagedBlocks: damaged,
    };
  }
  // One pass: each block is verified just before it is decoded, while it is in cache.
  const { state, lost, damaged } = loadBlocks(data, header, new Set(), true);
  if (damaged.length > 0) {
    return { kind: "damaged", header, reason: `${damaged.length} damaged block(s)`, damagedBlocks: damaged };
  }
  if (lost.length > 0 || state.keywords.size !== header.keywordCount) {
    return {
      kind: "damaged",
      header,
      reason: "block contents inconsistent with header",
      damagedBlocks: lost.map((l) => l.block),
    };
  }
  return { kind: "ok", header, state };
}

/**
 * Load what the intact blocks hold, skipping `skip` (damaged block numbers). Messages whose
 * block is damaged are left out and described in `lost`. Keyword or extra-keyword damage
 * makes the messages that may depend on it lost too (their keywords are unknown; flags are
 * never guessed).
 */
export function loadBlocks(
  data: Uint8Array,
  h: SnapshotHeader,
  skip: Set<number>,
  verify = false,
): { state: MailboxState; lost: LostMessages[]; lostTombstones: boolean; damaged: number[] } {
  const layout = sectionLayout(h);
  const state = new MailboxState(Math.max(h.messageCount, 16));
  state.uidValidity = h.uidValidity;
  state.uidNext = h.uidNext;
  state.highestModseq = h.highestModseq;
  state.seq = h.seq;
  state.firstRecentUid = h.firstRecentUid;
  state.digest = h.digest;
  if (data.byteOffset % 4 !== 0) data = data.slice();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const d32 = new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2);
  const lost: LostMessages[] = [];
  const damaged: number[] = [];
  const checked = new Map<number, boolean>();
  // With `verify`, a block is used only after its checksum holds; failures join `skip`.
  const bad = (block: number): boolean => {
    if (skip.has(block)) return true;
    if (!verify) return false;
    let ok = checked.get(block);
    if (ok === undefined) {
      ok = verifyBlock(data.subarray(block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE), block, SNAPSHOT_SEED);
      checked.set(block, ok);
      if (!ok) {
        skip.add(block);
        damaged.push(block);
      }
    }
    return !ok;
  };

  // Keywords: a damaged keyword block leaves names unknown; messages using them are lost.
  let unknownKeywordMask: Uint32Array | undefined;
  for (let b = 0; b < h.keywordBlocks; b++) {
    const block = layout.keywords + b;
    const first = b * KW_PER_BLOCK;
    const n = Math.min(KW_PER_BLOCK, h.keywordCount - first);
    const blockBad = bad(block);
    for (let k = 0; k < n; k++) {
      const id = first + k;
      if (blockBad) {
        unknownKeywordMask ??= new Uint32Array(KEYWORD_WORDS);
        unknownKeywordMask[id >>> 5]! |= 1 << (id & 31);
        state.keywords.add(id, `$HoldfastLostKeyword${id}`);
        continue;
      }
      const at = block * BLOCK_SIZE + BLOCK_HEADER_SIZE + k * KEYWORD_ENTRY_SIZE;
      const len = data[at]!;
      state.keywords.add(id, decoder.decode(data.subarray(at + 1, at + 1 + Math.min(len, KEYWORD_ENTRY_SIZE - 1))));
    }
  }

  // Messages.
  const t = state.messages;
  const uids = t.uids;
  for (let b = 0; b < h.messageBlocks; b++) {
    const block = layout.messages + b;
    const first = b * MSG_PER_BLOCK;
    const n = Math.min(MSG_PER_BLOCK, h.messageCount - first);
    if (bad(block)) {
      lost.push({
        block,
        firstPosition: first,
        count: n,
        uidLow: t.count > 0 ? uids[t.count - 1]! + 1 : 1,
        uidHigh: 0,
      });
      continue;
    }
    decodeMessages(t, data, d32, block * BLOCK_SIZE + BLOCK_HEADER_SIZE, n);
    // The UIDs of a preceding lost range end just below the first UID here.
    for (const l of lost) if (l.uidHigh === 0 && n > 0) l.uidHigh = uids[t.count - n]! - 1;
  }
  for (const l of lost) if (l.uidHigh === 0) l.uidHigh = Math.max(h.uidNext - 1, l.uidLow);

  // Extra keyword words (keywords 32+), sorted by UID.
  let previousUid = 0;
  for (let b = 0; b < h.extraBlocks; b++) {
    const block = layout.extra + b;
    const first = b * EXTRA_PER_BLOCK;
    const n = Math.min(EXTRA_PER_BLOCK, h.extraKeywordCount - first);
    if (bad(block)) {
      // Which messages had words here is unknown: every message between the intact
      // neighbouring entries may have lost keywords.
      const nextAt = (block + 1) * BLOCK_SIZE + BLOCK_HEADER_SIZE;
      const nextUid = b + 1 < h.extraBlocks && !bad(block + 1) ? view.getUint32(nextAt, true) : h.uidNext;
      lost.push({ block, firstPosition: -1, count: 0, uidLow: previousUid, uidHigh: nextUid });
      continue;
    }
    let at = block * BLOCK_SIZE + BLOCK_HEADER_SIZE;
    for (let k = 0; k < n; k++, at += EXTRA_KEYWORD_ENTRY_SIZE) {
      const uid = view.getUint32(at, true);
      const word = view.getUint32(at + 4, true);
      const mask = view.getUint32(at + 8, true);
      previousUid = uid;
      if (word < 1 || word >= KEYWORD_WORDS) continue;
      let words = t.extraKeywords.get(uid);
      if (!words) {
        words = new Uint32Array(KEYWORD_WORDS - 1);
        t.extraKeywords.set(uid, words);
      }
      words[word - 1] = mask;
    }
  }

  // Tombstones: a damaged block means QRESYNC can no longer answer exactly below the
  // highest MODSEQ it might have held, so the floor rises (answers become "all missing").
  const tomb = state.tombstones;
  let lostTombstones = false;
  tomb.floor = h.tombstoneFloor;
  for (let b = 0; b < h.tombstoneBlocks; b++) {
    const block = layout.tombstones + b;
    const first = b * TOMB_PER_BLOCK;
    const n = Math.min(TOMB_PER_BLOCK, h.tombstoneCount - first);
    if (bad(block)) {
      lostTombstones = true;
      continue;
    }
    let at = block * BLOCK_SIZE + BLOCK_HEADER_SIZE;
    for (let k = 0; k < n; k++, at += TOMBSTONE_ENTRY_SIZE) {
      tomb.push(view.getUint32(at, true), Number(view.getBigUint64(at + 8, true)));
    }
  }
  if (lostTombstones) tomb.trim(h.highestModseq);

  // Withhold messages whose keywords are not fully known: those using a keyword whose
  // name is lost, and those in the UID range of a damaged extra-keyword block.
  const extraLost = lost.filter((l) => l.firstPosition === -1);
  if (unknownKeywordMask || extraLost.length > 0) {
    const withheld: number[] = [];
    for (let i = 0; i < t.count; i++) {
      const uid = t.uids[i]!;
      let hide = extraLost.some((l) => uid > l.uidLow && uid < l.uidHigh);
      if (!hide && unknownKeywordMask) {
        const words = t.keywordsAt(i);
        for (let w = 0; w < KEYWORD_WORDS; w++) if (words[w]! & unknownKeywordMask[w]!) hide = true;
      }
      if (hide) withheld.push(i);
    }
    for (const i of withheld)
      lost.push({ block: -1, firstPosition: i, count: 1, uidLow: t.uids[i]!, uidHigh: t.uids[i]! });
    t.removePositions(withheld);
  }
  damaged.sort((x, y) => x - y);
  return { state, lost, lostTombstones, damaged };
}
