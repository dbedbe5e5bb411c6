import { join } from "node:path";
import { initChecksum } from "@holdfast/checksum";
import { makeFolder, writeAtomic } from "./atomic-write.js";
import { BatchRecordEncoder } from "./batch-record.js";
import { IndexClosedError, IndexError, IndexInputError, IndexNotFoundError, IndexReadOnlyError } from "./errors.js";
import { FileName } from "./format.js";
import { type IndexFile, type IndexFs, nodeFs } from "./fs.js";
import { MailboxLock } from "./lock.js";
import { scanLog } from "./log-scan.js";
import type { Transaction } from "./operations.js";
import { buildLog, type RecoveryReport, recover } from "./recovery.js";
import { encodeSnapshot, LITTLE_ENDIAN_HOST, readSnapshot, type SnapshotRead } from "./snapshot.js";
import { loadSnapshotFile } from "./snapshot-stream.js";
import type { Change, MailboxState } from "./state.js";
import { buildTransaction, type CommitResult, type Request, tombstoneTrim, WriteTransaction } from "./transaction.js";
import { type ChangesSince, ReadView, type ViewHost } from "./view.js";
import { ViewPositions } from "./view-positions.js";

/**
 * Durability of commits. "always": commit() resolves after fdatasync of the log (batched
 * across concurrent commits). "never" is UNSAFE: a crash loses acknowledged commits —
 * for tests and benchmarks only.
 */
export type FsyncMode = "always" | "never";

export interface MailboxIndexOptions {
  /** File layer (default: node:fs). */
  fs?: IndexFs;
  /** Create the mailbox when the folder holds no index. Default false. */
  create?: boolean;
  /** UIDVALIDITY for a new mailbox (default: current time in seconds). */
  uidValidity?: number;
  /** Open without the lock and without writing anything (no repair). Default false. */
  readOnly?: boolean;
  fsync?: FsyncMode;
  /** Expunge tombstones kept for QRESYNC (oldest trimmed first). Default 100,000. */
  maxTombstones?: number;
  /** Checkpoint automatically once the log exceeds this many bytes (0: never). Default 16 MiB. */
  autoCheckpointBytes?: number;
  /**
   * Read and check index.backup even when the snapshot is intact (repair does). Default
   * false: open reads the backup only when it needs it.
   */
  checkBackup?: boolean;
  /** Changes kept for lagging read views before they expire. Default 1,000,000. */
  maxJournal?: number;
  /**
   * Fault the message columns in on an I/O thread while open decodes into them (see
   * column-prefault.ts). Default true; false leaves the page faults to the decoding thread
   * (the benchmark's reference).
   */
  prefaultColumns?: boolean;
}

/** Counters and sizes of the mailbox (including commits still being made durable). */
export interface MailboxStatus {
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  firstRecentUid: number;
  messages: number;
  keywords: string[];
  /** Order-independent digest of every message (hex-free bigint). */
  digest: bigint;
  /** Sequence number of the last transaction. */
  seq: number;
}

/**
 * Commits queued for the next group commit: written as one log record and made durable
 * by one fdatasync. The batch has one promise, made for its first commit; each commit
 * returns `durable.then(() => its result)`, so it resolves exactly when the batch is
 * durable and is rejected with the batch's error when the batch is refused.
 */
