import type { RateLimits } from "./rate-limiter.js";
import type { ScrubReport } from "./report.js";

export interface ScrubOptions {
  /** Fix what a redundant copy covers (default: report only). */
  repair?: boolean;
  /** Rate limits; 0 means unlimited. */
  limits?: RateLimits;
  /** Checkpoint file; without it the pass is not resumable. */
  checkpointPath?: string;
  /** Minimum time between checkpoint writes (ms, default 1000). */
  checkpointIntervalMs?: number;
  /** A mailbox being written (locked and inconsistent) is retried this many times … */
  busyRetries?: number;
  /** … this far apart (ms, default 2000). */
  busyRetryDelayMs?: number;
  /** Called before each unit: resolve when work may go on (load signal, time window). */
  gate?: () => Promise<void>;
  /** Progress callback (after each unit). */
  onProgress?: (p: Progress) => void;
  /**
   * Spread the pass evenly over this long (ms): the byte rate becomes the pass's bytes divided
   * by this time (never above `limits.bytesPerSecond` when that is set, never below 1 MB/s).
   */
  spreadOverMs?: number;
  /** Stop early (daemon shutdown): the checkpoint keeps what was done. */
  signal?: AbortSignal;
}

export interface Progress {
  report: ScrubReport;
  unitsDone: number;
  units: number;
  bytesDone: number;
  bytesTotal: number;
  elapsedMs: number;
}

/** Gentle defaults: a background job, not a benchmark. */
export const DEFAULT_LIMITS: RateLimits = { bytesPerSecond: 20 * 1024 * 1024, filesPerSecond: 500 };
