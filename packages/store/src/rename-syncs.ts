import type { StoreFs } from "./store-fs.js";

/**
 * How long a rename may wait for the folder fsyncs that make it durable. A flush costs one
 * fsync per shard folder that received a blob (up to 256) plus one of `tmp/`, and each may
 * cost a disk cache flush even when the journal already committed the rename: so at most
 * 257 folder fsyncs per this period, whatever the append rate. The cost of waiting longer
 * is only work for the check after a crash (more blobs to find in their slots).
 */
const FLUSH_DELAY_MS = 5000;

/**
 * The folder fsyncs that make blob renames (slot → final name) durable, batched in the
 * background: never on an append's acknowledgement path. An acknowledged blob does not need
 * them: its bytes are durable and it is under one of two durable names (its slot's or its
 * final one), and the unclean-shutdown check finds it in either. They only move the blob
 * to its final name for good, so that the slot can be forgotten.
 *
 * Order within a flush: the destination shard folders first, then `tmp/`. A file system
 * that did not make a rename atomic could then at worst leave the name in both folders
 * (harmless: the slot copy is removed by reclaim), never in neither.
 */
export class RenameSyncs {
  private readonly shards = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly fs: StoreFs,
    private readonly tmpDir: string,
    private readonly enabled: boolean,
  ) {}

  /** A blob was renamed from `tmp/` into `shardDir`. */
  renamed(shardDir: string): void {
    if (!this.enabled) return;
    this.shards.add(shardDir);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush().catch(() => undefined);
      }, FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /**
   * Make every rename so far durable. One fsync at a time (a burst would occupy every
   * thread-pool thread that appends need); failures are thrown to the caller (close) and
   * leave the folders to the next flush.
   */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const next = this.running.then(async () => {
      if (this.shards.size === 0) return;
      const shards = [...this.shards];
      this.shards.clear();
      try {
        for (const dir of shards) await this.fs.fsyncDir(dir);
        await this.fs.fsyncDir(this.tmpDir);
      } catch (error) {
        for (const dir of shards) this.shards.add(dir);
        throw error;
      }
    });
    this.running = next.catch(() => undefined);
    return next;
  }
}
