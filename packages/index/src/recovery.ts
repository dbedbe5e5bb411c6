import { FORMAT_VERSION, LogRecordType } from "./format.js";
import { encodeBatch, encodeLogHeader } from "./log-format.js";
import { type LogDamage, type LogScan, type LogTail, logCodec, scanLog } from "./log-scan.js";
import type { Transaction } from "./operations.js";
import { encodeSnapshot, loadBlocks, readSnapshot, type SnapshotHeader, type SnapshotRead } from "./snapshot.js";
import { MailboxState, ReplayError } from "./state.js";

/*
 * Deciding what a mailbox's files say, after any crash or damage. Pure: bytes in, a state,
 * a report and a plan of what to rewrite out. The caller (open, repair) carries out the plan.
 *
 * Order of preference for the base the log is replayed onto: the snapshot, the backup, an
 * empty mailbox (when the log still starts at transaction 1). The first base from which
 * the log replays to its end without a gap gives the state; that state includes everything
 * the snapshot held (the log keeps every transaction after the backup's), so when the
 * snapshot is damaged the rebuilt state is what it held plus what came after.
 */

export interface SnapshotCheck {
  present: boolean;
  ok: boolean;
  /** Sequence number in its header (when the header is intact). */
  seq?: number;
  damagedBlocks: number[];
  reason?: string;
}

export interface LogCheck {
  present: boolean;
  headerOk: boolean;
  baseSeq?: number;
  firstSeq?: number;
  lastSeq?: number;
  transactions: number;
  tail: LogTail;
  damage: LogDamage[];
  size: number;
  validEnd: number;
}

export interface RecoveryReport {
  /** Nothing needed fixing (a torn log tail from a crash still counts as clean). */
  clean: boolean;
  /** The state is complete: every acknowledged change is in it. */
  lossless: boolean;
  snapshot: SnapshotCheck;
  backup: SnapshotCheck;
  log: LogCheck;
  /** Where the state came from. */
  source: "snapshot" | "backup" | "log" | "partial-snapshot" | "partial-backup" | "partial-log" | "new";
  /** Log transactions replayed onto the base. */
  replayed: number;
  /** Why the state is not complete (then the index must be used read-only). */
  problems: string[];
  /** UID ranges whose messages may be lost or withheld (inclusive). */
  lostUidRanges: [number, number][];
  /** UIDs known (from any copy) to be affected: withheld, or changed by lost transactions. */
  affectedUids: number[];
  /** Set when UIDNEXT/HIGHESTMODSEQ could not be proven: a new UIDVALIDITY must be used. */
  newUidValidity?: number;
  /** What was (open, repair) or would be (verify) done to fix the files. */
  actions: string[];
}

export interface RecoveryPlan {
  /** Truncate the log to this size (a torn tail). */
  truncateLogTo?: number;
  /** Rewrite the files: backup first, then snapshot, then log (each atomically). */
  rewrite?: { backup: Uint8Array | undefined; snapshot: Uint8Array; log: Uint8Array };
}

export interface RecoveryResult {
  state: MailboxState;
  report: RecoveryReport;
  plan: RecoveryPlan;
}

export interface RecoveryInput {
  snapshot: Uint8Array | undefined;
  backup: Uint8Array | undefined;
  log: Uint8Array | undefined;
  /**
   * The snapshot already decoded (saves decoding it twice). With it, `snapshot` may be left
   * out when it is intact and the log is undamaged (nothing will need its bytes).
   */
  snapshotRead?: SnapshotRead;
  /**
   * The backup was not read because the snapshot is intact (open's fast path: the backup
   * only matters when the snapshot is damaged; verify reads it always).
   */
  backupUnchecked?: boolean;
  /** `scanLog(log)`, when the caller has it already (open does: saves walking the log twice). */
  logScan?: LogScan;
  /** UIDVALIDITY to use if one must be chosen (default: now in seconds). */
  freshUidValidity?: () => number;
}

function checkOf(read: SnapshotRead | undefined): SnapshotCheck {
  if (!read) return { present: false, ok: false, damagedBlocks: [] };
  if (read.kind === "ok") return { present: true, ok: true, seq: read.header.seq, damagedBlocks: [] };
  return { present: true, ok: false, seq: read.header?.seq, damagedBlocks: read.damagedBlocks, reason: read.reason };
}