interface PendingBatch {
  txns: Transaction[];
  changes: Change[];
  durable: Promise<void> | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function newBatch(): PendingBatch {
  return { txns: [], changes: [], durable: undefined, resolve: noop, reject: noop };
}

function noop(): void {}

/** The promise a commit of `batch` waits on (made on first use). */
function durableOf(batch: PendingBatch): Promise<void> {
  batch.durable ??= new Promise<void>((resolve, reject) => {
    batch.resolve = resolve;
    batch.reject = reject;
  });
  return batch.durable;
}

/** A promise's outcome without rejection (for work started before it is known to be needed). */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** A tiny FIFO mutex: log writes and checkpoints never overlap. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * One mailbox's index, open for writing (or read-only). Create with `MailboxIndex.open`.
 *
 * Write path: a transaction is resolved against the in-memory state when committed (so
 * commits are ordered by the order of commit() calls), applied in memory, and queued;
 * the queue is written as one log record and made durable with one fdatasync (group
 * commit); then every commit in it resolves and its changes reach the read views.
 */
export class MailboxIndex implements ViewHost {
  private pending: PendingBatch = newBatch();
  /** Log records of batches are encoded in reused buffers (one batch is written at a time). */
  private readonly records = new BatchRecordEncoder();
  private flushing: Promise<void> | undefined;
  private flushActive = false;
  private lastBatchSize = 1;
  /**
   * Log size right after open or the last rotation. Auto-checkpoints count bytes appended
   * since then (the rotated log still holds what the backup lacks, which can be large).
   */
  private logAtCheckpoint: number;
  private readonly io = new Mutex();
  private failure: unknown;
  private closed = false;
  /**
   * Durable changes for read views: `journal[journalHead]` is change number `journalStart`.
   * Trimming moves the head; the array is compacted only when the dead prefix is large
   * (no copy per commit).
   */
  private journal: Change[] = [];
  private journalHead = 0;
  private journalStart = 0;
  /** Open read views (closed with the index). */
  private readonly views = new Set<ReadView>();
  /** Their journal positions: the trim point without a walk over every view. */
  private readonly viewPositions = new ViewPositions();
  private checkpointRunning: Promise<void> | undefined;
  private snapshotSeq: number;
  private readonly counters = { commits: 0, batches: 0, fdatasyncs: 0 };
  private backupSeq: number | undefined;

  private constructor(
    readonly folder: string,
    readonly state: MailboxState,
    private readonly fs: IndexFs,
    private logFile: IndexFile | undefined,
    private logEnd: number,
    private readonly lock: MailboxLock | undefined,
    /** What open found and did. */
    readonly recovery: RecoveryReport,
    /** Why writes are refused, when they are. */
    readonly readOnlyReason: string | undefined,
    private readonly options: Required<
      Omit<MailboxIndexOptions, "fs" | "uidValidity" | "create" | "readOnly" | "checkBackup" | "prefaultColumns">
    >,
    seqs: { snapshot: number; backup: number | undefined },
  ) {
    this.snapshotSeq = seqs.snapshot;
    this.backupSeq = seqs.backup;
    this.logAtCheckpoint = logEnd;
  }

