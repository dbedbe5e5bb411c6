/**
 * One scrub pass over a data folder. Reads everything without the store's lock, so it runs
 * beside holdfast-proxy: index folders are read with @holdfast/index's `verify` (read only);
 * a mailbox that fails while its index lock is held by a live process is being written and is
 * retried at the end of the pass (then reported as busy, never as damaged).
 *
 * Repair (`repair: true`) takes locks only for the moment it writes:
 *   - an index folder: @holdfast/index `repair` under that mailbox's lock (lossless only;
 *     a mailbox the proxy has open stays locked and is reported "busy, not repaired");
 *   - a mailbox list or user database copy: rewritten from the intact copy under the data
 *     folder's lock, so only while holdfast-proxy is stopped (otherwise reported);
 *   - a structure cache entry: deleted (the store re-parses the blob on next use), and
 *     re-parsed at once through the store when the data folder is free.
 * It never writes, moves or deletes a blob and never changes flags.
 */
import { access, readFile, stat, unlink } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { initChecksum } from "@holdfast/checksum";
import { type IndexFs, nodeFs, type VerifyReport, verify } from "@holdfast/index";
import {
  type CopyState,
  checkStructureEntry,
  decodeRecordFile,
  MailboxListFile,
  type RecordFileKind,
  UserDatabaseFile,
  WRITER_MARKER,
} from "@holdfast/store";
import { CHUNK, checkBlob } from "./blob-check.js";
import { type Checkpoint, readCheckpoint, writeCheckpoint } from "./checkpoint.js";
import { contentHashes, locateGuid, userContentHashes } from "./locate.js";
import { lockHolder } from "./locks.js";
import { DEFAULT_LIMITS, type ScrubOptions } from "./options.js";
import { RateLimiter, sleep } from "./rate-limiter.js";
import { rebuildCacheEntries, repairIndexFolder, repairRecordCopy } from "./repairs.js";
import {
  type Damage,
  type FileKind,
  type MailboxSummary,
  newReport,
  type ScrubReport,
  type UserSummary,
} from "./report.js";
import { listUnits, type Unit, userOfFolder } from "./units.js";

interface Pending {
  unit: Unit;
  tries: number;
}

export class Scrubber {
  private readonly limiter: RateLimiter;
  private report!: ScrubReport;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private lastCheckpoint = 0;
  private lastKey = "";
  /** Mailbox ids → names per user folder (read from the list when first needed). */
  private readonly names = new Map<string, Map<number, string>>();
  /** Cache entries deleted by repair, to re-parse at the end: folder → guids. */
  private readonly cacheToRebuild = new Map<string, string[]>();

  constructor(
    readonly dataDir: string,
    readonly options: ScrubOptions = {},
  ) {
    this.limiter = new RateLimiter(options.limits ?? DEFAULT_LIMITS);
  }

