import { randomBytes } from "node:crypto";
import { type FileHandle, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { StoreClosedError } from "./errors.js";
import { ensureDurableDir, type StoreFs } from "./store-fs.js";

/** File name suffix of a blob slot in `blobs/tmp/`. */
export const SLOT_SUFFIX = ".slot";

/** A slot file name: 32 random hex digits and the suffix (never a GUID: slots are made before the message is known). */
export const SLOT_NAME = /^[0-9a-f]{32}\.slot$/;

/** An empty blob slot: a file in `blobs/tmp/` whose name is durable, open for writing. */
export interface BlobSlot {
  path: string;
  handle: FileHandle;
}

/** How many slots one batch creates (one folder fsync each), and the level that starts the next batch. */
const BATCH = 16;
const LOW_WATER = 8;
/**
 * Ready slots hold open descriptors: a user with no append for this long gives them back
 * (closed and removed), so that only users that are appending hold any.
 */
const IDLE_MS = 30_000;

/**
 * Pre-created blob slots of one user. An append writes its blob into a slot whose *name is
 * already durable*, so that making the blob durable takes one fdatasync (bytes and size)
 * and no folder fsync: after a crash the blob is under the slot name or, once renamed,
 * under its final name, both durable names (a rename is atomic).
 *
 * Invariant: a slot is handed out only after an fsync of `blobs/tmp/` that *started after
 * the slot was created* has completed (and after `tmp/` itself is durable in `blobs/`).
 * Slots are created in batches of BATCH files with one folder fsync per batch, in the
 * background when LOW_WATER or fewer are left; an append finds one ready except at the
 * first append of a process or when appends outrun the batches. A user that stops appending
 * gives its ready slots back after IDLE_MS (each holds an open descriptor).
 */
export class SlotPool {
  private readonly ready: BlobSlot[] = [];
  /** Every slot of this pool not yet taken (ready or being made durable): reclaim skips them. */
  private readonly own = new Set<string>();
  private batch: Promise<void> | undefined;
  private tmpDurable = false;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    /** `<user>/blobs` (its own name in the user's folder is made durable by the user store). */
    private readonly blobsDir: string,
    private readonly fs: StoreFs,
    private readonly fsync: boolean,
    /** Slots handed out and not yet renamed or removed: a slot moves here in the same step it leaves the pool. */
    private readonly active: Set<string>,
    private readonly idleMs: number = IDLE_MS,
  ) {}

  get dir(): string {
    return join(this.blobsDir, "tmp");
  }

  /** Whether `path` is one of this pool's slots not handed out yet. */
  holds(path: string): boolean {
    return this.own.has(path);
  }

  /** An empty slot with a durable name, removed from the pool (the caller owns it now). */
  async take(): Promise<BlobSlot> {
    for (;;) {
      if (this.closed) throw new StoreClosedError("the user's blob store is closed");
      const slot = this.ready.shift();
      if (slot) {
        this.active.add(slot.path);
        this.own.delete(slot.path);
        if (this.ready.length <= LOW_WATER) this.refill().catch(() => undefined);
        this.armIdle();
        return slot;
      }
      // None ready: wait for the batch being made (a failure reaches this caller).
      await this.refill();
    }
  }

  /** Start a batch unless one is running; resolves when it is ready. */
  private refill(): Promise<void> {
    this.batch ??= this.makeBatch().finally(() => {
      this.batch = undefined;
    });
    return this.batch;
  }

  private async makeBatch(): Promise<void> {
    if (!this.tmpDurable) {
      // tmp/ and its name in blobs/ (and blobs/ in the user's folder), once per process:
      // an earlier process may have made tmp/ and crashed before syncing it.
      await ensureDurableDir(this.fs, this.dir, this.blobsDir, this.fsync);
      this.tmpDurable = true;
    }
    const made: BlobSlot[] = [];
    const results = await Promise.allSettled(
      Array.from({ length: BATCH }, async () => {
        const path = join(this.dir, `${randomBytes(16).toString("hex")}${SLOT_SUFFIX}`);
        this.own.add(path);
        try {
          made.push({ path, handle: await open(path, "wx", 0o600) });
        } catch (error) {
          this.own.delete(path);
          throw error;
        }
      }),
    );
    try {
      if (made.length === 0) throw (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
      // One fsync of tmp/ makes every name of the batch durable: it starts after all of
      // them were created.
      if (this.fsync) await this.fs.fsyncDir(this.dir);
    } catch (error) {
      await Promise.all(made.map((s) => this.drop(s)));
      throw error;
    }
    if (this.closed) {
      await Promise.all(made.map((s) => this.drop(s)));
      return;
    }
    this.ready.push(...made);
  }

  /** (Re)start the idle timer: IDLE_MS after the last take, the ready slots are given back. */
  private armIdle(): void {
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        if (this.batch) {
          this.armIdle(); // a batch is being made: look again later
          return;
        }
        const left = this.ready.splice(0);
        void Promise.all(left.map((s) => this.drop(s)));
      }, this.idleMs);
      this.idleTimer.unref();
    }
  }

  private async drop(slot: BlobSlot): Promise<void> {
    await slot.handle.close().catch(() => undefined);
    await rm(slot.path, { force: true }).catch(() => undefined);
    this.own.delete(slot.path);
  }

  /**
   * Close and remove the unused slots (no folder fsync: an empty slot that comes back
   * after a crash is removed by the next reclaim).
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    await this.batch?.catch(() => undefined);
    const left = this.ready.splice(0);
    await Promise.all(left.map((s) => this.drop(s)));
  }
}