  /**
   * Open (or create) the index in `folder`. Recovers from crashes (torn log tail) and
   * repairs damage that a redundant copy covers; when damage is not covered, the index
   * opens read-only and `recovery` says what is lost.
   */
  static async open(folder: string, options: MailboxIndexOptions = {}): Promise<MailboxIndex> {
    await initChecksum();
    const fs = options.fs ?? nodeFs;
    const settings = {
      fsync: options.fsync ?? "always",
      maxTombstones: options.maxTombstones ?? 100_000,
      autoCheckpointBytes: options.autoCheckpointBytes ?? 16 * 1024 * 1024,
      maxJournal: options.maxJournal ?? 1_000_000,
    } as const;
    if (settings.fsync !== "always" && settings.fsync !== "never")
      throw new IndexInputError(`bad fsync mode ${String(settings.fsync)}`);
    if (!LITTLE_ENDIAN_HOST) throw new IndexError("@holdfast/index needs a little-endian host");
    const readOnly = options.readOnly === true;
    if (!readOnly && options.create) await makeFolder(fs, folder);
    const lock = readOnly ? undefined : await MailboxLock.acquire(fs, folder);
    try {
      if (!readOnly) {
        for (const temp of [FileName.snapshotTemp, FileName.logTemp, `${FileName.backup}.tmp`])
          await fs.unlink(join(folder, temp));
        if (lock?.tookOver) await lock.removeLeftovers();
      }
      // Fast path: an intact snapshot streamed from its file (no whole-file buffer) when the
      // log is undamaged. Anything else takes the full path, which reads every copy whole.
      // The stream starts at once, beside the reads of the log and the folder, so that their
      // waits overlap it; it is always awaited (never left running), and its result is
      // dropped when the log turns out unsound.
      const streaming = options.checkBackup
        ? undefined
        : settle(
            loadSnapshotFile(fs, join(folder, FileName.snapshot), { prefaultColumns: options.prefaultColumns ?? true }),
          );
      let log: Uint8Array | undefined;
      let listed: string[] | undefined;
      try {
        [log, listed] = await Promise.all([fs.readFile(join(folder, FileName.log)), fs.readdir(folder)]);
      } catch (error) {
        await streaming;
        throw error;
      }
      const logScan = scanLog(log);
      // The backup must exist when the log starts after it (checked by name: cheap).
      const backupAsNeeded = (logScan.header?.baseSeq ?? 0) === 0 || (listed ?? []).includes(FileName.backup);
      const logSound =
        log !== undefined &&
        logScan.header !== undefined &&
        logScan.damage.length === 0 &&
        logScan.tail.kind !== "corrupt-tail" &&
        backupAsNeeded;
      const outcome = await streaming;
      if (logSound && outcome?.ok === false) throw outcome.error;
      const streamed = logSound && outcome?.ok ? outcome.value : undefined;
      const snapshot = streamed ? undefined : await fs.readFile(join(folder, FileName.snapshot));
      const snapshotRead: SnapshotRead | undefined = streamed
        ? { kind: "ok", ...streamed }
        : snapshot
          ? readSnapshot(snapshot)
          : undefined;
      // The backup is read only when the snapshot cannot be used on its own.
      const backupNeeded = snapshotRead?.kind !== "ok" || options.checkBackup === true || !backupAsNeeded;
      const backup = backupNeeded ? await fs.readFile(join(folder, FileName.backup)) : undefined;
      const logHasContent = logScan.txns.length > 0;
      if (!snapshotRead && !backup && !logHasContent) {
        // Nothing, or only the leftovers of a creation that crashed before its first fsync.
        if (!options.create || readOnly) throw new IndexNotFoundError(`no mailbox index in ${folder}`);
        return await MailboxIndex.create(folder, fs, lock!, options.uidValidity, settings);
      }
      const { state, report, plan } = recover({
        snapshot,
        snapshotRead,
        backup,
        log,
        logScan,
        backupUnchecked: !backupNeeded,
      });
      let readOnlyReason = readOnly ? "opened read-only" : undefined;
      if (!report.lossless) readOnlyReason = `damage no copy covers: ${report.problems.join("; ")}`;
      let logFile: IndexFile | undefined;
      let logEnd = 0;
      let snapshotSeq = report.snapshot.seq ?? 0;
      let backupSeq = report.backup.ok ? report.backup.seq : undefined;
      if (readOnlyReason === undefined) {
        if (plan.rewrite) {
          if (plan.rewrite.backup) await writeAtomic(fs, folder, FileName.backup, plan.rewrite.backup);
          await writeAtomic(fs, folder, FileName.snapshot, plan.rewrite.snapshot);
          await writeAtomic(fs, folder, FileName.log, plan.rewrite.log);
          snapshotSeq = state.seq;
          backupSeq = scanLog(plan.rewrite.log).header?.baseSeq;
        } else if (lock?.tookOver && log !== undefined) {
          // The previous writer did not close cleanly. If it stopped after a failed fsync,
          // the page cache may hold bytes of the log that never reached the disk yet read
          // back as clean, and a later fsync of that file would not write them again:
          // never append to that inode. Its readable content goes into a new file.
          const end = plan.truncateLogTo ?? log.byteLength;
          await writeAtomic(fs, folder, FileName.log, log.subarray(0, end));
          report.actions.push("rewrote the log into a new file (the previous writer did not close cleanly)");
          plan.truncateLogTo = undefined;
        }
        logFile = await fs.open(join(folder, FileName.log), "readwrite");
        logEnd = plan.rewrite ? plan.rewrite.log.byteLength : (log?.byteLength ?? 0);
        if (plan.truncateLogTo !== undefined) {
          await logFile.truncate(plan.truncateLogTo);
          await logFile.sync();
          logEnd = plan.truncateLogTo;
        } else if (!plan.rewrite && lock?.tookOver && log !== undefined) {
          logEnd = await logFile.size();
        }
      } else if (lock) {
        await lock.release();
      }
      return new MailboxIndex(
        folder,
        state,
        fs,
        logFile,
        logEnd,
        readOnlyReason ? undefined : lock,
        report,
        readOnlyReason,
        settings,
        { snapshot: snapshotSeq, backup: backupSeq },
      );
    } catch (error) {
      // After an I/O failure the files may hold bytes the disk does not: leave the lock
      // file, so that the next writer sees an unclean stop and rewrites into new files.
      if (lock && error instanceof IndexError) await lock.release().catch(() => lock.abandon());
      else lock?.abandon();
      throw error;
    }
  }

