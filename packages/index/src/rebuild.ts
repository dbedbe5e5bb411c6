import { join } from "node:path";
import { initChecksum } from "@holdfast/checksum";
import { makeFolder, writeAtomic } from "./atomic-write.js";
import { IndexInputError } from "./errors.js";
import { FileName } from "./format.js";
import { type IndexFs, nodeFs } from "./fs.js";
import { MailboxLock } from "./lock.js";
import type { MessageRecord } from "./message-table.js";
import { buildLog } from "./recovery.js";
import { encodeSnapshot } from "./snapshot.js";
import { MailboxState, ReplayError } from "./state.js";

export interface RebuildInput {
  /** UIDVALIDITY of the rebuilt mailbox: a new one, since the old counters are unknown. */
  uidValidity: number;
  /** UIDNEXT of the rebuilt mailbox: above every message's UID. */
  uidNext: number;
  /** HIGHESTMODSEQ (default: 1, or the largest MODSEQ of the messages). */
  highestModseq?: number;
  /** The messages, ascending by UID. Keyword masks must be empty (there is no keyword table). */
  messages: readonly MessageRecord[];
}

export interface RebuildOptions {
  fs?: IndexFs;
}

/**
 * Write a complete new index in `folder` from known messages and counters — the explicit
 * entry point for recreating a mailbox whose index files are lost (the store rebuilds one
 * from its blobs). Replaces whatever index files the folder holds: snapshot, backup and a
 * log that starts after them, each written atomically, under the mailbox lock.
 *
 * This is the only way to get an index from a snapshot without its log: `open` refuses to
 * treat a snapshot alone as the whole mailbox, since its UIDNEXT could be behind appends
 * the lost log held.
 */
export async function rebuildIndex(
  folder: string,
  input: RebuildInput,
  options: RebuildOptions = {},
): Promise<{ seq: number; messages: number }> {
  await initChecksum();
  const fs = options.fs ?? nodeFs;
  const { uidValidity, uidNext, messages } = input;
  if (!Number.isInteger(uidValidity) || uidValidity < 1 || uidValidity > 0xffff_ffff)
    throw new IndexInputError("uidValidity must be an integer in 1..2^32-1");
  if (!Number.isInteger(uidNext) || uidNext < 1 || uidNext > 0xffff_ffff)
    throw new IndexInputError("uidNext must be an integer in 1..2^32-1");
  let maxModseq = 1;
  let lastUid = 0;
  for (const m of messages) {
    if (!Number.isInteger(m.uid) || m.uid <= lastUid || m.uid >= uidNext)
      throw new IndexInputError(`message UIDs must ascend and stay below uidNext (UID ${m.uid})`);
    if (m.keywords.some((w) => w !== 0))
      throw new IndexInputError(`message ${m.uid} has keywords but no keyword table`);
    lastUid = m.uid;
    maxModseq = Math.max(maxModseq, m.modseq);
  }
  const highestModseq = input.highestModseq ?? maxModseq;
  if (!Number.isSafeInteger(highestModseq) || highestModseq < maxModseq)
    throw new IndexInputError("highestModseq must be at least every message's MODSEQ");
  const state = new MailboxState();
  try {
    state.apply({
      seq: 1,
      uidNext,
      highestModseq,
      ops: [{ op: "setUidValidity", uidValidity }, ...messages.map((record) => ({ op: "append" as const, record }))],
    });
  } catch (error) {
    if (error instanceof ReplayError) throw new IndexInputError(`messages do not form a mailbox: ${error.message}`);
    throw error;
  }
  await makeFolder(fs, folder);
  const lock = await MailboxLock.acquire(fs, folder);
  try {
    for (const temp of [FileName.snapshotTemp, FileName.logTemp, `${FileName.backup}.tmp`])
      await fs.unlink(join(folder, temp));
    const snapshot = encodeSnapshot(state);
    // The old log goes first and the new one comes last: a crash in between leaves a folder
    // without a log, which opens read-only (never old transactions replayed onto the new
    // snapshot, nor a new log beside an old snapshot); rebuilding again finishes the job.
    await fs.unlink(join(folder, FileName.log));
    await fs.fsyncDir(folder);
    await writeAtomic(fs, folder, FileName.backup, snapshot);
    await writeAtomic(fs, folder, FileName.snapshot, snapshot);
    await writeAtomic(fs, folder, FileName.log, buildLog(uidValidity, state.seq, []));
  } finally {
    await lock.release();
  }
  return { seq: state.seq, messages: state.messages.count };
}
