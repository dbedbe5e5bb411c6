import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { createXxh64, xxh64 } from "@holdfast/checksum";
import {
  type BlobHeader,
  blobHeaderSize,
  decodeBlobHeader,
  encodeBlobHeader,
  GUID_HEX,
  guidToHex,
  MAX_BLOB_HEADER_SIZE,
} from "./blob-format.js";
import { SlotPool } from "./blob-slots.js";
import { BlobDamagedError, MessageTooLargeError, StoreInputError } from "./errors.js";
import { RenameSyncs } from "./rename-syncs.js";
import { ensureDurableDir, nodeStoreFs, type StoreFs } from "./store-fs.js";

/** A message as given to append: bytes, or a stream of chunks (a Node Readable is one). */
export type MessageSource = Uint8Array | string | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** Where a blob comes from (recorded in its header for rebuild). */
export interface BlobOrigin {
  mailboxId: number;
  mailboxName: string;
  uidValidity: number;
}

const COALESCE = 256 * 1024;

/**
 * A blob being written into a slot (see SlotPool): either the message is already in the
 * slot (streamed sources, after room for the header) or it is still the caller's buffer
 * (byte sources: written with the header in one call). `write` writes the header;
 * `makeDurable` syncs the bytes and renames the slot to the blob's final name; `discard`
 * or `abort` drops it.
 */
export class PendingBlob {
  private done = false;

  constructor(
    private readonly store: BlobStore,
    readonly guid: Uint8Array,
    readonly guidHex: string,
    /** The slot holding the message (streamed), or undefined (in `bytes`). */
    private readonly handle: FileHandle | undefined,
    private readonly bytes: Uint8Array | undefined,
    private tempPath: string,
    readonly size: number,
    readonly contentHash: bigint,
    readonly internalDate: number,
    private readonly origin: BlobOrigin,
  ) {}

