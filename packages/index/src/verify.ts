import { join } from "node:path";
import { initChecksum } from "@holdfast/checksum";
import { compareStates } from "./compare.js";
import { FileName } from "./format.js";
import { errorCode, type IndexFile, type IndexFs, nodeFs } from "./fs.js";
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
  // verify takes no lock (it must work beside a live writer), so a checkpoint can rotate
  // the files between its reads. Every file's identity (the first bytes of its header, which
  // hold its sequence and creation time) is read before and after: if any changed, the
  // files were read across a rotation and are read again. A problem that a rotation's
  // window could explain (a snapshot or backup missing, backup + log not reproducing the
  // snapshot) is confirmed by a second stable read before it is reported.
  let report: VerifyReport | undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    const before = await identity(fs, folder);
    const current = await verifyOnce(fs, folder);
    const after = await identity(fs, folder);
    if (before !== after) continue;
    const transientLooking =
      !current.snapshot.present || !current.backup.present || current.backupReproducesSnapshot === false;
    if (current.ok || !transientLooking || report !== undefined) return current;
    report = current;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (report) return report;
  const last = await verifyOnce(fs, folder);
  last.problems.push("the files kept changing while verify read them (checkpoints running): result may be transient");
  return last;
}

/** The first bytes of each file (or "-" when missing): changes whenever a checkpoint replaces one. */
async function identity(fs: IndexFs, folder: string): Promise<string> {
  const parts: string[] = [];
  for (const name of [FileName.snapshot, FileName.backup, FileName.log]) {
    let file: IndexFile;
    try {
      file = await fs.open(join(folder, name), "read");
    } catch (error) {
      if (errorCode(error) === "ENOENT") {
        parts.push("-");
        continue;
      }
      throw error;
    }
    try {
      const head = new Uint8Array(128);
      const n = await file.read(head, head.byteLength, 0);
      parts.push(Buffer.from(head.subarray(0, n)).toString("hex"));
    } finally {
      await file.close();
    }
  }
  return parts.join("/");
}

async function verifyOnce(fs: IndexFs, folder: string): Promise<VerifyReport> {
  const [log, snapshot, backup] = [
    await fs.readFile(join(folder, FileName.log)),
    await fs.readFile(join(folder, FileName.snapshot)),
    await fs.readFile(join(folder, FileName.backup)),
  ];
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
