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
 * How long a created batch waits for an append's fdatasync to issue its folder fsync
 * beside (see SlotPool.syncing) before it issues it alone: only reached when appends are
 * rare, when a lone folder fsync delays nobody.
 */
const SHARE_WAIT_MS = 1000;

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
 *
 * A batch's folder fsync is not issued as soon as its files exist, but together with the
 * next append's fdatasync (`syncing()`), so that both need the same journal commit: issued
 * alone while an append syncs, it costs that append a second commit in a row (the bench's
 * slowest appends were those). It is issued at once when a take is waiting for the batch,
 * at close, and after SHARE_WAIT_MS without an append. The invariant above is unchanged:
 * only the moment the fsync starts moves, always after the batch's files were created.
 */
export class SlotPool {
  private readonly ready: BlobSlot[] = [];
  /** Every slot of this pool not yet taken (ready or being made durable): reclaim skips them. */
  private readonly own = new Set<string>();
  private batch: Promise<void> | undefined;
  private tmpDurable = false;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set while a created batch waits for a moment to issue its folder fsync: issues it now. */
  private issueSync: (() => void) | undefined;
  /** Takes waiting for a batch (its fsync is then issued without waiting for an append). */
  private waiting = 0;

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
      // None ready: wait for the batch being made (a failure reaches this caller), whose
      // folder fsync must not wait for an append any more.
      const batch = this.refill();
      this.waiting++;
      this.issueSync?.();
      try {
        await batch;
      } finally {
        this.waiting--;
      }
    }
  }

  /**
   * An append's fdatasync was just issued: a batch waiting to sync its folder issues that
   * fsync now, so that the two share one journal commit instead of queueing behind each other.
   */
  syncing(): void {
    this.issueSync?.();
  }

  /** Resolves when the batch's folder fsync should be issued (see the class comment). */
  private syncMoment(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.issueSync?.(), SHARE_WAIT_MS);
      timer.unref();
      this.issueSync = () => {
        this.issueSync = undefined;
        clearTimeout(timer);
        resolve();
      };
      if (this.closed || this.waiting > 0) this.issueSync();
    });
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
    const createOne = async (): Promise<void> => {
      const path = join(this.dir, `${randomBytes(16).toString("hex")}${SLOT_SUFFIX}`);
      this.own.add(path);
      try {
        made.push({ path, handle: await open(path, "wx", 0o600) });
      } catch (error) {
        this.own.delete(path);
        throw error;
      }
    };
    // In the background the files are created one at a time: BATCH opens at once would
    // queue an append's own write, fdatasync and rename behind them in the thread pool (4
    // threads). A take waiting for this batch gets them all at once.
    const width = this.waiting > 0 ? BATCH : 1;
    let left = BATCH;
    const results = (
      await Promise.all(
        Array.from({ length: width }, async () => {
          const outcomes: PromiseSettledResult<void>[] = [];
          while (left > 0 && !this.closed) {
            left--;
            outcomes.push(...(await Promise.allSettled([createOne()])));
          }
          return outcomes;
        }),
      )
    ).flat();
    if (this.closed) {
      await Promise.all(made.map((s) => this.drop(s)));
      return;
    }
    try {
      if (made.length === 0) throw (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
      // One fsync of tmp/ makes every name of the batch durable: it starts after all of
      // them were created (issued beside an append's fdatasync when one comes soon).
      if (this.fsync) {
        await this.syncMoment();
        await this.fs.fsyncDir(this.dir);
      }
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
    this.issueSync?.();
    await this.batch?.catch(() => undefined);
    const left = this.ready.splice(0);
    await Promise.all(left.map((s) => this.drop(s)));
  }
}
