/**
 * The pass checkpoint: how far the current pass got (the key of the last finished unit,
 * units are walked in key order) and what it found so far. One @holdfast/checksum frame
 * with its own seed, written atomically; a damaged or unreadable checkpoint is ignored
 * (the pass starts over), never trusted.
 */
import { readFile } from "node:fs/promises";
import { FrameCodec, writeFileAtomic } from "@holdfast/checksum";
import type { ScrubReport } from "./report.js";
import type { Unit } from "./units.js";

const CHECKPOINT_SEED = 0x4846_5343_5242_0001n; // "HFSCRB" + 1
const codec = new FrameCodec({ seed: CHECKPOINT_SEED, maxPayload: 256 * 1024 * 1024 });

export interface Checkpoint {
  version: 1;
  /** The pass is finished (the next run starts a new one). */
  complete: boolean;
  /** Key of the last unit finished, "" before the first. */
  lastKey: string;
  report: ScrubReport;
  /** Mailboxes that were being written, to retry before the pass ends. */
  pending?: Unit[];
  /** Start of the last complete pass (ms), for the daemon's schedule. */
  lastPassStart?: number;
  lastPassEnd?: number;
}

export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return undefined;
  }
  const r = codec.decodeAt(bytes, 0);
  if (r.kind !== "record" || r.type !== 1 || r.end !== bytes.byteLength) return undefined;
  try {
    const value = JSON.parse(Buffer.from(r.payload).toString("utf8")) as Checkpoint;
    return value.version === 1 && typeof value.lastKey === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await writeFileAtomic(path, codec.encode(1, Buffer.from(JSON.stringify(checkpoint), "utf8")));
}