  /**
   * Write the header (and, for byte sources, the message) into the slot. Resolves once
   * every byte is written (under the slot name: nobody reads it), with the header and
   * `makeDurable()`: the fdatasync of the slot (bytes and new size; the slot's name was
   * durable before it was handed out) and, beside it, the rename to the final name — no
   * folder fsync (RenameSyncs batches those in the background). It resolves once the bytes are durable
   * and the blob is under its final name, so readers find it there. `originUid` is the UID
   * hint for rebuild.
   *
   * Nothing may refer to the blob durably before `makeDurable()` resolves unless recovery
   * can undo it: the append path commits its index entry concurrently and acknowledges
   * only when both are durable; after a crash, open checks the blobs of the index's log
   * tail, looking in the slots for one whose rename was lost (see
   * UserStore.recoverUnsettledAppends).
   */
  async write(
    originUid: number,
  ): Promise<{ header: BlobHeader; makeDurable: () => Promise<void>; discard: () => Promise<void> }> {
    if (this.done) throw new StoreInputError("blob already committed or aborted");
    this.done = true;
    const header = encodeBlobHeader({
      guid: this.guid,
      contentHash: this.contentHash,
      size: this.size,
      internalDate: this.internalDate,
      originMailboxId: this.origin.mailboxId,
      originUidValidity: this.origin.uidValidity,
      originUid,
      originName: this.origin.mailboxName,
    });
    const store = this.store;
    const finalPath = store.pathOf(this.guidHex);
    const shardDir = dirname(finalPath);
    let handle = this.handle;
    let parentDurable: Promise<void>;
    try {
      ({ parentDurable } = await store.ensureShard(this.guidHex));
      if (handle) {
        await writeAll(handle, header, 0);
      } else {
        const slot = await store.takeSlot();
        handle = slot.handle;
        this.tempPath = slot.path;
        const total = header.byteLength + this.bytes!.byteLength;
        const { bytesWritten } = await handle.writev([header, this.bytes!], 0);
        // writev may write less than asked: finish with plain writes.
        if (bytesWritten < total) {
          const rest = Buffer.concat([header, this.bytes!]).subarray(bytesWritten);
          await writeAll(handle, rest, bytesWritten);
        }
      }
    } catch (error) {
      if (handle) {
        store.activeTemps.delete(this.tempPath);
        await rm(this.tempPath, { force: true }).catch(() => undefined);
        await handle.close().catch(() => undefined);
      }
      throw error;
    }
    const file = handle;
    const tempPath = this.tempPath;
    let started: Promise<void> | undefined;
    const makeDurable = (): Promise<void> => {
      started ??= (async () => {
        try {
          // The fdatasync of the slot (bytes and size) and the rename to the final name run
          // side by side: the rename need not wait for the bytes, because nothing trusts a
          // name before the append settles — readers look only at settled entries, and
          // after a crash the unclean-shutdown check verifies every blob of the log tail
          // (a blob torn under its final name fails its hash and its unacknowledged entry
          // is withdrawn; one no entry refers to is reclaimed). The acknowledgement waits
          // for both, so an acknowledged blob's bytes are durable under one of two durable
          // names: the slot's, or the final one once RenameSyncs has synced its shard.
          const synced = store.fsync ? store.fs.datasync(file, tempPath) : undefined;
          // A slot batch waiting for its folder fsync issues it now, into the same commit.
          if (synced) store.slots.syncing();
          // The shard folder's own name first (synced once per process and shard): a name
          // in a folder whose own name may vanish is no name.
          const renamed = parentDurable.then(() => rename(tempPath, finalPath));
          const [sync, move] = await Promise.allSettled([synced, renamed]);
          if (move.status === "rejected") throw move.reason;
          if (sync.status === "rejected") {
            // Renamed, not durable: the blob goes (its entry is withdrawn by the caller).
            await rm(finalPath, { force: true }).catch(() => undefined);
            throw sync.reason;
          }
        } catch (error) {
          await rm(tempPath, { force: true }).catch(() => undefined);
          throw error;
        } finally {
          store.activeTemps.delete(tempPath);
        }
        store.renames.renamed(shardDir);
      })();
      // The descriptor is closed once done, off the acknowledgement path.
      void started.then(
        () => file.close().catch(() => undefined),
        () => file.close().catch(() => undefined),
      );
      return started;
    };
    /** Drop the written slot instead (the append failed before its index commit). */
    const discard = async (): Promise<void> => {
      if (started) return;
      started = Promise.reject(new StoreInputError("blob discarded"));
      started.catch(() => undefined);
      await file.close().catch(() => undefined);
      await rm(tempPath, { force: true }).catch(() => undefined);
      store.activeTemps.delete(tempPath);
    };
    const decoded = decodeBlobHeader(header);
    if (decoded.kind !== "ok") throw new Error("blob header does not decode right after encoding");
    return { header: decoded.header, makeDurable, discard };
  }

  /** Write the blob and wait until it is durable and in place. */
  async commit(originUid: number): Promise<BlobHeader> {
    const { header, makeDurable } = await this.write(originUid);
    await makeDurable();
    return header;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (!this.handle) return;
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
    this.store.activeTemps.delete(this.tempPath);
  }
}

/** A blob read and verified: header plus message bytes. */
export interface VerifiedBlob {
  header: BlobHeader;
  message: Buffer;
}

export type BlobCheck =
  | { kind: "ok"; header: BlobHeader }
  | { kind: "missing" }
  | { kind: "damaged"; reason: string; header?: BlobHeader };

/**
 * The blobs of one user: <user>/blobs/<first two hex digits of the GUID>/<GUID hex>.
 * Blobs are written into slots, <user>/blobs/tmp/<32 random hex>.slot (same file system, so
 * rename is atomic), and renamed into place (see PendingBlob, SlotPool, RenameSyncs).
 */
