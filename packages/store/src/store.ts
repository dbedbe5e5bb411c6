import { rm } from "node:fs/promises";
import { join } from "node:path";
import { initChecksum } from "@holdfast/checksum";
import { IndexLockedError, MailboxLock, nodeFs } from "@holdfast/index";
import { StoreClosedError, StoreLockedError, StoreReadOnlyError, UserNotFoundError } from "./errors.js";
import {
  type ReclaimReport,
  reclaimUser,
  repairUser,
  type UserRepairReport,
  type UserVerifyReport,
  verifyUser,
} from "./maintenance.js";
import { Mutex } from "./mutex.js";
import { DEFAULT_SCRYPT, type ScryptParams } from "./password.js";
import { ensureDurableDir, nodeStoreFs, type StoreFs } from "./store-fs.js";
import { removeTree, UserDatabase } from "./user-database.js";
import { UserStore, type UserStoreSettings } from "./user-store.js";

export interface StoreOptions {
  /**
   * fsync every blob, folder and index commit before acknowledging (default true). false is
   * UNSAFE (a crash loses acknowledged mail): for tests and benchmarks only.
   */
  fsync?: boolean;
  /** Largest message APPEND accepts, in bytes (default 64 MiB). */
  maxMessageSize?: number;
  /** scrypt cost for new password hashes (default N=16384, r=8, p=1). */
  scrypt?: ScryptParams;
  /**
   * The sync layer for blobs and folders (default node:fs): every fdatasync of a blob and
   * fsync of a folder goes through it. For tests that record, delay or fail syncs.
   */
  fs?: StoreFs;
  /**
   * Open for reading only (admin tools, the scrubber while the daemon runs): no writer lock,
   * nothing created or written — no unclean-shutdown check, indexes opened read-only,
   * structures computed but not cached on disk. Every change throws StoreReadOnlyError;
   * `verify` works (without the leaked-blob scan, which needs writable indexes).
   */
  readOnly?: boolean;
}

export interface StoreVerifyReport {
  ok: boolean;
  users: UserVerifyReport[];
  /** Problems with the user database itself. */
  problems: string[];
}

export interface StoreRepairReport {
  users: UserRepairReport[];
  actions: string[];
}

/**
 * The local mail store rooted at a data folder:
 *
 *   <data>/lock                 one process at a time (pid + start time, stale locks taken over)
 *   <data>/users.db(.backup)    the user database
 *   <data>/users/<folder>/      one folder a user (see UserStore and docs/store-layout.md)
 *
 * Open once per process; `mailboxes(user)` gives the user's mailboxes (the same object for
 * every caller, so sessions of one user share indexes and change feeds).
 */
export class Store {
  private readonly open = new Map<string, Promise<UserStore>>();
  private readonly maintenance = new Mutex();
  private closed = false;

  private constructor(
    readonly dataDir: string,
    readonly users: UserDatabase,
    private readonly lock: MailboxLock | undefined,
    private readonly settings: UserStoreSettings,
  ) {}