  /** Run one pass (continuing an unfinished one from the checkpoint) and return its report. */
  async run(): Promise<ScrubReport> {
    await initChecksum();
    try {
      if (!(await stat(this.dataDir)).isDirectory()) throw new Error("not a folder");
    } catch (error) {
      throw new Error(
        `data folder ${this.dataDir} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    const started = performance.now();
    const cp = this.options.checkpointPath ? await readCheckpoint(this.options.checkpointPath) : undefined;
    let pending: Pending[] = [];
    if (cp && !cp.complete && cp.report.dataDir === this.dataDir && cp.report.repair === !!this.options.repair) {
      this.report = cp.report;
      this.report.resumed = true;
      this.report.filesRead = 0;
      this.report.bytesRead = 0;
      this.lastKey = cp.lastKey;
      pending = (cp.pending ?? []).map((unit) => ({ unit, tries: 0 }));
    } else {
      this.report = newReport(this.dataDir, !!this.options.repair);
    }
    const spread = this.options.spreadOverMs;
    const units = await listUnits(this.dataDir, this.options.onProgress !== undefined || spread !== undefined);
    this.report.units = units.length;
    const bytesTotal = units.reduce((s, u) => s + u.size, 0);
    if (spread !== undefined && spread > 0) {
      const left = units.filter((u) => u.key > this.lastKey).reduce((s, u) => s + u.size, 0);
      const cap = this.limiter.limits.bytesPerSecond;
      const even = Math.max(1_000_000, left / (spread / 1000));
      this.limiter.setBytesPerSecond(cap > 0 ? Math.min(cap, even) : even);
    }
    let bytesDone = 0;
    let unitsDone = 0;
    let skipped = 0;
    for (const unit of units) {
      if (this.options.signal?.aborted) break;
      unitsDone++;
      if (unit.key <= this.lastKey) {
        skipped++;
        bytesDone += unit.size;
        continue;
      }
      if (this.options.gate) await this.options.gate();
      try {
        const busy = await this.checkUnit(unit);
        if (busy) pending.push({ unit, tries: 0 });
      } catch (error) {
        this.report.errors.push(`${this.rel(unit.path)}: ${(error as Error).message}`);
      }
      bytesDone += unit.size;
      this.lastKey = unit.key;
      await this.maybeCheckpoint(false, pending);
      this.options.onProgress?.({
        report: this.report,
        unitsDone,
        units: units.length,
        bytesDone,
        bytesTotal,
        elapsedMs: performance.now() - started,
      });
    }
    this.report.unitsSkipped += skipped;
    if (this.options.signal?.aborted) {
      await this.maybeCheckpoint(true, pending);
      return this.report;
    }
    await this.retryBusy(pending);
    if (this.options.repair) await this.rebuildCaches();
    this.report.complete = true;
    this.report.finishedAt = new Date().toISOString();
    this.report.durationMs = Date.parse(this.report.finishedAt) - Date.parse(this.report.startedAt);
    await this.finishCheckpoint();
    return this.report;
  }

  private rel(path: string): string {
    return relative(this.dataDir, path);
  }

  private async maybeCheckpoint(force: boolean, pending: Pending[]): Promise<void> {
    const path = this.options.checkpointPath;
    if (!path) return;
    const now = performance.now();
    if (!force && now - this.lastCheckpoint < (this.options.checkpointIntervalMs ?? 1000)) return;
    this.lastCheckpoint = now;
    const previous = await readCheckpoint(path);
    const cp: Checkpoint = {
      version: 1,
      complete: false,
      lastKey: this.lastKey,
      report: this.report,
      pending: pending.map((p) => p.unit),
      lastPassStart: previous?.lastPassStart,
      lastPassEnd: previous?.lastPassEnd,
    };
    await writeCheckpoint(path, cp);
  }

  private async finishCheckpoint(): Promise<void> {
    const path = this.options.checkpointPath;
    if (!path) return;
    await writeCheckpoint(path, {
      version: 1,
      complete: true,
      lastKey: "",
      report: this.report,
      pending: [],
      lastPassStart: Date.parse(this.report.startedAt),
      lastPassEnd: Date.parse(this.report.finishedAt ?? new Date().toISOString()),
    });
  }

  private userSummary(folder: string): UserSummary {
    let u = this.report.users.find((x) => x.folder === folder);
    if (!u) {
      u = {
        user: userOfFolder(folder),
        folder,
        files: 0,
        bytes: 0,
        mailboxes: [],
        damaged: 0,
        repaired: 0,
        unrepairable: 0,
      };
      this.report.users.push(u);
    }
    return u;
  }

  private async mailboxName(folder: string, id: number): Promise<string | undefined> {
    let map = this.names.get(folder);
    if (!map) {
      map = new Map();
      this.names.set(folder, map);
      const path = join(this.dataDir, "users", folder, "mailboxes.list");
      for (const p of [path, `${path}.backup`]) {
        try {
          const c = decodeRecordFile(MailboxListFile, await readFile(p));
          if (c.kind !== "ok") continue;
          const doc = c.value as { mailboxes?: { name: string; id: number | null }[] };
          for (const m of doc.mailboxes ?? []) if (typeof m.id === "number") map.set(m.id, m.name);
          break;
        } catch {
          // the list's own unit reports it
        }
      }
    }
    return map.get(id);
  }

  /** Count what was read (whole pass and this run), per user and mailbox. */
  private count(unit: Unit, files: number, bytes: number): void {
    this.report.files += files;
    this.report.bytes += bytes;
    this.report.filesRead += files;
    this.report.bytesRead += bytes;
    if (!unit.folder) return;
    const u = this.userSummary(unit.folder);
    u.files += files;
    u.bytes += bytes;
  }

  private addDamage(d: Damage, folder: string | undefined): void {
    this.report.damage.push(d);
    if (!folder) return;
    const u = this.userSummary(folder);
    const m = d.mailboxId === undefined ? undefined : this.mailboxSummary(u, d.mailboxId, d.mailbox);
    for (const s of m ? [u, m] : [u]) {
      s.damaged++;
      if (d.repaired) s.repaired++;
      if (!d.repairable) s.unrepairable++;
    }
  }

  private mailboxSummary(u: UserSummary, id: number, name: string | undefined): MailboxSummary {
    let m = u.mailboxes.find((x) => x.id === id);
    if (!m) {
      m = { id, name, files: 0, bytes: 0, damaged: 0, repaired: 0, unrepairable: 0 };
      u.mailboxes.push(m);
    }
    return m;
  }

  /** Check one unit; returns true when it must be retried later (being written). */
  private async checkUnit(unit: Unit): Promise<boolean> {
    switch (unit.kind) {
      case "user-db":
        await this.checkRecordCopies(unit, UserDatabaseFile, "user-db", "user-db-backup");
        return false;
      case "mailbox-list":
        await this.checkRecordCopies(unit, MailboxListFile, "mailbox-list", "mailbox-list-backup");
        return false;
      case "mailbox":
        return this.checkMailbox(unit, false);
      case "cache":
        await this.checkCache(unit);
        return false;
      case "blob":
        await this.checkBlobUnit(unit);
        return false;
    }
  }

  private async readCounted(unit: Unit, path: string): Promise<Buffer | undefined> {
    await this.limiter.takeFile();
    let size = 0;
    try {
      size = (await stat(path)).size;
    } catch {
      return undefined;
    }
    await this.limiter.takeBytes(size);
    try {
      const data = await readFile(path);
      this.count(unit, 1, data.byteLength);
      return data;
    } catch {
      return undefined;
    }
  }

  private async checkRecordCopies(
    unit: Unit,
    kind: RecordFileKind,
    primaryKind: FileKind,
    backupKind: FileKind,
  ): Promise<void> {
    const primaryPath = unit.path;
    const backupPath = `${unit.path}.backup`;
    const primary = await this.readCounted(unit, primaryPath);
    const backup = await this.readCounted(unit, backupPath);
    if (!primary && !backup && unit.kind === "user-db") return; // a data folder with no users yet
    // The store's own decoder (frame checksum, type, magic, version, JSON): the scrubber
    // judges a copy exactly as the store's read does.
    const checks: [string, FileKind, CopyState][] = [
      [primaryPath, primaryKind, primary ? decodeRecordFile(kind, primary) : { kind: "missing" }],
      [backupPath, backupKind, backup ? decodeRecordFile(kind, backup) : { kind: "missing" }],
    ];
    const [p, b] = [checks[0]![2], checks[1]![2]];
    const good = p.kind === "ok" && (b.kind !== "ok" || p.generation >= b.generation) ? 0 : b.kind === "ok" ? 1 : -1;
    const storeLocked = (await lockHolder(join(this.dataDir, "lock"))) !== undefined;
    for (let i = 0; i < 2; i++) {
      const [path, fileKind, c] = checks[i]!;
      let detail: string | undefined;
      if (c.kind === "missing") detail = "file is missing";
      else if (c.kind === "damaged") detail = `checksum or format: ${c.reason}`;
      else if (good !== i && good >= 0 && !storeLocked) {
        // Different generations are normal for a moment while the store writes; with the
        // store stopped they mean a write was interrupted: the older copy is stale.
        const other = checks[good]![2] as { generation: number };
        if (other.generation !== c.generation)
          detail = `stale copy: generation ${c.generation}, the other copy has ${other.generation}`;
      }
      if (!detail) continue;
      const d: Damage = {
        kind: fileKind,
        path: this.rel(path),
        detail,
        repairable: good >= 0 && good !== i,
        repaired: false,
      };
      if (unit.folder) d.user = userOfFolder(unit.folder);
      if (this.options.repair && d.repairable) {
        const goodBytes = good === 0 ? primary! : backup!;
        const r = await repairRecordCopy(this.dataDir, path, goodBytes);
        d.repaired = r.ok;
        d.action = r.action;
      }
      this.addDamage(d, unit.folder);
    }
  }

  private async checkMailbox(unit: Unit, finalTry: boolean): Promise<boolean> {
    const folder = unit.path;
    await this.limiter.takeFile();
    await this.limiter.takeBytes(unit.size);
    let files = 0;
    let bytes = 0;
    const seen: Record<string, Uint8Array> = {};
    const counting: IndexFs = {
      ...nodeFs,
      readFile: async (p: string) => {
        const data = await nodeFs.readFile(p);
        if (data) {
          files++;
          bytes += data.byteLength;
          seen[basename(p)] = data;
        }
        return data;
      },
    };
    let v: VerifyReport;
    try {
      v = await verify(folder, { fs: counting });
    } finally {
      this.count(unit, files, bytes);
    }
    const u = this.userSummary(unit.folder!);
    const m = this.mailboxSummary(u, unit.mailboxId!, await this.mailboxName(unit.folder!, unit.mailboxId!));
    m.files += files;
    m.bytes += bytes;
    if (v.ok) {
      delete m.busy;
      // what each blob must hash to, from the index (checked when the blobs come)
      try {
        contentHashes(
          { snapshot: seen.index, backup: seen["index.backup"], log: seen.log },
          this.hashesOf(unit.folder!),
        );
      } catch {
        // verify said ok; nothing to add if the state cannot be rebuilt
      }
      return false;
    }
    const holder = await lockHolder(join(folder, "lock"));
    if (holder !== undefined && holder !== process.pid) {
      if (!finalTry) return true;
      m.busy = true;
      this.report.busy.push(this.rel(folder));
      return false;
    }
    delete m.busy;
    const damages = this.indexDamages(unit, v, m.name);
    if (this.options.repair && damages.some((d) => d.repairable)) {
      const r = await repairIndexFolder(folder);
      for (const d of damages) {
        if (!d.repairable) continue;
        d.repaired = r.ok;
        d.action = r.action;
      }
    }
    for (const d of damages) this.addDamage(d, unit.folder);
    return false;
  }

  /** Turn an index verify report into one damage entry per damaged file. */
  private indexDamages(unit: Unit, v: VerifyReport, name: string | undefined): Damage[] {
    const base = {
      user: userOfFolder(unit.folder!),
      mailbox: name,
      mailboxId: unit.mailboxId,
      repairable: v.lossless,
      repaired: false,
    };
    const out: Damage[] = [];
    const at = (f: string) => this.rel(join(unit.path, f));
    if (v.snapshot.present && !v.snapshot.ok)
      out.push({
        ...base,
        kind: "index",
        path: at("index"),
        detail: `${v.snapshot.reason ?? "damaged"}; blocks ${v.snapshot.damagedBlocks.join(",")}`,
      });
    if (v.backup.present && !v.backup.ok)
      out.push({
        ...base,
        kind: "index-backup",
        path: at("index.backup"),
        detail: `${v.backup.reason ?? "damaged"}; blocks ${v.backup.damagedBlocks.join(",")}`,
      });
    const log = v.log;
    if (log.present && (!log.headerOk || log.damage.length > 0 || log.tail.kind === "corrupt-tail")) {
      const where = log.damage.map((d) => `offset ${d.offset}: ${d.reason}`);
      if (!log.headerOk) where.unshift("header damaged");
      if (log.tail.kind === "corrupt-tail") where.push(`corrupt tail at offset ${log.tail.offset}: ${log.tail.reason}`);
      out.push({ ...base, kind: "log", path: at("log"), detail: where.join("; ") });
    }
    if (out.length === 0) {
      const what = [...v.problems, ...v.differences];
      out.push({
        ...base,
        kind: "index",
        path: at(v.snapshot.present ? "index" : ""),
        detail: what.join("; ") || "index files inconsistent",
      });
    }
    return out;
  }

  private async retryBusy(pending: Pending[]): Promise<void> {
    const retries = this.options.busyRetries ?? 3;
    const delay = this.options.busyRetryDelayMs ?? 2000;
    for (let round = 0; round <= retries && pending.length > 0; round++) {
      if (round > 0) await sleep(delay);
      const next: Pending[] = [];
      for (const p of pending) {
        if (await this.checkMailbox(p.unit, round === retries)) next.push(p);
      }
      pending = next;
    }
  }

  private async checkCache(unit: Unit): Promise<void> {
    const data = await this.readCounted(unit, unit.path);
    if (!data) return; // removed meanwhile (reclaim): nothing to check
    // The store's own check (frame, type, version, JSON with bodystructure and envelope): an
    // entry the scrubber passes is one the store will use.
    const c = checkStructureEntry(data);
    if (c.kind === "ok") return;
    const refs = await locateGuid(join(this.dataDir, "users", unit.folder!), unit.guid!);
    const d: Damage = {
      kind: "structure-cache",
      path: this.rel(unit.path),
      user: userOfFolder(unit.folder!),
      detail: c.reason,
      repairable: true,
      repaired: false,
    };
    await this.describeRefs(d, unit.folder!, refs);
    if (this.options.repair) {
      try {
        await unlink(unit.path);
        d.repaired = true;
        d.action = "deleted the entry; the store re-parses the blob on next use";
        const list = this.cacheToRebuild.get(unit.folder!) ?? [];
        list.push(unit.guid!);
        this.cacheToRebuild.set(unit.folder!, list);
      } catch (error) {
        d.action = `could not delete: ${(error as Error).message}`;
      }
    }
    this.addDamage(d, unit.folder);
  }

  private async describeRefs(d: Damage, folder: string, refs: { mailboxId: number; uids: number[] }[]): Promise<void> {
    const first = refs[0];
    if (!first) return;
    d.mailboxId = first.mailboxId;
    d.mailbox = await this.mailboxName(folder, first.mailboxId);
    d.uids = first.uids;
    if (refs.length > 1) {
      const others = await Promise.all(
        refs
          .slice(1)
          .map(async (r) => `${(await this.mailboxName(folder, r.mailboxId)) ?? r.mailboxId} UID ${r.uids.join(",")}`),
      );
      d.detail += `; also in ${others.join("; ")}`;
    }
  }

  /** Expected content hashes of the current user's blobs (units come one user at a time). */
  private hashes: { folder: string; map: Map<string, bigint>; complete: boolean } | undefined;

  private hashesOf(folder: string): Map<string, bigint> {
    if (this.hashes?.folder !== folder) this.hashes = { folder, map: new Map(), complete: false };
    return this.hashes.map;
  }

  private async expectedHash(folder: string, guid: string): Promise<bigint | undefined> {
    const known = this.hashes?.folder === folder ? this.hashes.map.get(guid) : undefined;
    if (known !== undefined) return known;
    // Not seen this run (resumed past the mailboxes, or a mailbox in repair): read the
    // user's index files once more, without counting them as checked.
    if (this.hashes?.folder !== folder || !this.hashes.complete) {
      const map = await userContentHashes(join(this.dataDir, "users", folder));
      this.hashes = { folder, map, complete: true };
    }
    return this.hashes.map.get(guid);
  }

  private async checkBlobUnit(unit: Unit): Promise<void> {
    await this.limiter.takeFile();
    let result: Awaited<ReturnType<typeof checkBlob>>;
    try {
      result = await checkBlob(unit.path, unit.guid!, this.limiter, this.buf);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // expunged and deleted meanwhile
      throw error;
    }
    this.count(unit, 1, result.bytes);
    if (result.ok) {
      const expected = await this.expectedHash(unit.folder!, unit.guid!);
      // a blob no index refers to (leaked, or appended after its mailbox was checked) has
      // nothing to compare with; the store's reclaim deals with leaks
      if (expected === undefined || expected === result.contentHash) return;
      result = { ok: false, bytes: result.bytes, reason: "content hash differs from the one the mailbox index stores" };
    }
    const d: Damage = {
      kind: "blob",
      path: this.rel(unit.path),
      user: userOfFolder(unit.folder!),
      detail: result.reason + (await this.uncleanNote(unit.folder!)),
      repairable: false,
      repaired: false,
      action: this.options.repair ? "blobs are never rewritten: restore the message from a backup" : undefined,
    };
    await this.describeRefs(d, unit.folder!, await locateGuid(join(this.dataDir, "users", unit.folder!), unit.guid!));
    this.addDamage(d, unit.folder);
  }

  /**
   * The store leaves `<user>/writer.open` while a writer has the user open and removes it on
   * a clean close. Found with no live holder of the data folder's lock, it means the last
   * writer crashed and no writable open has run the store's unclean-shutdown check yet: a
   * torn blob may then be an append that was never acknowledged, which that check withdraws.
   * The damage is still reported (the scrubber cannot tell the two apart without writing);
   * the note says what the operator should do first.
   */
  private async uncleanNote(folder: string): Promise<string> {
    const marker = join(this.dataDir, "users", folder, WRITER_MARKER);
    const present = await access(marker).then(
      () => true,
      () => false,
    );
    if (!present || (await lockHolder(join(this.dataDir, "lock"))) !== undefined) return "";
    return `; the store was not closed cleanly (${WRITER_MARKER}): if this was an append never acknowledged, the next writable open of the store withdraws it (start holdfast-proxy or run any holdfast write command, then scrub again)`;
  }

  private async rebuildCaches(): Promise<void> {
    if (this.cacheToRebuild.size === 0) return;
    const note = await rebuildCacheEntries(this.dataDir, this.cacheToRebuild);
    for (const d of this.report.damage) {
      if (d.kind === "structure-cache" && d.repaired) d.action = `${d.action}; ${note}`;
    }
  }
}

/** Run one pass; see `Scrubber`. */
export function scrub(dataDir: string, options: ScrubOptions = {}): Promise<ScrubReport> {
  return new Scrubber(dataDir, options).run();
}