interface Replayed {
  state: MailboxState;
  replayed: number;
  /** Replay stopped before the end of the log (a gap or a transaction that does not fit). */
  stoppedAt?: number;
  failed: boolean;
}

function replay(base: MailboxState, txns: readonly Transaction[], lenient?: Set<number>): Replayed {
  let replayed = 0;
  for (const t of txns) {
    if (t.seq <= base.seq) continue;
    if (t.seq !== base.seq + 1) return { state: base, replayed, stoppedAt: base.seq + 1, failed: false };
    try {
      base.apply(t, undefined, lenient);
    } catch (error) {
      if (error instanceof ReplayError) return { state: base, replayed, stoppedAt: t.seq, failed: true };
      throw error;
    }
    replayed++;
  }
  return { state: base, replayed, failed: false };
}

/** The log rewritten to hold exactly the transactions after `baseSeq` (in batches). */
export function buildLog(
  uidValidity: number,
  baseSeq: number,
  txns: readonly Transaction[],
  createdAt = Date.now(),
): Uint8Array {
  const parts: Uint8Array[] = [
    logCodec.encode(
      LogRecordType.header,
      encodeLogHeader({ version: FORMAT_VERSION, uidValidity, baseSeq, createdAt }),
    ),
  ];
  const keep = txns.filter((t) => t.seq > baseSeq);
  for (let i = 0; i < keep.length; i += 1000)
    parts.push(logCodec.encode(LogRecordType.batch, encodeBatch(keep.slice(i, i + 1000))));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * How far `bytes` bytes of log records could have moved the counters: every transaction
 * takes at least 28 bytes (its length and header) and adds at most 1 to HIGHESTMODSEQ;
 * every append takes 96 bytes and adds 1 to UIDNEXT.
 */
export function counterBound(bytes: number): { uids: number; modseqs: number } {
  return { uids: Math.ceil(bytes / 96) + 1, modseqs: Math.ceil(bytes / 28) + 1 };
}

function mergeRanges(ranges: [number, number][]): [number, number][] {
  ranges.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

export function recover(input: RecoveryInput): RecoveryResult {
  const P = input.snapshotRead ?? (input.snapshot ? readSnapshot(input.snapshot) : undefined);
  const B = input.backup ? readSnapshot(input.backup) : undefined;
  const scan: LogScan = input.logScan ?? scanLog(input.log);
  const txns = [...scan.txns].sort((a, b) => a.seq - b.seq);
  const seqs = txns.map((t) => t.seq);
  const logCheck: LogCheck = {
    present: input.log !== undefined,
    headerOk: scan.header !== undefined,
    baseSeq: scan.header?.baseSeq,
    firstSeq: seqs[0],
    lastSeq: seqs[seqs.length - 1],
    transactions: txns.length,
    tail: scan.tail,
    damage: scan.damage,
    size: scan.size,
    validEnd: scan.validEnd,
  };
  const report: RecoveryReport = {
    clean: true,
    lossless: true,
    snapshot: checkOf(P),
    backup: input.backupUnchecked
      ? { present: true, ok: true, damagedBlocks: [], reason: "not read (snapshot intact)" }
      : checkOf(B),
    log: logCheck,
    source: "new",
    replayed: 0,
    problems: [],
    lostUidRanges: [],
    affectedUids: [],
    actions: [],
  };
  const plan: RecoveryPlan = {};
  const lastSeq = logCheck.lastSeq ?? 0;
  const logFromStart = scan.header?.baseSeq === 0 || seqs[0] === 1;
  const headerP = P?.header;
  /** Last transaction the readable log proves (damage or an unreadable tail come after it). */
  const logProves = Math.max(lastSeq, scan.header?.baseSeq ?? 0);
  // Damage at the very end (a whole record that fails, nothing valid after it) held
  // acknowledged transactions after `logProves`: a base must include at least the first
  // of them. Batches end where checkpoints snapshot (a snapshot is taken only with no
  // commit in flight, and the rotated log ends at it), so a base that includes the first
  // transaction of that record includes the whole record.
  const endDamage = scan.damage.some((d) => d.resumesAt >= scan.size);
  const mustReach = Math.max(headerP?.seq ?? 0, B?.header?.seq ?? 0, lastSeq, endDamage ? logProves + 1 : 0);
  // Without a log nothing proves what was committed after the snapshot: never treat a
  // snapshot alone as the whole mailbox (its UIDNEXT could be behind acknowledged appends).
  // A mailbox deliberately recreated from known messages uses `rebuildIndex`, which writes
  // all three files.
  const logMissing = input.log === undefined && (P !== undefined || B !== undefined);
  // The log relies on the backup (it starts after the backup's sequence) but there is none.
  const backupMissing = !input.backupUnchecked && input.backup === undefined && (scan.header?.baseSeq ?? 0) > 0;

  // 1. A complete route: base + gap-free replay to the end of the log.
  type Candidate = { source: RecoveryReport["source"]; make: () => MailboxState };
  const candidates: Candidate[] = [];
  if (P?.kind === "ok") candidates.push({ source: "snapshot", make: () => P.state });
  if (B?.kind === "ok") candidates.push({ source: "backup", make: () => B.state });
  if (logFromStart) candidates.push({ source: "log", make: () => new MailboxState() });
  const attempts: (Replayed & { source: RecoveryReport["source"] })[] = [];
  if (logMissing)
    report.problems.push(
      "the log is missing: transactions committed after the snapshot (and UIDNEXT/HIGHESTMODSEQ) cannot be proven",
    );
  for (const c of candidates) {
    const r = replay(c.make(), txns);
    attempts.push({ ...r, source: c.source });
    if (!logMissing && !r.failed && r.stoppedAt === undefined && r.state.seq >= mustReach) {
      return finishComplete(r, c.source);
    }
  }

  function finishComplete(r: Replayed, source: RecoveryReport["source"]): RecoveryResult {
    report.source = source;
    report.replayed = r.replayed;
    const state = r.state;
    const snapshotBad = P !== undefined ? P.kind !== "ok" : B !== undefined || (scan.header?.baseSeq ?? 0) > 0;
    const backupBad = (B !== undefined && B.kind !== "ok") || backupMissing;
    // Counters never go backwards: an intact header proves its UIDNEXT and HIGHESTMODSEQ
    // (a previous recovery may have moved them forward without a transaction).
    let raised = false;
    for (const h of [headerP, B?.header]) {
      if (!h || h.uidValidity !== state.uidValidity) continue;
      if (h.uidNext > state.uidNext || h.highestModseq > state.highestModseq) raised = true;
      state.uidNext = Math.max(state.uidNext, h.uidNext);
      state.highestModseq = Math.max(state.highestModseq, h.highestModseq);
    }
    // An unreadable last record that no base covers may have been an acknowledged batch
    // with a bit flip: its UIDs and MODSEQs must never be handed out again.
    let bumped = false;
    if (scan.tail.kind === "corrupt-tail" && state.seq <= logProves) {
      const bound = counterBound(scan.tail.bytes);
      state.uidNext = Math.min(0xffff_ffff, state.uidNext + bound.uids);
      state.highestModseq += bound.modseqs;
      bumped = true;
      report.problems.push(
        `the unreadable last log record (${scan.tail.bytes} bytes) may have been acknowledged: UIDNEXT moved forward by ${bound.uids} and HIGHESTMODSEQ by ${bound.modseqs} so that none of its UIDs or MODSEQs is reused`,
      );
    }
    // An unreadable last record may be a bit flip in a record the snapshot includes: the
    // log is rewritten (not just truncated) so that backup + log reproduce the snapshot.
    const logBad =
      scan.damage.length > 0 ||
      scan.tail.kind === "corrupt-tail" ||
      (input.log !== undefined && scan.header === undefined) ||
      input.log === undefined;
    if (snapshotBad)
      report.actions.push(P ? "rewrite the damaged snapshot from the rebuilt state" : "write the missing snapshot");
    if (backupBad) report.actions.push(backupMissing && !B ? "write the missing backup" : "replace the damaged backup");
    if (backupMissing && !B) report.problems.push("index.backup is missing although the log starts after it");
    if (bumped || raised) report.actions.push("write UIDNEXT/HIGHESTMODSEQ moved forward into every copy");
    if (logBad) report.actions.push(input.log ? "rewrite the damaged log" : "write the missing log");
    if (input.log === undefined) {
      report.problems.push(
        "the log is missing: any transaction committed after the snapshot is lost and cannot be named",
      );
    }
    if (scan.tail.kind === "corrupt-tail") {
      report.problems.push(
        `log tail at ${scan.tail.offset} fails its checksum with nothing valid after it: treated as an unacknowledged torn write`,
      );
    }
    if (bumped || raised) {
      // Counters moved without a transaction: backup and snapshot both become this state
      // and the log starts after it, so that every copy proves the new counters.
      report.clean = false;
      const snapshot = encodeSnapshot(state);
      plan.rewrite = { backup: snapshot, snapshot, log: buildLog(state.uidValidity, state.seq, []) };
    } else if (snapshotBad || backupBad || logBad) {
      report.clean = false;
      // New backup: the intact snapshot if any (the log must then start at its sequence),
      // else the intact backup, else the rebuilt state itself.
      let backup: Uint8Array | undefined;
      let baseSeq: number;
      if (P?.kind === "ok" && input.snapshot) {
        backup = input.snapshot;
        baseSeq = P.header.seq;
      } else if (B?.kind === "ok" && !backupBad) {
        backup = undefined; // keep index.backup as it is
        baseSeq = B.header.seq;
      } else {
        backup = undefined;
        baseSeq = state.seq;
      }
      const snapshot = encodeSnapshot(state);
      if (baseSeq === state.seq && !(B?.kind === "ok")) backup = snapshot;
      plan.rewrite = { backup, snapshot, log: buildLog(state.uidValidity, baseSeq, txns) };
    } else if (scan.tail.kind !== "clean") {
      plan.truncateLogTo = scan.validEnd;
      report.actions.push(`truncate the log's torn tail at ${scan.validEnd}`);
    }
    return { state, report, plan };
  }

  // 2. No complete route: salvage the best partial state, read-only, and say what is lost.
  report.clean = false;
  report.lossless = false;
  const affected = new Set<number>();
  const lostRanges: [number, number][] = [];
  type Partial = {
    source: RecoveryReport["source"];
    state: MailboxState;
    replayed: number;
    header?: SnapshotHeader;
    stoppedAt?: number;
  };
  const partials: Partial[] = [];
  for (const a of attempts) {
    if (!a.failed)
      partials.push({
        source: a.source === "snapshot" ? "snapshot" : a.source === "backup" ? "backup" : "partial-log",
        state: a.state,
        replayed: a.replayed,
        stoppedAt: a.stoppedAt,
      });
  }
  for (const [read, bytes, source] of [
    [P, input.snapshot, "partial-snapshot"],
    [B, input.backup, "partial-backup"],
  ] as const) {
    if (read?.kind !== "damaged" || !read.header || !bytes) continue;
    const loaded = loadBlocks(bytes, read.header, new Set(read.damagedBlocks));
    loaded.state.digest = loaded.state.computeDigest();
    const lenient = new Set<number>();
    const r = replay(loaded.state, txns, lenient);
    const ranges: [number, number][] = loaded.lost
      .filter((l) => l.uidHigh >= l.uidLow)
      .map((l) => [l.uidLow, l.uidHigh]);
    partials.push({ source, state: r.state, replayed: r.replayed, header: read.header, stoppedAt: r.stoppedAt });
    (partials[partials.length - 1] as Partial & { ranges?: [number, number][]; lenient?: Set<number> }).ranges = ranges;
    (partials[partials.length - 1] as Partial & { lenient?: Set<number> }).lenient = lenient;
  }
  partials.sort((a, b) => b.state.seq - a.state.seq);
  const best = partials[0] as (Partial & { ranges?: [number, number][]; lenient?: Set<number> }) | undefined;
  const state = best?.state ?? new MailboxState();
  report.source = best?.source ?? "new";
  report.replayed = best?.replayed ?? 0;
  if (P?.kind === "damaged") report.problems.push(`snapshot: ${P.reason}`);
  if (B?.kind === "damaged") report.problems.push(`backup: ${B.reason}`);
  for (const d of scan.damage)
    report.problems.push(`log damaged at ${d.offset} (${d.reason}), valid records resume at ${d.resumesAt}`);
  if (best?.ranges) lostRanges.push(...best.ranges);
  if (best?.lenient) for (const u of best.lenient) affected.add(u);
  if (best?.stoppedAt !== undefined || state.seq < mustReach) {
    const from = state.seq + 1;
    report.problems.push(`transactions from ${from} to ${mustReach} cannot be replayed (no copy holds them)`);
    // Every UID those later transactions touch is affected; UIDs they may have appended too.
    for (const t of txns) {
      if (t.seq <= state.seq) continue;
      for (const op of t.ops) {
        if (op.op === "append") affected.add(op.record.uid);
        else if (op.op === "setFlags" || op.op === "expunge") affected.add(op.uid);
      }
    }
  }
  // Name the UIDs of lost ranges from any copy that has them.
  if (lostRanges.length > 0) {
    const sources: MailboxState[] = [];
    for (const read of [P, B]) if (read?.kind === "ok") sources.push(read.state);
    for (const [read, bytes] of [
      [P, input.snapshot],
      [B, input.backup],
    ] as const) {
      if (read?.kind === "damaged" && read.header && bytes)
        sources.push(loadBlocks(bytes, read.header, new Set(read.damagedBlocks)).state);
    }
    // Every UID of a lost range that the surviving state neither has nor knows to be
    // expunged (tombstones) was lost: exact while the tombstones reach back. Ranges too
    // large to list are named from the UIDs any copy or the log still shows.
    const expunged = new Set<number>();
    const tomb = state.tombstones;
    for (let i = 0; i < tomb.count; i++) expunged.add(tomb.uids[i]!);
    const huge: [number, number][] = [];
    for (const [a, b] of lostRanges) {
      if (b - a > 1_000_000) huge.push([a, b]);
      else for (let u = a; u <= b; u++) if (!expunged.has(u) && state.messages.indexOf(u) < 0) affected.add(u);
    }
    const inHuge = (u: number) => huge.some(([a, b]) => u >= a && u <= b);
    for (const s of sources)
      for (let i = 0; i < s.messages.count; i++) if (inHuge(s.messages.uids[i]!)) affected.add(s.messages.uids[i]!);
    for (const t of txns)
      for (const op of t.ops) if (op.op === "append" && inHuge(op.record.uid)) affected.add(op.record.uid);
  }
  // Counters never go backwards: take the largest value any copy proves.
  let provable =
    !logMissing && (headerP !== undefined || (P === undefined && (B?.header !== undefined || logFromStart)));
  for (const h of [headerP, B?.header]) {
    if (!h) continue;
    state.uidNext = Math.max(state.uidNext, h.uidNext);
    state.highestModseq = Math.max(state.highestModseq, h.highestModseq);
    if (!state.uidValidity) state.uidValidity = h.uidValidity;
  }
  for (const t of txns) {
    state.uidNext = Math.max(state.uidNext, t.uidNext);
    state.highestModseq = Math.max(state.highestModseq, t.highestModseq);
    for (const op of t.ops) if (op.op === "setUidValidity" && !state.uidValidity) state.uidValidity = op.uidValidity;
  }
  if (state.messages.count > 0) state.uidNext = Math.max(state.uidNext, state.messages.lastUid() + 1);
  // Bytes that held acknowledged transactions nobody can read: move past what they could hold.
  const unreadable =
    scan.damage.filter((d) => d.resumesAt >= scan.size).reduce((n, d) => n + (d.resumesAt - d.offset), 0) +
    (scan.tail.kind === "corrupt-tail" ? scan.tail.bytes : 0);
  if (unreadable > 0 && state.seq <= logProves) {
    const bound = counterBound(unreadable);
    const from = state.uidNext;
    state.uidNext = Math.min(0xffff_ffff, state.uidNext + bound.uids);
    state.highestModseq += bound.modseqs;
    lostRanges.push([from, state.uidNext - 1]);
    report.problems.push(
      `unreadable log records after transaction ${logProves}: UIDNEXT moved forward by ${bound.uids} and HIGHESTMODSEQ by ${bound.modseqs}`,
    );
  }
  if (!state.uidValidity) provable = false;
  if (!provable) {
    const fresh = input.freshUidValidity?.() ?? Math.max(1, Math.floor(Date.now() / 1000) >>> 0);
    report.newUidValidity = fresh === state.uidValidity ? fresh + 1 : fresh;
    report.problems.push("UIDNEXT/HIGHESTMODSEQ cannot be proven from any copy: a new UIDVALIDITY is required");
  }
  report.lostUidRanges = mergeRanges(lostRanges);
  report.affectedUids = [...affected].sort((a, b) => a - b);
  report.actions.push("open read-only; repair with { salvage: true } writes what survived");
  return { state, report, plan };
}