  static async open(dataDir: string, options: StoreOptions = {}): Promise<Store> {
    await initChecksum();
    const fs = options.fs ?? nodeStoreFs;
    const fsync = options.fsync !== false;
    const readOnly = options.readOnly === true;
    let lock: MailboxLock | undefined;
    if (!readOnly) {
      await ensureDurableDir(fs, join(dataDir, "users"), join(dataDir, "users"), fsync);
      try {
        lock = await MailboxLock.acquire(nodeFs, dataDir);
      } catch (error) {
        if (error instanceof IndexLockedError)
          throw new StoreLockedError(`data folder ${dataDir} is in use: ${error.message}`, { cause: error });
        throw error;
      }
    }
    try {
      if (!readOnly) await rm(join(dataDir, "trash"), { recursive: true, force: true });
      const settings: UserStoreSettings = {
        fsync,
        maxMessageSize: options.maxMessageSize ?? 64 * 1024 * 1024,
        fs,
        readOnly,
      };
      let store: Store | undefined;
      const users = await UserDatabase.open(
        dataDir,
        {
          create: (user) => UserStore.create(join(dataDir, "users", user.folder), settings),
          remove: async (user) => {
            const opened = store?.open.get(user.name);
            store?.open.delete(user.name);
            if (opened) await (await opened.catch(() => undefined))?.close();
            await removeTree(join(dataDir, "users", user.folder), join(dataDir, "users"), join(dataDir, "trash"));
          },
        },
        options.scrypt ?? DEFAULT_SCRYPT,
        readOnly,
      );
      store = new Store(dataDir, users, lock, settings);
      return store;
    } catch (error) {
      await lock?.release().catch(() => lock?.abandon());
      throw error;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError("store is closed");
  }

  /** Opened with `readOnly: true`. */
  get readOnly(): boolean {
    return this.settings.readOnly === true;
  }

  private checkWritable(): void {
    if (this.readOnly) throw new StoreReadOnlyError(`data folder ${this.dataDir} was opened read-only`);
  }

  userDir(folder: string): string {
    return join(this.dataDir, "users", folder);
  }

  /** The mailboxes of a user (opened once, shared by every caller). */
  async mailboxes(user: string): Promise<UserStore> {
    this.checkOpen();
    const record = this.users.get(user);
    if (!record) throw new UserNotFoundError(`no user ${JSON.stringify(user)}`);
    let pending = this.open.get(record.name);
    if (!pending) {
      pending = UserStore.open(record.name, this.userDir(record.folder), this.settings);
      this.open.set(record.name, pending);
      pending.catch(() => this.open.delete(record.name));
    }
    return pending;
  }

  private async usersFor(user: string | undefined): Promise<UserStore[]> {
    const names = user === undefined ? this.users.list().map((u) => u.name) : [user];
    const out: UserStore[] = [];
    for (const n of names) out.push(await this.mailboxes(n));
    return out;
  }

  /**
   * Check without changing anything: the user database and its backup, each user's mailbox
   * list and backup, every mailbox index (the index's verify), every blob against its hash
   * (a damaged one is reported with user, mailbox and UID), leaked blobs.
   */
  verify(user?: string): Promise<StoreVerifyReport> {
    return this.maintenance.run(async () => {
      this.checkOpen();
      const problems: string[] = [];
      const db = await this.users.inspect();
      if (db.primary.kind !== "ok" || db.backup.kind !== "ok" || db.primary.generation !== db.backup.generation)
        problems.push(`user database: primary ${describeCopy(db.primary)}, backup ${describeCopy(db.backup)}`);
      const reports: UserVerifyReport[] = [];
      for (const u of await this.usersFor(user)) reports.push(await verifyUser(u));
      return { ok: problems.length === 0 && reports.every((r) => r.ok), users: reports, problems };
    });
  }

  /**
   * Repair: rewrite store files from their intact copy, repair indexes (lossless from their
   * redundant copies, else salvage), rebuild mailboxes whose index, backup and log are all
   * gone from the blobs (reporting the flags that could not be restored), reclaim leaked blobs.
   */
  repair(user?: string): Promise<StoreRepairReport> {
    return this.maintenance.run(async () => {
      this.checkOpen();
      this.checkWritable();
      const actions: string[] = [];
      const db = await this.users.inspect();
      if (db.primary.kind !== "ok" || db.backup.kind !== "ok" || db.primary.generation !== db.backup.generation) {
        await this.users.rewrite();
        actions.push("rewrote the user database and its backup");
      }
      const reports: UserRepairReport[] = [];
      for (const u of await this.usersFor(user)) reports.push(await repairUser(u));
      return { users: reports, actions };
    });
  }

  /** Remove a user's leaked blobs (those no mailbox refers to) and stale temp files. */
  reclaim(user: string): Promise<ReclaimReport> {
    return this.maintenance.run(async () => {
      this.checkWritable();
      return reclaimUser(await this.mailboxes(user));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.maintenance.run(async () => undefined);
    const users = await Promise.allSettled([...this.open.values()]);
    this.open.clear();
    for (const u of users) if (u.status === "fulfilled") await u.value.close();
    await this.lock?.release().catch(() => this.lock?.abandon());
  }
}

function describeCopy(c: { kind: string; generation?: number; reason?: string }): string {
  return c.kind === "ok" ? `generation ${c.generation}` : c.kind === "missing" ? "missing" : `damaged (${c.reason})`;
}