export class BlobStore {
  /** Shards that exist and whose names are durable (or being made durable) in this process. */
  private readonly known = new Map<string, { ready: Promise<void>; durable: Promise<void> }>();
  /** The first sync of `blobs/` (and of its name in the user's folder) in this process. */
  private baseSync: Promise<void> | undefined;
  /** The names in `blobs/` when the first shard was needed in this process. */
  private listing: Promise<Set<string>> | undefined;
  /** Slots being written now, from take to rename or removal (reclaim leaves them alone). */
  readonly activeTemps = new Set<string>();
  /** Empty slots with durable names, made ahead of need. */
  readonly slots: SlotPool;
  /** Background folder fsyncs that make renames out of slots durable. */
  readonly renames: RenameSyncs;

  constructor(
    readonly dir: string,
    readonly fsync: boolean,
    readonly maxMessageSize: number,
    readonly fs: StoreFs = nodeStoreFs,
  ) {
    this.slots = new SlotPool(dir, fs, fsync, this.activeTemps);
    this.renames = new RenameSyncs(fs, this.tempDir, fsync);
  }

  pathOf(guidHex: string): string {
    return join(this.dir, guidHex.slice(0, 2), guidHex);
  }

  get tempDir(): string {
    return join(this.dir, "tmp");
  }

  /**
   * The shard folder of a GUID, created when missing, and a promise that its name is
   * durable in `blobs/`. The first call in a process syncs `blobs/` (and `blobs/` in the
   * user's folder) once: that makes every shard that exists by then durable, including one
   * an earlier process created and crashed before syncing (a folder name that is not
   * durable can vanish in a power cut with every blob below it). A shard created later
   * gets its own sync of `blobs/`. These syncs run beside the blob's own syncs (an append
   * waits for them before it is acknowledged), not before the write.
   */
  async ensureShard(guidHex: string): Promise<{ dir: string; parentDurable: Promise<void> }> {
    const shard = guidHex.slice(0, 2);
    const dir = join(this.dir, shard);
    let entry = this.known.get(shard);
    if (!entry) {
      // One entry per shard at once, so that every append into a shard made now waits for
      // the sync that covers its creation.
      // The shards that exist are listed once per process (one readdir instead of a mkdir
      // and a stat per shard on the first append into each); their names are made durable
      // by the first sync of `blobs/` below, like those of shards made now.
      this.listing ??= readdir(this.dir).then(
        (names) => new Set(names),
        () => new Set<string>(),
      );
      const made = this.listing.then((listed) => (listed.has(shard) ? undefined : mkdir(dir, { recursive: true })));
      const durable = made.then(async (created) => {
        if (!this.fsync) return;
        this.baseSync ??= (async () => {
          await ensureDurableDir(this.fs, this.dir, this.dir, true);
          await this.fs.fsyncDir(this.dir);
        })();
        const base = this.baseSync;
        try {
          await base;
        } catch (error) {
          if (this.baseSync === base) this.baseSync = undefined;
          throw error;
        }
        // Made now: the first sync may have been issued before; this one covers it.
        if (created !== undefined) await this.fs.fsyncDir(this.dir);
      });
      const mine = { ready: made.then(() => undefined), durable };
      entry = mine;
      this.known.set(shard, mine);
      // Forget a failure, so that the next append tries again.
      durable.catch(() => {
        if (this.known.get(shard) === mine) this.known.delete(shard);
      });
    }
    await entry.ready;
    return { dir, parentDurable: entry.durable };
  }

