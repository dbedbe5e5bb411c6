import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FrameCodec } from "@holdfast/checksum";
import { computeStructure, type MessageStructure } from "./mime-adapter.js";

export type { MessageStructure };

/*
 * The parsed-structure cache: the MIME structure of each message (BODYSTRUCTURE, BODY,
 * ENVELOPE, sizes) computed once with @holdfast/mime and kept in
 * <user>/cache/<aa>/<guid>: one FrameCodec record (seed STRUCTURE_CACHE_SEED, type 1)
 * whose payload is u32 LE version | UTF-8 JSON. A blob never changes, so an entry never goes
 * stale; a damaged or torn entry fails its checksum and is recomputed from the blob, so the
 * cache needs no fsync and may be deleted at any time (it is rebuildable).
 */

export const STRUCTURE_CACHE_SEED = 0x4846_4353_5452_0001n; // "HFCSTR" + 1
const VERSION = 1;
const codec = new FrameCodec({ seed: STRUCTURE_CACHE_SEED });
const MEMORY_ENTRIES = 2048;

export function encodeStructureEntry(s: MessageStructure): Uint8Array {
  const json = Buffer.from(JSON.stringify(s), "utf8");
  const payload = Buffer.alloc(4 + json.byteLength);
  payload.writeUInt32LE(VERSION, 0);
  json.copy(payload, 4);
  return codec.encode(1, payload);
}

/** A structure cache entry checked: its structure, or why it is not usable. */
export type StructureEntryCheck = { kind: "ok"; structure: MessageStructure } | { kind: "damaged"; reason: string };

/**
 * Check and decode a cache entry file (`cache/<aa>/<guid>`): frame checksum, record type,
 * no trailing bytes, entry version, JSON with the expected fields. Exported for tools (the
 * scrubber) that check entries without the store.
 */
export function checkStructureEntry(bytes: Uint8Array): StructureEntryCheck {
  const r = codec.decodeAt(bytes, 0);
  if (r.kind !== "record")
    return { kind: "damaged", reason: r.kind === "end" ? "empty file" : `${r.kind}: ${r.reason}` };
  if (r.type !== 1) return { kind: "damaged", reason: `record type ${r.type}, expected 1` };
  if (r.end !== bytes.byteLength) return { kind: "damaged", reason: "trailing bytes after the record" };
  const p = Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
  if (p.byteLength < 4 || p.readUInt32LE(0) !== VERSION) return { kind: "damaged", reason: "unknown entry version" };
  let s: MessageStructure;
  try {
    s = JSON.parse(p.toString("utf8", 4)) as MessageStructure;
  } catch (error) {
    return { kind: "damaged", reason: `bad JSON: ${(error as Error).message}` };
  }
  if (typeof s?.bodystructure !== "string" || typeof s.envelope !== "string")
    return { kind: "damaged", reason: "entry lacks bodystructure or envelope" };
  return { kind: "ok", structure: s };
}

/** The structure in a cache entry, or undefined when the entry is damaged (see checkStructureEntry). */
export function decodeStructureEntry(bytes: Uint8Array): MessageStructure | undefined {
  const c = checkStructureEntry(bytes);
  return c.kind === "ok" ? c.structure : undefined;
}

export class StructureCache {
  private readonly memory = new Map<string, MessageStructure>();
  /** Counters (tests and the bench read them). */
  readonly stats = { memoryHits: 0, fileHits: 0, computed: 0, damaged: 0 };

  /** `persist: false` (a read-only store) keeps computed entries in memory only. */
  constructor(
    readonly dir: string,
    private readonly persist = true,
  ) {}

  pathOf(guidHex: string): string {
    return join(this.dir, guidHex.slice(0, 2), guidHex);
  }

  /** The structure of a blob's message: memory, then file, then computed from `load()` and stored. */
  async get(guidHex: string, load: () => Promise<Buffer>): Promise<MessageStructure> {
    const hot = this.memory.get(guidHex);
    if (hot) {
      this.stats.memoryHits++;
      this.memory.delete(guidHex);
      this.memory.set(guidHex, hot);
      return hot;
    }
    const fromFile = await this.readEntry(guidHex);
    if (fromFile) {
      this.stats.fileHits++;
      this.remember(guidHex, fromFile);
      return fromFile;
    }
    const computed = computeStructure(await load());
    this.stats.computed++;
    if (this.persist) await this.writeEntry(guidHex, computed).catch(() => undefined);
    this.remember(guidHex, computed);
    return computed;
  }

  /** The file entry, or undefined when missing or damaged (damaged entries are counted). */
  async readEntry(guidHex: string): Promise<MessageStructure | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(guidHex));
    } catch {
      return undefined;
    }
    const s = decodeStructureEntry(bytes);
    if (!s) this.stats.damaged++;
    return s;
  }

  private async writeEntry(guidHex: string, s: MessageStructure): Promise<void> {
    const path = this.pathOf(guidHex);
    await mkdir(join(this.dir, guidHex.slice(0, 2)), { recursive: true });
    const temp = `${path}.tmp-${process.pid}`;
    await writeFile(temp, encodeStructureEntry(s));
    await rename(temp, path);
  }

  private remember(guidHex: string, s: MessageStructure): void {
    this.memory.set(guidHex, s);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
  }

  /** Forget the in-memory entries (the bench measures the file path with this). */
  clearMemory(): void {
    this.memory.clear();
  }

  /** GUIDs (hex) that have a cache file. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const shard of await readdir(this.dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const f of await readdir(join(this.dir, shard)).catch(() => [] as string[]))
        if (/^[0-9a-f]{32}$/.test(f)) out.push(f);
        else if (f.includes(".tmp-")) await rm(join(this.dir, shard, f), { force: true });
    }
    return out;
  }

  async remove(guidHex: string): Promise<void> {
    this.memory.delete(guidHex);
    await rm(this.pathOf(guidHex), { force: true });
  }
}
