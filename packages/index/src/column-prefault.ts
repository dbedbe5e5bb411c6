import { openSync, readv } from "node:fs";
import type { Column, MessageTable } from "./message-table.js";

/*
 * Page-faulting the message columns on another thread while open decodes into them.
 *
 * At a million messages the columns are ~53 MB of memory the allocator usually gets fresh
 * from the kernel, so every 4 KiB page is first touched by the decoder: ~12,700 page faults,
 * 25–40 ms of one core on the development VM (half of what an open costs there). The kernel
 * takes those faults in whichever thread first writes a page, so a read of /dev/zero into a
 * range of a column (a libuv I/O thread doing the writing) faults that range in on the other
 * core, while the main thread verifies and decodes the ranges before it.
 *
 * Invariant: the decoder writes message position i only after `ready(i + 1)` has resolved —
 * the read of zeros into a range must be over before anything real is written there, or it
 * would overwrite decoded records with zeros. Every read started is awaited (`settled`)
 * before the table is handed to anyone else, so none can land in a column later (and a
 * table that grows afterwards copies finished columns only).
 *
 * Where /dev/zero cannot be opened (not Linux, a sandbox without it), `ready` resolves at
 * once and the decoder faults the pages in itself, as before.
 */

/** Positions per range: ~870 KB of columns, ~210 pages. */
const RANGE = 16384;
/** Ranges being filled at once: one readv each, beside open's own snapshot reads. */
const IN_FLIGHT = 2;
/** Below this many messages the faults cost less than the reads would. */
const MIN_MESSAGES = 65536;

/**
 * Writes zeros into every byte of `views`, off the calling thread; resolves when no write
 * into them is still going on (also when it failed: the decoder then takes the faults).
 */
export type ColumnFill = (views: Uint8Array[]) => Promise<void>;

/** One descriptor on /dev/zero for the process (opened on first use), or null without one. */
let zeroFd: number | null | undefined;

/** The filler open uses: a readv of /dev/zero on one of libuv's I/O threads; none without it. */
function devZeroFill(): ColumnFill | undefined {
  if (zeroFd === undefined) {
    try {
      zeroFd = openSync("/dev/zero", "r");
    } catch {
      zeroFd = null;
    }
  }
  const fd = zeroFd;
  if (fd === null) return undefined;
  // A short read leaves the rest to the decoder's own faults; zeros are all it can write.
  return (views) => new Promise((resolve) => readv(fd, views, null, () => resolve()));
}

export class ColumnPrefault {
  /** Message positions [0, readyUpTo) may be written. */
  private readyUpTo = 0;
  /** Next position not yet handed to a read. */
  private issuedUpTo = 0;
  private readonly pending: { end: number; done: boolean }[] = [];
  private waiter: { upTo: number; resolve: () => void } | undefined;
  private idle: (() => void) | undefined;
  private readonly columns: Column[];
  private readonly capacity: number;

  /**
   * Starts faulting in positions [0, count) of `table`'s columns with `fill` (default: /dev/zero
   * for tables of MIN_MESSAGES or more; a given `fill` is used at any size). count 0: nothing.
   */
  constructor(
    table: MessageTable,
    private readonly count: number,
    fill?: ColumnFill,
  ) {
    this.columns = table.columns();
    this.capacity = table.capacity;
    const filler = fill ?? (count >= MIN_MESSAGES ? devZeroFill() : undefined);
    if (filler === undefined || count <= 0) {
      this.readyUpTo = Number.POSITIVE_INFINITY;
      return;
    }
    for (let i = 0; i < IN_FLIGHT; i++) this.issue(filler);
  }

  /** Zeros into the next range of all eight columns (one readv by default). */
  private issue(fill: ColumnFill): void {
    if (this.issuedUpTo >= this.count) return;
    const start = this.issuedUpTo;
    const end = Math.min(this.count, start + RANGE);
    this.issuedUpTo = end;
    const views = this.columns.map((c) => {
      const width = c.byteLength / this.capacity;
      return new Uint8Array(c.buffer, c.byteOffset + start * width, (end - start) * width);
    });
    const entry = { end, done: false };
    this.pending.push(entry);
    const landed = (): void => {
      entry.done = true;
      while (this.pending.length > 0 && this.pending[0]!.done) this.readyUpTo = this.pending.shift()!.end;
      if (this.pending.length === 0 && this.issuedUpTo >= this.count) this.readyUpTo = Number.POSITIVE_INFINITY;
      this.issue(fill);
      if (this.waiter && this.readyUpTo >= this.waiter.upTo) {
        const { resolve } = this.waiter;
        this.waiter = undefined;
        resolve();
      }
      if (this.pending.length === 0 && this.idle) this.idle();
    };
    fill(views).then(landed, landed);
  }

  /** True when message positions [0, upTo) may be written now. */
  isReady(upTo: number): boolean {
    return this.readyUpTo >= upTo;
  }

  /** Resolves when message positions [0, upTo) may be written. */
  ready(upTo: number): Promise<void> {
    if (this.readyUpTo >= upTo) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = { upTo, resolve };
    });
  }

  /** Resolves when no read into the columns is running (none is started after this). */
  settled(): Promise<void> {
    this.issuedUpTo = this.count;
    if (this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }
}