  /**
   * Stream a message into a temp file while hashing it. Resolves when every byte is in the
   * file (not yet durable); the caller commits or aborts the returned PendingBlob.
   */
  async begin(source: MessageSource, internalDate: number, origin: BlobOrigin): Promise<PendingBlob> {
    const guid = new Uint8Array(randomBytes(16));
    const guidHex = guidToHex(guid);
    if (typeof source === "string" || source instanceof Uint8Array) {
      // Bytes in hand: hash now, write header and message together at commit.
      const bytes = typeof source === "string" ? Buffer.from(source, "latin1") : source;
      if (bytes.byteLength > this.maxMessageSize) throw tooLarge(this.maxMessageSize);
      const hash = createXxh64().update(bytes).digest();
      return new PendingBlob(this, guid, guidHex, undefined, bytes, "", bytes.byteLength, hash, internalDate, origin);
    }
    const iterable = source as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null;
    if (
      typeof iterable !== "object" ||
      iterable === null ||
      (typeof iterable[Symbol.asyncIterator] !== "function" && typeof iterable[Symbol.iterator] !== "function")
    )
      throw new StoreInputError("a message must be bytes, a string, a Readable or an (async) iterable of chunks");
    const { handle, path: tempPath } = await this.takeSlot();
    const offset = blobHeaderSize(origin.mailboxName);
    const hasher = createXxh64();
    let position = offset;
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        await writeAll(handle, joined, position);
        position += joined.byteLength;
        pending = [];
        pendingBytes = 0;
      };
      for await (const raw of source as AsyncIterable<Uint8Array | string>) {
        const chunk = typeof raw === "string" ? Buffer.from(raw, "latin1") : raw;
        if (!(chunk instanceof Uint8Array)) throw new StoreInputError("message chunks must be bytes or strings");
        if (position - offset + pendingBytes + chunk.byteLength > this.maxMessageSize)
          throw tooLarge(this.maxMessageSize);
        hasher.update(chunk);
        pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= COALESCE) await flush();
      }
      await flush();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(tempPath, { force: true });
      this.activeTemps.delete(tempPath);
      // The source stays the caller's (it may be a literal on a client connection): not destroyed here.
      throw error;
    }
    return new PendingBlob(
      this,
      guid,
      guidHex,
      handle,
      undefined,
      tempPath,
      position - offset,
      hasher.digest(),
      internalDate,
      origin,
    );
  }

  /** Whether reclaim must leave a file of `tmp/` alone (a slot being written, or one of the pool's). */
  isActiveTemp(path: string): boolean {
    return this.activeTemps.has(path) || this.slots.holds(path);
  }

  /** An empty slot with a durable name, registered in `activeTemps` until renamed or removed. */
  takeSlot(): Promise<{ handle: FileHandle; path: string }> {
    return this.slots.take();
  }

  /**
   * The user's store is closing: renames made durable, unused slots removed. Resolves false
   * when the renames could not be synced (the writer marker must then stay, so that the
   * next open looks in the slots).
   */
  async close(): Promise<boolean> {
    const synced = await this.renames.flush().then(
      () => true,
      () => false,
    );
    await this.slots.close();
    return synced;
  }

  /** Read just the header of a blob (for scans). */
  readHeader(guidHex: string): Promise<BlobCheck> {
    return readHeaderAt(this.pathOf(guidHex), guidHex);
  }

  /**
   * Read a whole blob and check it: header checksum, GUID, size and the content hash (also
   * against `expectedHash`, the index's copy, when given). Throws BlobDamagedError.
   */
  async read(guidHex: string, expectedHash?: bigint): Promise<VerifiedBlob> {
    let file: Buffer;
    try {
      file = await readFile(this.pathOf(guidHex));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        throw new BlobDamagedError(guidHex, "blob file is missing");
      throw new BlobDamagedError(guidHex, `unreadable: ${String(error)}`);
    }
    const d = decodeBlobHeader(file);
    if (d.kind !== "ok") throw new BlobDamagedError(guidHex, d.reason);
    const h = d.header;
    if (guidToHex(h.guid) !== guidHex) throw new BlobDamagedError(guidHex, "GUID in header differs from the file name");
    if (file.byteLength !== h.headerSize + h.size)
      throw new BlobDamagedError(guidHex, `file is ${file.byteLength} bytes, header says ${h.headerSize + h.size}`);
    const message = file.subarray(h.headerSize);
    const actual = xxh64(message);
    if (actual !== h.contentHash) throw new BlobDamagedError(guidHex, "message bytes fail their xxh64");
    if (expectedHash !== undefined && expectedHash !== h.contentHash)
      throw new BlobDamagedError(guidHex, "content hash differs from the index's");
    return { header: h, message };
  }

  /** Check a blob fully without keeping its bytes (bounded memory). */
  check(guidHex: string, expectedHash?: bigint): Promise<BlobCheck> {
    return checkAt(this.pathOf(guidHex), guidHex, expectedHash);
  }

  /**
   * The blobs held in slots of `tmp/` (not the ones this process is writing): GUID (hex,
   * from the slot's header, whose checksum holds) → slot path. A blob is in a slot after a
   * crash lost the rename of an append (acknowledged or not) or cut it short.
   */
  async slotBlobs(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const f of await readdir(this.tempDir).catch(() => [] as string[])) {
      const path = join(this.tempDir, f);
      if (this.isActiveTemp(path)) continue;
      const h = await readHeaderAt(path, undefined);
      // A slot cut short still names its GUID when its header survived.
      if (h.kind !== "missing" && h.header) out.set(guidToHex(h.header.guid), path);
    }
    return out;
  }

  /**
   * Put the blob `guidHex` back from its slot when its final name is missing: the slot must
   * pass every check (header, size, content hash, and `expectedHash`). Renamed before this
   * resolves (synced with the other renames). Returns the check of the slot, or
   * "missing" when no slot holds it.
   */
  async restoreFromSlot(guidHex: string, expectedHash?: bigint): Promise<BlobCheck> {
    const found = await this.findInSlot(guidHex, expectedHash);
    if (!found) return { kind: "missing" };
    if (found.check.kind === "ok") await this.moveIntoPlace(found.path, guidHex);
    return found.check;
  }

  /** The slot holding a copy of blob `guidHex` (by its header), checked fully; undefined when none does. */
  async findInSlot(guidHex: string, expectedHash?: bigint): Promise<{ path: string; check: BlobCheck } | undefined> {
    const path = (await this.slotBlobs()).get(guidHex);
    if (!path) return undefined;
    return { path, check: await checkAt(path, guidHex, expectedHash) };
  }

  /**
   * Rename a checked blob from its slot to its final name. Like an append's rename it is
   * not synced here (RenameSyncs does, in the background and at close): until then a crash
   * leaves it in the slot, whose name is durable, and the next check finds it there again.
   */
  private async moveIntoPlace(slotPath: string, guidHex: string): Promise<void> {
    const { dir, parentDurable } = await this.ensureShard(guidHex);
    await parentDurable;
    await rename(slotPath, this.pathOf(guidHex));
    this.renames.renamed(dir);
  }

  /**
   * Empty `tmp/` of everything but this process's own slots. A slot whose header names a
   * blob whose final name is missing is renamed into place — and from then on is an
   * ordinary blob: kept while an index refers to it, reclaimed or adopted into `Recovered`
   * otherwise. That holds even when its bytes fail their checks: a damaged blob an index
   * refers to is reported by verify (never deleted while referenced); one that no index
   * refers to (an append cut short) is reclaimed. Everything else — empty slots left by an
   * earlier process, slots without a valid header, slot copies of blobs already in place,
   * temp files of older versions — is removed. Returns the GUIDs put in place intact, those
   * put in place damaged, and the number of files removed.
   */
  async settleSlots(): Promise<{ restored: string[]; damaged: string[]; removed: number }> {
    const restored: string[] = [];
    const damaged: string[] = [];
    let removed = 0;
    for (const f of await readdir(this.tempDir).catch(() => [] as string[])) {
      const path = join(this.tempDir, f);
      if (this.isActiveTemp(path)) continue;
      const h = await readHeaderAt(path, undefined);
      if (h.kind === "missing") continue;
      if (h.header) {
        const guidHex = guidToHex(h.header.guid);
        if ((await readHeaderAt(this.pathOf(guidHex), guidHex)).kind === "missing") {
          const c = await checkAt(path, guidHex, undefined);
          await this.moveIntoPlace(path, guidHex);
          (c.kind === "ok" ? restored : damaged).push(guidHex);
          continue;
        }
      }
      await rm(path, { force: true });
      removed++;
    }
    return { restored, damaged, removed };
  }

  /**
   * A stream of the message bytes, opened only after the whole blob passed `check` (so a
   * damaged blob is reported, never served).
   */
  async openStream(guidHex: string, expectedHash?: bigint): Promise<{ header: BlobHeader; stream: Readable }> {
    const c = await this.check(guidHex, expectedHash);
    if (c.kind === "missing") throw new BlobDamagedError(guidHex, "blob file is missing");
    if (c.kind === "damaged") throw new BlobDamagedError(guidHex, c.reason);
    const stream = createReadStream(this.pathOf(guidHex), { start: c.header.headerSize });
    return { header: c.header, stream };
  }

  async remove(guidHex: string): Promise<void> {
    await rm(this.pathOf(guidHex), { force: true });
  }

  /** Every blob GUID (hex) on disk, and stale temp files. */
  async list(): Promise<{ guids: string[]; temps: string[] }> {
    const guids: string[] = [];
    const temps: string[] = [];
    let shards: string[];
    try {
      shards = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { guids, temps };
      throw error;
    }
    for (const shard of shards) {
      if (shard === "tmp") {
        for (const f of await readdir(join(this.dir, shard)).catch(() => [] as string[]))
          temps.push(join(this.dir, shard, f));
        continue;
      }
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      const st = await stat(join(this.dir, shard)).catch(() => undefined);
      if (!st?.isDirectory()) continue;
      for (const f of await readdir(join(this.dir, shard))) if (GUID_HEX.test(f) && f.startsWith(shard)) guids.push(f);
    }
    return { guids, temps };
  }
}