  private static async create(
    folder: string,
    fs: IndexFs,
    lock: MailboxLock,
    uidValidity: number | undefined,
    settings: MailboxIndex["options"],
  ): Promise<MailboxIndex> {
    const v = uidValidity ?? Math.max(1, Math.floor(Date.now() / 1000) >>> 0);
    if (!Number.isInteger(v) || v < 1 || v > 0xffff_ffff)
      throw new IndexInputError("uidValidity must be an integer in 1..2^32-1");
    const first: Transaction = {
      seq: 1,
      uidNext: 1,
      highestModseq: 1,
      ops: [{ op: "setUidValidity", uidValidity: v }],
    };
    const bytes = buildLog(v, 0, [first]);
    await writeAtomic(fs, folder, FileName.log, bytes);
    const { state, report } = recover({ snapshot: undefined, backup: undefined, log: bytes });
    report.actions.push("created a new mailbox");
    const logFile = await fs.open(join(folder, FileName.log), "readwrite");
    return new MailboxIndex(folder, state, fs, logFile, bytes.byteLength, lock, report, undefined, settings, {
      snapshot: 0,
      backup: undefined,
    });
  }

  get readOnly(): boolean {
    return this.readOnlyReason !== undefined;
  }

  status(): MailboxStatus {
    const s = this.state;
    return {
      uidValidity: s.uidValidity,
      uidNext: s.uidNext,
      highestModseq: s.highestModseq,
      firstRecentUid: s.firstRecentUid,
      messages: s.messages.count,
      keywords: [...s.keywords.names],
      digest: s.digest,
      seq: s.seq,
    };
  }

  /**
   * Write-path counters since open: durable transactions, log batches written and
   * fdatasyncs made (commits per fdatasync shows group commit at work).
   */
  stats(): { commits: number; batches: number; fdatasyncs: number } {
    return { ...this.counters };
  }

  /** A new write transaction. */
  transaction(): WriteTransaction {
    return new WriteTransaction(this.committer);
  }

  /**
   * A read view of the latest durable state. Waits until no commit is in flight so the view
   * never shows a change that is not durable yet.
   */
  async view(): Promise<ReadView> {
    this.checkOpen();
    for (;;) {
      if (this.pending.txns.length === 0 && !this.flushActive) break;
      if (!this.flushActive) this.startFlush();
      await this.flushing;
    }
    const view = new ReadView(this, this.journalEnd());
    this.views.add(view);
    this.viewPositions.add(view.cursor);
    return view;
  }

  /**
   * UIDs expunged with a MODSEQ above `modseq` (QRESYNC VANISHED (EARLIER)). When the
   * tombstones no longer reach back that far, `exact` is false and `uids` holds every UID
   * below UIDNEXT that is not in the mailbox (RFC 7162 allows reporting those).
   */
  expungedSince(modseq: number): { exact: boolean; uids: number[] } {
    const s = this.state;
    if (modseq >= s.tombstones.floor) {
      const from = s.tombstones.firstAfter(modseq);
      const uids = Array.from(s.tombstones.uids.subarray(from, s.tombstones.count)).sort((a, b) => a - b);
      return { exact: true, uids };
    }
    const uids: number[] = [];
    const t = s.messages;
    let i = 0;
    for (let u = 1; u < s.uidNext; u++) {
      while (i < t.count && t.uids[i]! < u) i++;
      if (i < t.count && t.uids[i] === u) continue;
      uids.push(u);
      if (uids.length > 10_000_000) break;
    }
    return { exact: false, uids };
  }

  // ViewHost --------------------------------------------------------------------------

  journalEnd(): number {
    return this.journalStart + this.journal.length - this.journalHead;
  }

  changesSince(cursor: number): ChangesSince | undefined {
    if (cursor < this.journalStart) return undefined;
    return {
      durable: this.journal,
      from: this.journalHead + cursor - this.journalStart,
      pending: this.pending.changes,
    };
  }

  viewMoved(view: ReadView, from: number): void {
    if (!this.views.has(view)) return;
    this.viewPositions.move(from, view.cursor);
    this.trimJournal();
  }

  releaseView(view: ReadView): void {
    if (!this.views.delete(view)) return;
    this.viewPositions.remove(view.cursor);
    this.trimJournal();
  }

  /**
   * Drop the journal's changes that no open view still needs (and those past maxJournal:
   * views that far behind expire). O(1) amortised: see ViewPositions.
   */
  private trimJournal(): void {
    let min = this.viewPositions.min(this.journalEnd());
    const excess = this.journal.length - this.journalHead - this.options.maxJournal;
    if (excess > 0) min = Math.max(min, this.journalStart + excess);
    if (min > this.journalStart) {
      this.journalHead += min - this.journalStart;
      this.journalStart = min;
      if (this.journalHead >= 1024 && this.journalHead * 2 >= this.journal.length) {
        this.journal = this.journal.slice(this.journalHead);
        this.journalHead = 0;
      }
    }
  }

