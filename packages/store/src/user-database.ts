import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDirectory } from "@holdfast/checksum";
import { StoreInputError, StoreReadOnlyError, UserExistsError, UserNotFoundError } from "./errors.js";
import { Mutex } from "./mutex.js";
import { canonicalUsername, userFolderName } from "./names.js";
import { DEFAULT_SCRYPT, hashPassword, type PasswordHash, type ScryptParams, verifyPassword } from "./password.js";
import { RecordFile, type RecordFile as RecordFileType, UserDatabaseFile } from "./record-file.js";

/** One user as the database stores it. */
export interface UserRecord {
  /** Canonical name (NFC, lower case). */
  name: string;
  /** Folder under <data>/users/. */
  folder: string;
  password: PasswordHash;
  createdAt: number;
}

interface UserDatabaseDocument {
  users: UserRecord[];
}

/** What list() shows. */
export interface UserInfo {
  name: string;
  folder: string;
  createdAt: number;
}

/** Hooks the store gives the database: lay out and remove a user's folder. */
export interface UserFolderHooks {
  create(user: UserRecord): Promise<void>;
  /** Called after the user left the database; must not throw for a missing folder. */
  remove(user: UserRecord): Promise<void>;
}

/**
 * The user database: <data>/users.db (+ users.db.backup), a checksummed record file.
 * Every change is serialised by one mutex and written durably before it resolves.
 */
export class UserDatabase {
  private readonly file: RecordFileType<UserDatabaseDocument>;
  private readonly mutex = new Mutex();
  private generation = 0;
  private users = new Map<string, UserRecord>();
  /** A hash to verify against when the user does not exist, so timing does not tell. */
  private dummy: PasswordHash | undefined;

  private constructor(
    readonly dataDir: string,
    private readonly hooks: UserFolderHooks,
    private readonly scryptParams: ScryptParams,
  ) {
    this.file = new RecordFile(join(dataDir, "users.db"), UserDatabaseFile);
  }

  static async open(
    dataDir: string,
    hooks: UserFolderHooks,
    scryptParams = DEFAULT_SCRYPT,
    readOnly = false,
  ): Promise<UserDatabase> {
    const db = new UserDatabase(dataDir, hooks, scryptParams);
    db.readOnly = readOnly;
    const read = await db.file.read();
    if (read) {
      db.generation = read.generation;
      for (const u of read.value.users) db.users.set(u.name, u);
    }
    return db;
  }

  get path(): string {
    return this.file.path;
  }

  private readOnly = false;

  private checkWritable(): void {
    if (this.readOnly) throw new StoreReadOnlyError("the store was opened read-only: users cannot be changed");
  }

  private async save(): Promise<void> {
    this.generation++;
    await this.file.write({ users: [...this.users.values()] }, this.generation);
  }

  list(): UserInfo[] {
    return [...this.users.values()]
      .map((u) => ({ name: u.name, folder: u.folder, createdAt: u.createdAt }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The record of a user (by any spelling of the name), or undefined. */
  get(name: string): UserRecord | undefined {
    return this.users.get(canonicalUsername(name));
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Add a user: lays out its folder (default mailboxes) first, then records it durably. */
  add(name: string, password: string): Promise<UserInfo> {
    return this.mutex.run(async () => {
      this.checkWritable();
      const canonical = canonicalUsername(name);
      if (this.users.has(canonical)) throw new UserExistsError(`user ${JSON.stringify(canonical)} exists already`);
      const record: UserRecord = {
        name: canonical,
        folder: userFolderName(canonical),
        password: await hashPassword(password, this.scryptParams),
        createdAt: Date.now(),
      };
      await this.hooks.create(record);
      this.users.set(canonical, record);
      try {
        await this.save();
      } catch (error) {
        this.users.delete(canonical);
        throw error;
      }
      return { name: record.name, folder: record.folder, createdAt: record.createdAt };
    });
  }

  /** Remove a user and (after the database no longer names it) its folder. */
  remove(name: string): Promise<void> {
    return this.mutex.run(async () => {
      this.checkWritable();
      const canonical = canonicalUsername(name);
      const record = this.users.get(canonical);
      if (!record) throw new UserNotFoundError(`no user ${JSON.stringify(canonical)}`);
      this.users.delete(canonical);
      try {
        await this.save();
      } catch (error) {
        this.users.set(canonical, record);
        throw error;
      }
      await this.hooks.remove(record);
    });
  }

  passwd(name: string, password: string): Promise<void> {
    return this.mutex.run(async () => {
      this.checkWritable();
      const canonical = canonicalUsername(name);
      const record = this.users.get(canonical);
      if (!record) throw new UserNotFoundError(`no user ${JSON.stringify(canonical)}`);
      const updated = { ...record, password: await hashPassword(password, this.scryptParams) };
      this.users.set(canonical, updated);
      try {
        await this.save();
      } catch (error) {
        this.users.set(canonical, record);
        throw error;
      }
    });
  }

  /**
   * True when the user exists and the password matches. Unknown users and bad names cost
   * the same scrypt work as a wrong password, and never throw.
   */
  async authenticate(name: string, password: string): Promise<boolean> {
    let record: UserRecord | undefined;
    try {
      record = this.get(name);
    } catch (error) {
      if (!(error instanceof StoreInputError)) throw error;
    }
    if (!record) {
      this.dummy ??= await hashPassword("holdfast-dummy-password", this.scryptParams);
      await verifyPassword(typeof password === "string" ? password : "", this.dummy);
      return false;
    }
    return verifyPassword(password, record.password);
  }

  /** Both copies of the database file, for verify. */
  inspect() {
    return this.file.inspect();
  }

  /** Rewrite both copies from the newest intact one (repair). */
  rewrite(): Promise<void> {
    return this.mutex.run(async () => {
      this.checkWritable();
      await this.save();
    });
  }
}

/** Remove a folder tree by first renaming it out of the way (so a crash never leaves half a user visible). */
export async function removeTree(dir: string, parent: string, trash: string): Promise<void> {
  await mkdir(trash, { recursive: true });
  const target = join(trash, `${Date.now()}-${Math.random().toString(36).slice(2)}`);
  try {
    await rename(dir, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  await fsyncDirectory(parent);
  await rm(target, { recursive: true, force: true });
}
