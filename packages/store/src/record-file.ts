import { readFile } from "node:fs/promises";
import { FrameCodec, writeFileAtomic } from "@holdfast/checksum";
import { StoreFileDamagedError } from "./errors.js";

/*
 * A small store file (the user database, a mailbox list) kept as two checksummed copies:
 * `<path>` and `<path>.backup`, each replaced atomically (temp, fsync, rename, fsync dir).
 *
 * File = one FrameCodec record (seed RECORD_FILE_SEED, type = the file kind):
 *   payload: magic (8 bytes) | u32 LE format version | u32 LE reserved (0) |
 *            u64 LE generation | UTF-8 JSON document
 * The generation goes up by one on every write. A write replaces the primary first, then
 * the backup, so after a crash between the two the primary is one generation ahead; a read
 * takes the intact copy with the highest generation. Byte tables: docs/store-layout.md.
 */

export const RECORD_FILE_SEED = 0x4846_5354_4f52_0001n; // "HFSTOR" + 1
export const RECORD_FILE_VERSION = 1;
const codec = new FrameCodec({ seed: RECORD_FILE_SEED, maxPayload: 64 * 1024 * 1024 });
const HEADER = 24;

export interface RecordFileKind {
  /** Frame type byte (1..255). */
  type: number;
  /** Eight ASCII bytes at the start of the payload. */
  magic: string;
}

export const UserDatabaseFile: RecordFileKind = { type: 1, magic: "HFUSERDB" };
export const MailboxListFile: RecordFileKind = { type: 2, magic: "HFMBLIST" };

/** What one copy holds. */
export type CopyState =
  | { kind: "ok"; generation: number; value: unknown }
  | { kind: "missing" }
  | { kind: "damaged"; reason: string };

export function encodeRecordFile(kind: RecordFileKind, generation: number, value: unknown): Uint8Array {
  const json = Buffer.from(JSON.stringify(value), "utf8");
  const payload = Buffer.alloc(HEADER + json.byteLength);
  payload.write(kind.magic, 0, 8, "latin1");
  payload.writeUInt32LE(RECORD_FILE_VERSION, 8);
  payload.writeUInt32LE(0, 12);
  payload.writeBigUInt64LE(BigInt(generation), 16);
  json.copy(payload, HEADER);
  return codec.encode(kind.type, payload);
}

export function decodeRecordFile(kind: RecordFileKind, bytes: Uint8Array): CopyState {
  const r = codec.decodeAt(bytes, 0);
  if (r.kind !== "record")
    return { kind: "damaged", reason: r.kind === "end" ? "empty file" : `${r.kind}: ${r.reason}` };
  if (r.type !== kind.type) return { kind: "damaged", reason: `record type ${r.type}, expected ${kind.type}` };
  if (r.end !== bytes.byteLength) return { kind: "damaged", reason: "trailing bytes after the record" };
  const p = Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
  if (p.byteLength < HEADER || p.toString("latin1", 0, 8) !== kind.magic)
    return { kind: "damaged", reason: "bad magic" };
  const version = p.readUInt32LE(8);
  if (version !== RECORD_FILE_VERSION) return { kind: "damaged", reason: `unknown format version ${version}` };
  const generation = Number(p.readBigUInt64LE(16));
  try {
    return { kind: "ok", generation, value: JSON.parse(p.toString("utf8", HEADER)) };
  } catch (error) {
    return { kind: "damaged", reason: `bad JSON: ${String(error)}` };
  }
}

async function readCopy(kind: RecordFileKind, path: string): Promise<CopyState> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    return { kind: "damaged", reason: `unreadable: ${String(error)}` };
  }
  return decodeRecordFile(kind, bytes);
}

export interface RecordFileRead<T> {
  value: T;
  generation: number;
  /** Which copy it came from. */
  source: "primary" | "backup";
  primary: CopyState;
  backup: CopyState;
  /** Both copies intact and equal in generation. */
  consistent: boolean;
}

export class RecordFile<T> {
  constructor(
    readonly path: string,
    readonly kind: RecordFileKind,
  ) {}

  get backupPath(): string {
    return `${this.path}.backup`;
  }

  /** Both copies, undecided. */
  async inspect(): Promise<{ primary: CopyState; backup: CopyState }> {
    const [primary, backup] = await Promise.all([readCopy(this.kind, this.path), readCopy(this.kind, this.backupPath)]);
    return { primary, backup };
  }

  /**
   * The newest intact copy, or undefined when neither copy exists. Throws
   * StoreFileDamagedError when copies exist but none is intact.
   */
  async read(): Promise<RecordFileRead<T> | undefined> {
    const { primary, backup } = await this.inspect();
    if (primary.kind === "missing" && backup.kind === "missing") return undefined;
    const p = primary.kind === "ok" ? primary : undefined;
    const b = backup.kind === "ok" ? backup : undefined;
    const best = p && (!b || p.generation >= b.generation) ? p : b;
    if (!best) {
      throw new StoreFileDamagedError(
        `${this.path}: no intact copy (primary ${describe(primary)}, backup ${describe(backup)})`,
      );
    }
    return {
      value: best.value as T,
      generation: best.generation,
      source: best === p ? "primary" : "backup",
      primary,
      backup,
      consistent: !!p && !!b && p.generation === b.generation,
    };
  }

  /** Write `value` as generation `generation` to both copies (primary first). */
  async write(value: T, generation: number): Promise<void> {
    const bytes = encodeRecordFile(this.kind, generation, value);
    await writeFileAtomic(this.path, bytes);
    await writeFileAtomic(this.backupPath, bytes);
  }
}

export function describe(c: CopyState): string {
  return c.kind === "ok" ? `generation ${c.generation}` : c.kind === "missing" ? "missing" : `damaged (${c.reason})`;
}
