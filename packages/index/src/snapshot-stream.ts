import { verifyBlock } from "@holdfast/checksum";
import { type ColumnFill, ColumnPrefault } from "./column-prefault.js";
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
import type { IndexFile, IndexFs } from "./fs.js";
import { decodeMessages, readSnapshotHeader, type SnapshotHeader, sectionLayout } from "./snapshot.js";
import { MailboxState } from "./state.js";

/*
 * Open's fast path: load an intact snapshot straight from the file, a chunk of blocks at a
 * time, verifying each block just before decoding it (while it is in cache). Nothing the
 * size of the file is allocated (the whole-file path costs a 60 MiB buffer at a million
 * messages, and the page faults to fill it). Any failure — a bad header, a wrong size, one
 * block that does not verify — returns undefined and open falls back to reading the whole
 * file and the full recovery, which then says exactly what is damaged.
 *
 * Reads run ahead: READ_AHEAD chunks are being read (on libuv's I/O threads) while one is
 * verified and decoded, each into its own buffer of a ring. Profiles of a 1,000,000-message
 * open showed the main thread idle for 10–60 ms per open with one read in flight (a
 * finished read waits for its I/O thread to be scheduled, and on a busy 2-core machine that
 * is often longer than decoding a chunk takes); with several in flight, the next chunk is
 * almost always there. The header block is read together with the size (one wait).
 *
 * Invariant: a buffer is handed to a new read only after the chunk it held is fully
 * decoded (the ring slot is reused in order), and every read started is awaited before
 * the file is closed, also when a block fails.
 */

/** Blocks per read: 1 MiB. */
const CHUNK_BLOCKS = 64;
/** Chunks being read while one is decoded (READ_AHEAD + 1 buffers: 3 MiB in all). */
const READ_AHEAD = 2;
const KW_PER_BLOCK = entriesPerBlock(KEYWORD_ENTRY_SIZE);
const MSG_PER_BLOCK = entriesPerBlock(MESSAGE_RECORD_SIZE);
const EXTRA_PER_BLOCK = entriesPerBlock(EXTRA_KEYWORD_ENTRY_SIZE);
const TOMB_PER_BLOCK = entriesPerBlock(TOMBSTONE_ENTRY_SIZE);
const decoder = new TextDecoder();

/** One chunk of the file: its first block, the ring slot it is read into, the read itself. */
interface ChunkRead {
  first: number;
  slot: number;
  done: Promise<boolean>;
}

export async function loadSnapshotFile(
  fs: IndexFs,
  path: string,
  options: {
    /** Fault the message columns in on another thread while decoding (default true). */
    prefaultColumns?: boolean;
    /** What writes the zeros (default: a readv of /dev/zero; tests pass one that lands late). */
    columnFill?: ColumnFill;
  } = {},
): Promise<{ header: SnapshotHeader; state: MailboxState } | undefined> {
  let file: IndexFile;
  try {
    file = await fs.open(path, "read");
  } catch {
    return undefined;
  }
  const inFlight: ChunkRead[] = [];
  let prefault: ColumnPrefault | undefined;
  try {
    const buffers = [new Uint8Array(BLOCK_SIZE * CHUNK_BLOCKS)];
    // Reads `blocks` blocks from block `first` into `target`; false when the file ends first.
    const readBlocks = async (first: number, blocks: number, target: Uint8Array): Promise<boolean> => {
      const bytes = blocks * BLOCK_SIZE;
      let got = 0;
      while (got < bytes) {
        const n = await file.read(target.subarray(got), bytes - got, first * BLOCK_SIZE + got);
        if (n <= 0) return false;
        got += n;
      }
      return true;
    };
    // The size and the first block together (one wait instead of two).
    const [size, headerRead] = await Promise.all([file.size(), readBlocks(0, 1, buffers[0]!)]);
    if (!headerRead || size < BLOCK_SIZE) return undefined;
    const header = readSnapshotHeader(buffers[0]!.subarray(0, BLOCK_SIZE));
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
    const toPrefault = options.prefaultColumns === false ? 0 : header.messageCount;
    prefault = new ColumnPrefault(state.messages, toPrefault, options.columnFill);

    const chunks = Math.ceil((layout.total - 1) / CHUNK_BLOCKS);
    const slots = Math.min(READ_AHEAD + 1, chunks);
    while (buffers.length < slots) buffers.push(new Uint8Array(BLOCK_SIZE * CHUNK_BLOCKS));
    const words = buffers.map((b) => new Uint32Array(b.buffer));
    let issued = 0;
    const issue = (): void => {
      const first = 1 + issued * CHUNK_BLOCKS;
      const slot = issued % slots;
      const blocks = Math.min(CHUNK_BLOCKS, layout.total - first);
      const done = readBlocks(first, blocks, buffers[slot]!);
      // Marked handled at once: a read may fail while an earlier chunk is awaited (its error
      // still reaches the loop when this chunk's turn comes, or is dropped after a failure).
      done.catch(() => undefined);
      inFlight.push({ first, slot, done });
      issued++;
    };
    while (issued < Math.min(slots, chunks)) issue();
    while (inFlight.length > 0) {
      const chunk = inFlight.shift()!;
      if (!(await chunk.done)) return undefined;
      const data = buffers[chunk.slot]!;
      const d32 = words[chunk.slot]!;
      const count = Math.min(CHUNK_BLOCKS, layout.total - chunk.first);
      // The message positions this chunk writes must be faulted in (zeroed) first.
      const lastMessageBlock = Math.min(chunk.first + count, layout.extra) - layout.messages;
      if (lastMessageBlock > 0) {
        const upTo = Math.min(header.messageCount, lastMessageBlock * MSG_PER_BLOCK);
        if (!prefault.isReady(upTo)) await prefault.ready(upTo);
      }
      for (let k = 0; k < count; k++) {
        const b = chunk.first + k;
        const at = k * BLOCK_SIZE;
        if (!verifyBlock(data.subarray(at, at + BLOCK_SIZE), b, SNAPSHOT_SEED)) return undefined;
        decodeBlock(state, header, layout, b, data, d32, at);
      }
      // This chunk's buffer is free again: start the read that will use it.
      if (issued < chunks) issue();
    }
    if (state.keywords.size !== header.keywordCount || state.messages.count !== header.messageCount) return undefined;
    return { header, state };
  } finally {
    // A failed block or read leaves reads running into the ring: let them end first.
    await Promise.allSettled(inFlight.map((c) => c.done));
    await prefault?.settled();
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