  // Write path ------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.failure !== undefined)
      throw new IndexClosedError(`index failed and must be reopened: ${String(this.failure)}`);
    if (this.closed) throw new IndexClosedError("index is closed");
  }

  /** Commits every transaction of this index (one function, not one closure per transaction). */
  private readonly committer = (requests: readonly Request[]): Promise<CommitResult> => this.commitRequests(requests);

  private commitRequests(requests: readonly Request[]): Promise<CommitResult> {
    try {
      this.checkOpen();
      if (this.readOnlyReason !== undefined) throw new IndexReadOnlyError(`index is read-only: ${this.readOnlyReason}`);
      const { txn, result } = buildTransaction(this.state, requests);
      // A transaction that changes nothing still resolves only after every earlier commit
      // is durable, so "resolved" always means "this and everything before it is on disk".
      if (!txn) return this.flush().then(() => result);
      const expunges = result.expunged.length;
      const trim = tombstoneTrim(this.state, this.options.maxTombstones, expunges, txn.highestModseq);
      if (trim) txn.ops.push(trim);
      // The change feed is only collected while read views exist (a view is created only
      // when no commit is in flight, so it never misses one).
      const changes: Change[] | undefined = this.views.size > 0 ? [] : undefined;
      try {
        this.state.apply(txn, changes);
      } catch (error) {
        // The state may be half-changed: nothing more may be written from it.
        this.fail(error);
        throw error;
      }
      if (changes) for (const c of changes) this.pending.changes.push(c);
      this.pending.txns.push(txn);
      const done = durableOf(this.pending).then(() => result);
      this.startFlush();
      return done;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Start the flush loop unless it is running. `flushActive` is cleared by the loop itself
   * in the same tick in which it finds the queue empty, so a commit queued at any moment
   * is either seen by the running loop or starts a new one.
   */
  private startFlush(): void {
    if (this.flushActive) return;
    this.flushActive = true;
    const run: Promise<void> = this.io.run(() => this.flushLoop());
    this.flushing = run;
    void run.finally(() => {
      if (this.flushing === run) this.flushing = undefined;
    });
  }

  /** Write queued transactions, one batch record and one fdatasync per round. */
  private async flushLoop(): Promise<void> {
    for (;;) {
      // Check and clear in one synchronous step (see startFlush).
      if (this.pending.txns.length === 0) {
        this.flushActive = false;
        break;
      }
      const ok = await this.writeBatch();
      if (!ok) {
        this.flushActive = false;
        return;
      }
    }
    if (
      this.options.autoCheckpointBytes > 0 &&
      this.logEnd - this.logAtCheckpoint > this.options.autoCheckpointBytes &&
      !this.checkpointRunning &&
      this.failure === undefined &&
      this.readOnlyReason === undefined
    ) {
      this.checkpointRunning = this.checkpoint()
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => {
          this.checkpointRunning = undefined;
        });
    }
  }

  /** One group commit: every queued transaction, one record, one fdatasync. False on failure. */
  private async writeBatch(): Promise<boolean> {
    // With several committers at work (the last batch held more than one commit), let
    // the ones woken by the previous round queue their next commit first: one turn of the
    // event loop costs microseconds, an fdatasync a millisecond or more. A lone committer
    // is not delayed.
    if (this.lastBatchSize > 1) await new Promise<void>((resolve) => setImmediate(resolve));
    const batch = this.pending;
    this.lastBatchSize = batch.txns.length;
    this.pending = newBatch();
    if (this.failure !== undefined) {
      batch.reject(new IndexClosedError("index failed before this commit was durable"));
      return true;
    }
    try {
      const record = this.records.encode(batch.txns);
      await this.logFile!.write(record, this.logEnd);
      // The digest's hashes owed by this batch's commits are computed while the fdatasync
      // runs (the main thread would wait idle; the I/O thread is asleep, waiting for the
      // disk), not between one group commit and the next.
      if (this.options.fsync === "always") {
        const synced = this.logFile!.datasync();
        try {
          this.state.settleDigest();
        } finally {
          await synced;
        }
        this.counters.fdatasyncs++;
      } else {
        this.state.settleDigest();
      }
      this.logEnd += record.byteLength;
      this.counters.batches++;
      this.counters.commits += batch.txns.length;
    } catch (error) {
      this.fail(error);
      // The batch is not durable and its commits are refused. After a failed fdatasync the
      // page cache may still show its bytes (marked clean, never to be written): cut them
      // off so that no reader — a reopen in this process or another — takes the refused
      // commits for acknowledged ones. The next writer rewrites the log into a new file.
      await this.logFile!.truncate(this.logEnd).catch(() => undefined);
      batch.reject(error);
      this.pending.reject(error);
      this.pending = newBatch();
      return false;
    }
    for (const c of batch.changes) this.journal.push(c);
    this.trimJournal();
    batch.resolve();
    return true;
  }

  private fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error ?? new IndexError("unknown failure");
  }

