import { join } from "node:path";
import { initChecksum } from "@holdfast/checksum";
import { compareStates } from "./compare.js";
import { FileName } from "./format.js";
import { type IndexFs, nodeFs } from "./fs.js";
import { MailboxLock } from "./lock.js";
import { scanLog } from "./log-scan.js";
import { MailboxIndex } from "./mailbox-index.js";
import { buildLog, type RecoveryReport, recover } from "./recovery.js";
import { encodeSnapshot, readSnapshot } from "./snapshot.js";

export interface VerifyReport extends RecoveryReport {
  /** Every file intact and consistent. */
  ok: boolean;
  /** The digest recomputed from every message equals the stored one. */
  digestOk: boolean;
  /** Backup + log replay reproduces the snapshot (undefined when there is no backup to check). */
  backupReproducesSnapshot: boolean | undefined;
  differences: string[];
}

export interface VerifyOptions {
  fs?: IndexFs;
}

/**
 * Check a mailbox folder without changing anything: every block and record checksum,
 * the log's structure, the digest, and that backup + log reproduce the snapshot.
 */
export async function verify(folder: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  await initChecksum();
  const fs = options.fs ?? nodeFs;
  const [snapshot, backup, log] = await Promise.all([
    fs.readFile(join(folder, FileName.snapshot)),
    fs.readFile(join(folder, FileName.backup)),
    fs.readFile(join(folder, FileName.log)),
  ]);
  const { state, report } = recover({ snapshot, backup, log });
  const differences: string[] = [];
  const digestOk = state.computeDigest() === state.digest;
  if (!digestOk) differences.push("recomputed digest differs from the stored one");
  let backupReproducesSnapshot: boolean | undefined;
  if (report.snapshot.ok && report.backup.ok && snapshot && backup) {
    const p = readSnapshot(snapshot);
    const b = readSnapshot(backup);
    if (p.kind === "ok" && b.kind === "ok") {
      const rebuilt = b.state;
      let diff: string[];
      try {
        for (const t of scanLog(log).txns) {
          if (t.seq > rebuilt.seq && t.seq <= p.header.seq) rebuilt.apply(t);
        }
        diff = compareStates(rebuilt, p.state);
      } catch (error) {
        diff = [`replay failed: ${(error as Error).message}`];
      }
      backupReproducesSnapshot = diff.length === 0;
      for (const d of diff) differences.push(`backup + log vs snapshot: ${d}`);
    }
  }
  // A torn tail (crash leftovers, truncated on the next open) does not make a mailbox
  // unhealthy; an unreadable tail, damage, or any inconsistency does.
  const ok =
    report.clean &&
    report.lossless &&
    digestOk &&
    backupReproducesSnapshot !== false &&
    report.log.tail.kind !== "corrupt-tail";
  return {
    ...report,
    ok,
    digestOk,
    backupReproducesSnapshot,
    differences,
  };
}

export interface RepairOptions {
  fs?: IndexFs;
  /**
   * When damage no copy covers: write what survived as a fresh, consistent index (the lost
   * messages are dropped and listed in the report; a new UIDVALIDITY is used when UIDNEXT or
   * HIGHESTMODSEQ cannot be proven). Default false: report only.
   */
  salvage?: boolean;
}

export interface RepairReport {
  /** What open found and did (repairs that a redundant copy covers). */
  recovery: RecoveryReport;
  /** The index is now consistent and writable. */
  repaired: boolean;
  /** Salvage wrote a lossy index. */
  salvaged: boolean;
  after: VerifyReport;
}

/** Repair a mailbox folder (takes the lock): lossless from redundant copies, else salvage if asked. */
export async function repair(folder: string, options: RepairOptions = {}): Promise<RepairReport> {
  const fs = options.fs ?? nodeFs;
  const index = await MailboxIndex.open(folder, { fs, checkBackup: true });
  const recovery = index.recovery;
  let salvaged = false;
  if (index.readOnly && options.salvage) {
    const state = index.state;
    await index.close();
    if (recovery.newUidValidity !== undefined) state.uidValidity = recovery.newUidValidity;
    state.digest = state.computeDigest();
    const lock = await MailboxLock.acquire(fs, folder);
    try {
      const bytes = encodeSnapshot(state);
      for (const [name, data] of [
        [FileName.backup, bytes],
        [FileName.snapshot, bytes],
        [FileName.log, buildLog(state.uidValidity, state.seq, [])],
      ] as const) {
        const temp = join(folder, `${name}.tmp`);
        const file = await fs.open(temp, "replace");
        await file.write(data, 0);
        await file.sync();
        await file.close();
        await fs.rename(temp, join(folder, name));
        await fs.fsyncDir(folder);
      }
      salvaged = true;
    } finally {
      await lock.release();
    }
  } else {
    await index.close();
  }
  const after = await verify(folder, { fs });
  return { recovery, repaired: after.ok, salvaged, after };
}