/** The header of the blob file at `path`, checked against the file size (and `guidHex`, when given). */
async function readHeaderAt(path: string, guidHex: string | undefined): Promise<BlobCheck> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    return { kind: "damaged", reason: String(error) };
  }
  try {
    const buf = Buffer.alloc(MAX_BLOB_HEADER_SIZE);
    const { bytesRead } = await handle.read(buf, 0, buf.byteLength, 0);
    const d = decodeBlobHeader(buf.subarray(0, bytesRead));
    if (d.kind !== "ok") return d;
    if (guidHex !== undefined && guidToHex(d.header.guid) !== guidHex)
      return { kind: "damaged", reason: "GUID in header differs from the file name" };
    const st = await handle.stat();
    if (st.size !== d.header.headerSize + d.header.size)
      return {
        kind: "damaged",
        reason: `file is ${st.size} bytes, header says ${d.header.headerSize + d.header.size}`,
        header: d.header,
      };
    return { kind: "ok", header: d.header };
  } finally {
    await handle.close();
  }
}

/** Check the blob file at `path` fully without keeping its bytes (bounded memory). */
async function checkAt(path: string, guidHex: string, expectedHash: bigint | undefined): Promise<BlobCheck> {
  const head = await readHeaderAt(path, guidHex);
  if (head.kind !== "ok") return head;
  const h = head.header;
  const hasher = createXxh64();
  try {
    for await (const chunk of createReadStream(path, { start: h.headerSize, highWaterMark: 1 << 20 }))
      hasher.update(chunk as Buffer);
  } catch (error) {
    return { kind: "damaged", reason: `unreadable: ${String(error)}`, header: h };
  }
  if (hasher.digest() !== h.contentHash)
    return { kind: "damaged", reason: "message bytes fail their xxh64", header: h };
  if (expectedHash !== undefined && expectedHash !== h.contentHash)
    return { kind: "damaged", reason: "content hash differs from the index's", header: h };
  return { kind: "ok", header: h };
}

function tooLarge(max: number): MessageTooLargeError {
  return new MessageTooLargeError(`message larger than the limit of ${max} bytes`);
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}