  /** Resolves when every commit made so far is durable; rejects if the index failed. */
  async flush(): Promise<void> {
    while (this.flushActive || this.pending.txns.length > 0) {
      if (!this.flushActive) this.startFlush();
      await this.flushing;
    }
    // A failed write means some earlier commit is not durable: never report success then.
    if (this.failure !== undefined)
      throw new IndexClosedError(`index failed and must be reopened: ${String(this.failure)}`);
  }

  /**
   * Write a new snapshot of the durable state; the previous snapshot becomes the backup and
   * the log keeps only the transactions after the backup (so backup + log replay still
   * reproduces the snapshot). Commits may continue meanwhile; they wait for the log.
   */
  async checkpoint(): Promise<{ seq: number; bytes: number }> {
    this.checkOpen();
    if (this.readOnlyReason !== undefined) throw new IndexReadOnlyError(`index is read-only: ${this.readOnlyReason}`);
    for (;;) {
      await this.flush();
      const done = await this.io.run(async () => {
        // Only a state without commits in flight is durable in full: snapshot exactly that.
        if (this.pending.txns.length > 0) return undefined;
        this.checkOpen();
        return this.writeCheckpoint();
      });
      if (done) return done;
    }
  }

  private async writeCheckpoint(): Promise<{ seq: number; bytes: number }> {
    const bytes = encodeSnapshot(this.state);
    const seq = this.state.seq;
    const fs = this.fs;
    const dir = this.folder;
    try {
      const temp = join(dir, FileName.snapshotTemp);
      const file = await fs.open(temp, "replace");
      try {
        await file.write(bytes, 0);
        await file.sync();
      } finally {
        await file.close();
      }
      const hadSnapshot = (await fs.readdir(dir))?.includes(FileName.snapshot) ?? false;
      if (hadSnapshot) {
        await fs.rename(join(dir, FileName.snapshot), join(dir, FileName.backup));
        this.backupSeq = this.snapshotSeq;
      } else {
        // First checkpoint: the backup starts as a copy, so there are two copies at once.
        await writeAtomic(fs, dir, FileName.backup, bytes);
        this.backupSeq = seq;
      }
      await fs.rename(temp, join(dir, FileName.snapshot));
      await fs.fsyncDir(dir);
      this.snapshotSeq = seq;
      // Rotate the log: keep what the backup does not include.
      const keepAfter = this.backupSeq!;
      const current = await fs.readFile(join(dir, FileName.log));
      const scan = scanLog(current);
      if (scan.damage.length > 0 || scan.tail.kind !== "clean")
        throw new IndexError("log damaged under a running index: checkpoint refused");
      const rotated = buildLog(this.state.uidValidity, keepAfter, scan.txns);
      await this.logFile!.close();
      this.logFile = undefined;
      await writeAtomic(fs, dir, FileName.log, rotated);
      this.logFile = await fs.open(join(dir, FileName.log), "readwrite");
      this.logEnd = rotated.byteLength;
      this.logAtCheckpoint = rotated.byteLength;
      return { seq, bytes: bytes.byteLength };
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  /** Make pending commits durable, release the lock and close the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failure === undefined) await this.flush();
      await this.checkpointRunning;
    } finally {
      this.closed = true;
      for (const v of [...this.views]) v.close();
      await this.io.run(async () => {
        await this.logFile?.close().catch(() => undefined);
        this.logFile = undefined;
      });
      if (this.lock) {
        if (this.failure === undefined) await this.lock.release().catch(() => this.lock!.abandon());
        else this.lock.abandon();
      }
    }
  }
}
