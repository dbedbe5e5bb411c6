import { verifyBlock } from "@holdfast/checksum";
import {
  BLOCK_HEADER_SIZE,
  BLOCK_SIZE,
  EXTRA_KEYWORD_ENTRY_SIZE,
  entriesPerBlock,
  KEYWORD_ENTRY_SIZE,
  KEYWORD_WORDS,
  MESSAGE_RECORD_SIZE,
  SNAPSHOT_SEED,
  TOMBSTONE_ENTRY_SIZE,
} from "./format.js";
import type { IndexFs } from "./fs.js";
import { decodeMessages, readSnapshotHeader, type SnapshotHeader, sectionLayout } from "./snapshot.js";
import { MailboxState } from "./state.js";

/*
 * Open's fast path: load an intact snapshot straight from the file, a chunk of blocks at a
 * time through one reused buffer, verifying each block just before decoding it. Nothing
 * the size of the file is allocated (the whole-file path costs a 60 MiB buffer at a million
 * messages, and the page faults to fill it). Any failure — a bad header, a wrong size, one
 * block that does not verify — returns undefined and open falls back to reading the whole
 * file and the full recovery, which then says exactly what is damaged.
 */

const CHUNK_BLOCKS = 64;
const KW_PER_BLOCK = entriesPerBlock(KEYWORD_ENTRY_SIZE);
const MSG_PER_BLOCK = entriesPerBlock(MESSAGE_RECORD_SIZE);
const EXTRA_PER_BLOCK = entriesPerBlock(EXTRA_KEYWORD_ENTRY_SIZE);
const TOMB_PER_BLOCK = entriesPerBlock(TOMBSTONE_ENTRY_SIZE);
const decoder = new TextDecoder();

export async function loadSnapshotFile(
  fs: IndexFs,
  path: string,
): Promise<{ header: SnapshotHeader; state: MailboxState } | undefined> {
  let file: Awaited<ReturnType<IndexFs["open"]>>;
  try {
    file = await fs.open(path, "read");
  } catch {
    return undefined;
  }
  try {
    const size = await file.size();
    if (size < BLOCK_SIZE) return undefined;
    const buffer = new Uint8Array(BLOCK_SIZE * CHUNK_BLOCKS);
    if ((await file.read(buffer, BLOCK_SIZE, 0)) !== BLOCK_SIZE) return undefined;
    const header = readSnapshotHeader(buffer.subarray(0, BLOCK_SIZE));
    if (typeof header === "string") return undefined;
    const layout = sectionLayout(header);
    if (size !== layout.total * BLOCK_SIZE) return undefined;
    const state = new MailboxState(Math.max(header.messageCount, 16));
    state.uidValidity = header.uidValidity;
    state.uidNext = header.uidNext;
    state.highestModseq = header.highestModseq;
    state.seq = header.seq;
    state.firstRecentUid = header.firstRecentUid;
    state.digest = header.digest;
    state.tombstones.floor = header.tombstoneFloor;
    // Two buffers: the next chunk is read (on the I/O threads) while this one is decoded.
    const buffers = [buffer, new Uint8Array(BLOCK_SIZE * CHUNK_BLOCKS)];
    const words = buffers.map((b) => new Uint32Array(b.buffer));
    const readChunk = async (first: number, target: Uint8Array): Promise<boolean> => {
      const bytes = Math.min(CHUNK_BLOCKS, layout.total - first) * BLOCK_SIZE;
      let got = 0;
      while (got < bytes) {
        const n = await file.read(target.subarray(got), bytes - got, first * BLOCK_SIZE + got);
        if (n <= 0) return false;
        got += n;
      }
      return true;
    };
    let next: Promise<boolean> | undefined = layout.total > 1 ? readChunk(1, buffers[0]!) : undefined;
    for (let first = 1, turn = 0; first < layout.total; first += CHUNK_BLOCKS, turn ^= 1) {
      const ok = await next!;
      const following = first + CHUNK_BLOCKS;
      next = following < layout.total ? readChunk(following, buffers[turn ^ 1]!) : undefined;
      if (!ok) {
        await next?.catch(() => false);
        return undefined;
      }
      const data = buffers[turn]!;
      const d32 = words[turn]!;
      const count = Math.min(CHUNK_BLOCKS, layout.total - first);
      for (let k = 0; k < count; k++) {
        const b = first + k;
        const at = k * BLOCK_SIZE;
        if (!verifyBlock(data.subarray(at, at + BLOCK_SIZE), b, SNAPSHOT_SEED)) {
          await next?.catch(() => false);
          return undefined;
        }
        decodeBlock(state, header, layout, b, data, d32, at);
      }
    }
    if (state.keywords.size !== header.keywordCount || state.messages.count !== header.messageCount) return undefined;
    return { header, state };
  } finally {
    await file.close();
  }
}

function decodeBlock(
  state: MailboxState,
  h: SnapshotHeader,
  layout: ReturnType<typeof sectionLayout>,
  b: number,
  data: Uint8Array,
  d32: Uint32Array,
  at: number,
): void {
  const entries = at + BLOCK_HEADER_SIZE;
  if (b < layout.messages) {
    const first = (b - layout.keywords) * KW_PER_BLOCK;
    const n = Math.min(KW_PER_BLOCK, h.keywordCount - first);
    for (let k = 0; k < n; k++) {
      const e = entries + k * KEYWORD_ENTRY_SIZE;
      const len = Math.min(data[e]!, KEYWORD_ENTRY_SIZE - 1);
      state.keywords.add(first + k, decoder.decode(data.subarray(e + 1, e + 1 + len)));
    }
  } else if (b < layout.extra) {
    const first = (b - layout.messages) * MSG_PER_BLOCK;
    decodeMessages(state.messages, data, d32, entries, Math.min(MSG_PER_BLOCK, h.messageCount - first));
  } else if (b < layout.tombstones) {
    const first = (b - layout.extra) * EXTRA_PER_BLOCK;
    const n = Math.min(EXTRA_PER_BLOCK, h.extraKeywordCount - first);
    const t = state.messages;
    for (let k = 0; k < n; k++) {
      const w = (entries + k * EXTRA_KEYWORD_ENTRY_SIZE) >>> 2;
      const uid = d32[w]!;
      const word = d32[w + 1]!;
      if (word < 1 || word >= KEYWORD_WORDS) continue;
      let words = t.extraKeywords.get(uid);
      if (!words) {
        words = new Uint32Array(KEYWORD_WORDS - 1);
        t.extraKeywords.set(uid, words);
      }
      words[word - 1] = d32[w + 2]!;
    }
  } else {
    const first = (b - layout.tombstones) * TOMB_PER_BLOCK;
    const n = Math.min(TOMB_PER_BLOCK, h.tombstoneCount - first);
    for (let k = 0; k < n; k++) {
      const w = (entries + k * TOMBSTONE_ENTRY_SIZE) >>> 2;
      state.tombstones.push(d32[w]!, d32[w + 2]! + d32[w + 3]! * 4294967296);
    }
  }
}
