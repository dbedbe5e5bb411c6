import { access, open as openFile, readdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import {
  FileName,
  IndexNotFoundError,
  MailboxIndex,
  type MessageInfo,
  parseFlags,
  parseUidSet,
  SystemFlag,
  scanLog,
  systemFlagNames,
} from "@holdfast/index";
import { guidToHex } from "./blob-format.js";
import { BlobStore, type MessageSource } from "./blob-store.js";
import {
  BlobDamagedError,
  MailboxDamagedError,
  MailboxExistsError,
  MailboxNotFoundError,
  MailboxOperationError,
  MessageExpungedError,
  StoreClosedError,
  StoreInputError,
  StoreReadOnlyError,
  UserExistsError,
} from "./errors.js";
import { translateIndexError } from "./errors-map.js";
import { MailboxHandle } from "./mailbox-handle.js";
import { DEFAULT_MAILBOXES, type MailboxEntry, MailboxList, SPECIAL_USES, type SpecialUse } from "./mailbox-list.js";
import { reclaimUser } from "./maintenance.js";
import { Mutex } from "./mutex.js";
import { ancestorsOf, canonicalMailboxName, isSameOrBelow } from "./names.js";
import { type SearchKey, type SearchResult, searchMessages } from "./search.js";
import { MailboxSession } from "./session.js";
import { ensureDurableDir, nodeStoreFs, type StoreFs } from "./store-fs.js";
import { type MessageStructure, StructureCache } from "./structure-cache.js";
import {
  type AppendOptions,
  type AppendResult,
  type CopyResult,
  type FlagStoreMode,
  type FlagStoreResult,
  type MailboxCounters,
  type MailboxInfo,
  type MoveResult,
  toUidSetInput,
  type UidSet,
} from "./types.js";

export interface UserStoreSettings {
  fsync: boolean;
  maxMessageSize: number;
  /** The sync layer for blobs and folders (default node:fs). */
  fs?: StoreFs;
  /** Open without writing anything: no marker, no recovery check, indexes read-only. */
  readOnly?: boolean;
}

/**
 * Present in a user's folder while a process has the user's mail open for writing; removed
 * by a clean close. Found at open, it means the last writer did not close cleanly (killed,
 * crashed, power cut): appends it had not acknowledged may have left index entries whose
 * blobs are missing or torn, and every mailbox is checked before anything is served.
 */
export const WRITER_MARKER = "writer.open";

/** An index entry taken back at open because its blob failed (an append never acknowledged). */
export interface WithdrawnAppend {
  mailbox: string;
  uid: number;
  guid: string;
  reason: string;
}

/** What open did about an unclean shutdown (or an index failure) of this user's mail. */
export interface UnsettledRecoveryReport {
  /** The last writer did not close cleanly (the marker was there). */
  unclean: boolean;
  /** Index entries whose blobs were checked (the log tails of the checked mailboxes). */
  checked: number;
  /** Entries expunged because their blob is missing, torn or fails its hash (UIDs are not reused). */
  withdrawn: WithdrawnAppend[];
  /**
   * Entries whose blob was not at its final name but intact in a slot of `blobs/tmp/` (the
   * crash lost the rename, which is made durable in the background): renamed into place, kept.
   */
  restored: { mailbox: string; uid: number; guid: string }[];
  /**
   * Entries of the log tail whose blob fails but names another mailbox as its origin: a
   * copied message, whose blob was durable before the copy was committed, so this is damage,
   * not a crash. Kept (verify reports it) rather than expunged.
   */
  damaged: WithdrawnAppend[];
  /** Mailboxes that could not be checked (their index is damaged or read-only); checked at the next open. */
  unchecked: string[];
  /** Blobs no index referred to after the check, deleted (see `Store.reclaim`). */
  reclaimed: string[];
}

/**
 * One user's mail: the mailbox list, the open mailbox indexes, the blobs and the structure
 * cache. Every operation takes mailbox names (validated, mapped to ids) and UIDs, never
 * sequence numbers. Changes to the mailbox list are serialised by one mutex; message
 * operations go straight to the mailbox's index (which orders and group-commits them).
 *
 * Blob lifetime: a blob is deleted only after the expunge (or mailbox delete) that dropped
 * its last reference is durable, and only when no mailbox's index — committed or in flight
 * — refers to it and no operation has it pinned (an append or copy between reading a GUID
 * and committing it). A crash in between leaks the blob; `reclaim()` finds and removes it.
 */
export class UserStore {
  private readonly handles = new Map<number, MailboxHandle>();
  private readonly opening = new Map<number, Promise<MailboxHandle>>();
  private readonly listMutex = new Mutex();
  private readonly sweepMutex = new Mutex();
  private readonly pins = new Map<string, number>();
  private readonly sessions = new Set<MailboxSession>();
  /** Appends whose blob is not settled yet, by GUID: copies of that GUID wait for it. */
  private readonly blobSyncs = new Map<string, Promise<boolean>>();
  /** Mailbox ids whose next open must check the blobs of their log tail. */
  private readonly suspects = new Set<number>();
  /** What open found after an unclean shutdown (and later checks of failed mailboxes). */
  readonly recovery: UnsettledRecoveryReport = {
    unclean: false,
    checked: 0,
    withdrawn: [],
    restored: [],
    damaged: [],
    unchecked: [],
    reclaimed: [],
  };
  private readonly fs: StoreFs;
  readonly blobs: BlobStore;
  readonly structures: StructureCache;
  private closed = false;

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly list: MailboxList,
    readonly settings: UserStoreSettings,
  ) {
    this.fs = settings.fs ?? nodeStoreFs;
    this.blobs = new BlobStore(join(dir, "blobs"), settings.fsync, settings.maxMessageSize, this.fs);
    this.structures = new StructureCache(join(dir, "cache"), settings.readOnly !== true);
  }

  /** Lay out a new user: folders and the default mailboxes (each with its index), then the list. */
  static async create(dir: string, settings: UserStoreSettings): Promise<void> {
    // A folder left by an earlier add that crashed before the database named the user is
    // garbage — unless it holds mail (a database restored from an old backup) or an index
    // that cannot be read (it may hold mail): then refuse.
    const old = await MailboxList.load(dir).catch(() => undefined);
    const probe = new UserStore("", dir, old ?? MailboxList.fresh(dir), settings);
    for (const folder of await readdir(join(dir, "mailboxes")).catch(() => [] as string[])) {
      if (!/^[0-9]+$/.test(folder)) continue;
      const held = await probe.folderHoldsMail(Number(folder));
      if (held !== "empty")
        throw new UserExistsError(
          `${dir} already holds mail (mailbox folder ${folder}: ${held === "mail" ? "has messages" : "index unreadable"}): recover or move it before adding the user again`,
        );
    }
    const fs = settings.fs ?? nodeStoreFs;
    await rm(dir, { recursive: true, force: true });
    // users/<user>, its mailboxes/ and blobs/ made durable in their parents before anything
    // is written below them.
    await ensureDurableDir(fs, join(dir, "mailboxes"), dirname(dir), settings.fsync);
    await ensureDurableDir(fs, join(dir, "blobs"), dir, settings.fsync);
    const list = MailboxList.fresh(dir);
    for (const d of DEFAULT_MAILBOXES) {
      const entry = newEntry(list, d.name, d.specialUse);
      const index = await MailboxIndex.open(join(dir, "mailboxes", String(entry.id)), {
        create: true,
        uidValidity: entry.uidValidity,
        fsync: settings.fsync ? "always" : "never",
      });
      await index.close();
      list.doc.mailboxes.push(entry);
    }
    // The index made each mailbox folder; its name is made durable here.
    if (settings.fsync) await fs.fsyncDir(join(dir, "mailboxes"));
    list.doc.subscriptions = DEFAULT_MAILBOXES.map((d) => d.name);
    await list.save();
  }

  static async open(name: string, dir: string, settings: UserStoreSettings): Promise<UserStore> {
    const list = await MailboxList.load(dir);
    if (!list) throw new MailboxDamagedError(`user ${name}: no mailbox list in ${dir}`);
    const store = new UserStore(name, dir, list, settings);
    if (!settings.readOnly) await store.startWriting();
    return store;
  }

  /**
   * Before the first write of this process: if the marker of an earlier writer is still
   * there, that writer did not close cleanly: check every mailbox now (recoverUnsettledAppends
   * runs as each index opens). Otherwise leave the marker, durably, for the next open to find
   * should this process not close cleanly.
   */
  private async startWriting(): Promise<void> {
    const marker = join(this.dir, WRITER_MARKER);
    const unclean = await access(marker).then(
      () => true,
      () => false,
    );
    if (!unclean) {
      const file = await openFile(marker, "w", 0o600);
      try {
        await file.writeFile(`${JSON.stringify({ pid: process.pid, openedAt: new Date().toISOString() })}\n`);
        if (this.settings.fsync) await this.fs.datasync(file, marker);
      } finally {
        await file.close();
      }
      if (this.settings.fsync) await this.fs.fsyncDir(this.dir);
      return;
    }
    this.recovery.unclean = true;
    for (const m of this.list.doc.mailboxes) if (m.id !== null) this.suspects.add(m.id);
    for (const id of [...this.suspects]) await this.handleById(id).catch(() => undefined);
    for (const m of this.list.doc.mailboxes)
      if (m.id !== null && this.suspects.has(m.id)) this.recovery.unchecked.push(m.name);
    // Blobs of appends the crash cut short (torn, or whose entry was just withdrawn) are
    // referenced by no index: reclaim them now, so verify and the scrubber see the same
    // store. Reclaim deletes nothing while a mailbox cannot be read in full.
    await this.sweepMutex.run(async () => undefined); // sweeps of withdrawn blobs done
    const reclaimed = await reclaimUser(this);
    this.recovery.reclaimed = reclaimed.removed;
  }

  /**
   * The unclean-shutdown check of one mailbox, run as its index opens: every entry the
   * index replayed from its log (everything since the backup snapshot, which covers the
   * last checkpoint too) must have a blob that exists, decodes, has the right size and
   * passes its hash. An append is acknowledged only after its blob is durable, so an entry
   * that fails was never acknowledged: it is expunged (UIDNEXT stays: the UID is not reused)
   * and reported, and its blob (if any) is left to the sweep. Returns false when the mailbox
   * could not be checked (it stays marked).
   */
  private async recoverUnsettledAppends(entryName: string, index: MailboxIndex, id: number): Promise<boolean> {
    if (index.readOnly) return false;
    const t = index.state.messages;
    let uids: number[];
    const log = await readFile(join(index.folder, FileName.log)).catch(() => undefined);
    const scan = scanLog(log);
    if (!index.recovery.snapshot.ok || !scan.header) {
      // The state did not come from an intact snapshot plus this log: check every entry.
      uids = Array.from(t.uids.subarray(0, t.count));
    } else {
      const set = new Set<number>();
      for (const txn of scan.txns) for (const op of txn.ops) if (op.op === "append") set.add(op.record.uid);
      uids = [...set].filter((u) => t.indexOf(u) >= 0).sort((a, b) => a - b);
    }
    const withdraw: number[] = [];
    const guids: string[] = [];
    for (const uid of uids) {
      const i = t.indexOf(uid);
      if (i < 0) continue;
      const rec = t.recordAt(i);
      const guid = guidToHex(rec.guid);
      this.recovery.checked++;
      let c = await this.blobs.check(guid, rec.contentHash);
      if (c.kind === "missing") {
        // The rename out of its slot may be what the crash lost: the blob is then intact
        // under the slot's name (durable before the slot was used).
        const fromSlot = await this.blobs.restoreFromSlot(guid, rec.contentHash);
        if (fromSlot.kind === "ok") {
          this.recovery.restored.push({ mailbox: entryName, uid, guid });
          continue;
        }
        if (fromSlot.kind === "damaged") c = fromSlot;
      }
      if (c.kind === "ok") continue;
      const reason = c.kind === "missing" ? "blob file is missing" : c.reason;
      const item = { mailbox: entryName, uid, guid, reason };
      // A blob whose header survived and names another origin was copied in: its blob was
      // durable before that copy was committed, so this is damage (verify reports it).
      const h = c.kind === "damaged" ? c.header : undefined;
      if (h && (h.originMailboxId !== id || h.originUidValidity !== index.state.uidValidity)) {
        this.recovery.damaged.push(item);
        continue;
      }
      this.recovery.withdrawn.push(item);
      withdraw.push(uid);
      guids.push(guid);
    }
    if (withdraw.length > 0) {
      await index.transaction().expunge(withdraw).commit();
      this.sweepLater(guids);
    }
    return true;
  }

  folderOf(id: number): string {
    return join(this.dir, "mailboxes", String(id));
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError(`user ${this.name} is closed`);
  }

  /** Refuse changes in a store opened read-only. */
  checkWritable(): void {
    if (this.settings.readOnly)
      throw new StoreReadOnlyError(`the store was opened read-only: user ${this.name} cannot be changed`);
  }

  // Mailbox list -------------------------------------------------------------------------

  /** Every name in the list with its LIST attributes, sorted by name. */
  listMailboxes(): MailboxInfo[] {
    this.checkOpen();
    const subs = new Set(this.list.doc.subscriptions);
    const names = this.list.doc.mailboxes;
    return names.map((m) => {
      const hasChildren = names.some((o) => o.name.startsWith(`${m.name}/`));
      const attributes: string[] = [];
      if (m.id === null) attributes.push("\\Noselect");
      attributes.push(hasChildren ? "\\HasChildren" : "\\HasNoChildren");
      if (subs.has(m.name)) attributes.push("\\Subscribed");
      if (m.specialUse) attributes.push(m.specialUse);
      return {
        name: m.name,
        id: m.id,
        uidValidity: m.uidValidity,
        attributes,
        specialUse: m.specialUse,
        subscribed: subs.has(m.name),
        selectable: m.id !== null,
        hasChildren,
      };
    });
  }

  /** Subscribed names (LSUB / LIST (SUBSCRIBED)), which may include names that do not exist. */
  subscriptions(): string[] {
    return [...this.list.doc.subscriptions].sort();
  }

  private async changeList<T>(change: () => Promise<T>): Promise<T> {
    return this.listMutex.run(async () => {
      this.checkOpen();
      this.checkWritable();
      const before = this.list.snapshot();
      try {
        return await change();
      } catch (error) {
        this.list.restore(before);
        throw error;
      }
    });
  }

  /**
   * CREATE. Missing parents are created as \Noselect names; creating a name that is a
   * \Noselect name makes it a real mailbox. The mailbox gets a UIDVALIDITY larger than any
   * this user had, so a re-created name never reuses one. `specialUse` sets RFC 6154 use.
   */
  async create(name: string, options: { specialUse?: SpecialUse } = {}): Promise<MailboxInfo> {
    const canonical = canonicalMailboxName(name);
    if (options.specialUse !== undefined && !SPECIAL_USES.includes(options.specialUse))
      throw new StoreInputError(`unknown special-use attribute ${String(options.specialUse)}`);
    return this.changeList(async () => {
      const existing = this.list.find(canonical);
      if (existing && existing.id !== null) throw new MailboxExistsError(`mailbox ${canonical} exists already`);
      for (const parent of ancestorsOf(canonical)) {
        if (!this.list.find(parent))
          this.list.doc.mailboxes.push({ name: parent, id: null, uidValidity: 0, createdAt: Date.now() });
      }
      const entry = newEntry(this.list, canonical, options.specialUse);
      while ((await this.folderHoldsMail(entry.id!)) !== "empty") entry.id = this.list.allocateId();
      await this.createIndex(entry);
      if (existing) Object.assign(existing, entry);
      else this.list.doc.mailboxes.push(entry);
      await this.list.save();
      return this.info(canonical);
    });
  }

  /**
   * What the folder of a mailbox id holds: "empty" only when it has no index at all
   * (`IndexNotFoundError`: no snapshot, backup or log) or an index with no message; "mail"
   * when its index lists messages; "unreadable" when reading the index failed in any other
   * way (damage, I/O error, a lock): it may hold mail, so it must be neither reused nor
   * removed (the list may be a backup one generation old; reclaim reports such folders).
   */
  async folderHoldsMail(id: number): Promise<"empty" | "mail" | "unreadable"> {
    let index: MailboxIndex;
    try {
      index = await MailboxIndex.open(this.folderOf(id), { readOnly: true });
    } catch (error) {
      if (error instanceof IndexNotFoundError) return "empty";
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "empty";
      return "unreadable";
    }
    const count = index.state.messages.count;
    const lossless = index.recovery.lossless;
    await index.close().catch(() => undefined);
    if (!lossless) return "unreadable";
    return count > 0 ? "mail" : "empty";
  }

  private async createIndex(entry: MailboxEntry): Promise<void> {
    const folder = this.folderOf(entry.id!);
    // An id not yet in the saved list may have a folder left by a crash; it holds no mail
    // and no unreadable index (see folderHoldsMail), so it is garbage.
    await rm(folder, { recursive: true, force: true });
    const index = await MailboxIndex.open(folder, {
      create: true,
      uidValidity: entry.uidValidity,
      fsync: this.settings.fsync ? "always" : "never",
    });
    await index.close();
    // The index made the folder: make its name durable before the list names it.
    if (this.settings.fsync) await this.fs.fsyncDir(join(this.dir, "mailboxes"));
  }

  private info(name: string): MailboxInfo {
    const found = this.listMailboxes().find((m) => m.name === name);
    if (!found) throw new MailboxNotFoundError(`no mailbox ${name}`);
    return found;
  }

  /**
   * DELETE (RFC 9051 §6.3.4): INBOX cannot be deleted. A mailbox with children loses its
   * messages and becomes \Noselect; deleting a \Noselect name that has children fails; a
   * name without children is removed. Blobs no other mailbox refers to are then deleted.
   */
  async delete(name: string): Promise<void> {
    const canonical = canonicalMailboxName(name);
    if (canonical === "INBOX") throw new MailboxOperationError("INBOX cannot be deleted");
    return this.changeList(async () => {
      const entry = this.list.find(canonical);
      if (!entry) throw new MailboxNotFoundError(`no mailbox ${canonical}`);
      const hasChildren = this.list.descendants(canonical).length > 0;
      if (entry.id === null && hasChildren)
        throw new MailboxOperationError(`${canonical} is \\Noselect and has children: delete them first`);
      const id = entry.id;
      let guids: string[] = [];
      if (id !== null) {
        const handle = await this.handleById(id).catch(() => undefined);
        if (handle) guids = guidsOf(handle);
      }
      if (hasChildren) {
        entry.id = null;
        entry.uidValidity = 0;
        delete entry.specialUse;
      } else {
        this.list.doc.mailboxes = this.list.doc.mailboxes.filter((m) => m !== entry);
      }
      await this.list.save();
      if (id !== null) {
        const handle = this.handles.get(id);
        this.handles.delete(id);
        if (handle) await handle.close(`mailbox ${canonical} was deleted`).catch(() => undefined);
        await rm(this.folderOf(id), { recursive: true, force: true });
        this.sweepLater(guids);
      }
    });
  }

  /**
   * RENAME. Children move with the mailbox (and subscriptions follow the names). Renaming
   * INBOX moves its messages into a new mailbox with the new name and leaves INBOX empty
   * (its children stay). Missing parents of the new name are created as \Noselect.
   */
  async rename(from: string, to: string): Promise<MailboxInfo> {
    const source = canonicalMailboxName(from);
    const target = canonicalMailboxName(to);
    if (target === "INBOX") throw new MailboxExistsError("cannot rename to INBOX");
    if (isSameOrBelow(target, source) && source !== "INBOX")
      throw new MailboxOperationError("cannot rename a mailbox below itself");
    if (source === "INBOX") return this.renameInbox(target);
    return this.changeList(async () => {
      const entry = this.list.find(source);
      if (!entry) throw new MailboxNotFoundError(`no mailbox ${source}`);
      const clash = this.list.find(target);
      if (clash) throw new MailboxExistsError(`mailbox ${target} exists already`);
      const moving = [entry, ...this.list.descendants(source)];
      for (const m of moving) {
        const newName = target + m.name.slice(source.length);
        canonicalMailboxName(newName); // depth and length limits still hold
        if (this.list.find(newName)) throw new MailboxExistsError(`mailbox ${newName} exists already`);
      }
      for (const parent of ancestorsOf(target)) {
        if (!this.list.find(parent))
          this.list.doc.mailboxes.push({ name: parent, id: null, uidValidity: 0, createdAt: Date.now() });
      }
      for (const m of moving) m.name = target + m.name.slice(source.length);
      this.list.doc.subscriptions = this.list.doc.subscriptions.map((s) =>
        isSameOrBelow(s, source) ? target + s.slice(source.length) : s,
      );
      await this.list.save();
      for (const m of moving)
        if (m.id !== null) {
          const h = this.handles.get(m.id);
          if (h) h.name = m.name;
        }
      return this.info(target);
    });
  }

  private async renameInbox(target: string): Promise<MailboxInfo> {
    await this.create(target);
    const inbox = await this.handleByName("INBOX");
    const uids = Array.from(inbox.index.state.messages.uids.subarray(0, inbox.index.state.messages.count));
    if (uids.length > 0) await this.move("INBOX", uids, target);
    return this.info(target);
  }

  async subscribe(name: string): Promise<void> {
    const canonical = canonicalMailboxName(name);
    return this.changeList(async () => {
      if (this.list.doc.subscriptions.includes(canonical)) return;
      this.list.doc.subscriptions.push(canonical);
      await this.list.save();
    });
  }

  async unsubscribe(name: string): Promise<void> {
    const canonical = canonicalMailboxName(name);
    return this.changeList(async () => {
      if (!this.list.doc.subscriptions.includes(canonical)) return;
      this.list.doc.subscriptions = this.list.doc.subscriptions.filter((s) => s !== canonical);
      await this.list.save();
    });
  }

  /** Set or clear (undefined) the special-use attribute of a mailbox. */
  async setSpecialUse(name: string, specialUse: SpecialUse | undefined): Promise<void> {
    const canonical = canonicalMailboxName(name);
    if (specialUse !== undefined && !SPECIAL_USES.includes(specialUse))
      throw new StoreInputError(`unknown special-use attribute ${String(specialUse)}`);
    return this.changeList(async () => {
      const entry = this.list.find(canonical);
      if (!entry || entry.id === null) throw new MailboxNotFoundError(`no mailbox ${canonical}`);
      if (specialUse) entry.specialUse = specialUse;
      else delete entry.specialUse;
      await this.list.save();
    });
  }

  // Handles --------------------------------------------------------------------------------

  /** The open handle of a selectable mailbox, by name. */
  async handleByName(name: string): Promise<MailboxHandle> {
    this.checkOpen();
    const canonical = canonicalMailboxName(name);
    const entry = this.list.find(canonical);
    if (!entry) throw new MailboxNotFoundError(`no mailbox ${canonical}`);
    if (entry.id === null) throw new MailboxNotFoundError(`mailbox ${canonical} is \\Noselect`);
    return this.handleById(entry.id);
  }

  async handleById(id: number): Promise<MailboxHandle> {
    this.checkOpen();
    const open = this.handles.get(id);
    if (open) return open;
    let pending = this.opening.get(id);
    if (!pending) {
      pending = this.openHandle(id);
      this.opening.set(id, pending);
      pending.then(
        () => this.opening.delete(id),
        () => this.opening.delete(id),
      );
    }
    return pending;
  }

  private async openHandle(id: number): Promise<MailboxHandle> {
    const entry = this.list.byId(id);
    if (!entry) throw new MailboxNotFoundError(`no mailbox with id ${id}`);
    let index: MailboxIndex;
    try {
      index = await MailboxIndex.open(this.folderOf(id), {
        fsync: this.settings.fsync ? "always" : "never",
        readOnly: this.settings.readOnly === true,
      });
    } catch (error) {
      if (error instanceof IndexNotFoundError)
        throw new MailboxDamagedError(
          `mailbox ${entry.name}: its index, backup and log are gone; repair rebuilds it from the blobs`,
        );
      throw translateIndexError(error, entry.name);
    }
    if (this.closed) {
      await index.close();
      throw new StoreClosedError(`user ${this.name} is closed`);
    }
    if (this.suspects.has(id) && !this.settings.readOnly) {
      let checked: boolean;
      try {
        checked = await this.recoverUnsettledAppends(entry.name, index, id);
      } catch (error) {
        await index.close().catch(() => undefined);
        throw translateIndexError(error, entry.name);
      }
      if (checked) this.suspects.delete(id);
    }
    const handle = new MailboxHandle(id, entry.name, index);
    this.handles.set(id, handle);
    return handle;
  }

  /** Close the handle of a mailbox (repair needs its folder unlocked). */
  async closeHandle(id: number, reason: string): Promise<void> {
    const h = this.handles.get(id);
    if (!h) return;
    this.handles.delete(id);
    await h.close(reason);
  }

  // Status and select ----------------------------------------------------------------------

  /** STATUS counters of a mailbox (of its latest durable state). */
  async status(name: string): Promise<MailboxCounters> {
    const handle = await this.handleByName(name);
    const view = await this.settledView(handle);
    try {
      const s = handle.index.state;
      const t = s.messages;
      let unseen = 0;
      let deleted = 0;
      let size = 0;
      let recent = 0;
      for (let i = 0; i < t.count; i++) {
        const f = t.flags[i]!;
        if (!(f & SystemFlag.seen)) unseen++;
        if (f & SystemFlag.deleted) deleted++;
        if (t.uids[i]! >= s.firstRecentUid) recent++;
        size += t.sizes[i]!;
      }
      return {
        messages: t.count,
        uidNext: s.uidNext,
        uidValidity: s.uidValidity,
        unseen,
        size,
        highestModseq: s.highestModseq,
        recent,
        deleted,
      };
    } finally {
      view.close();
    }
  }

  /**
   * SELECT / EXAMINE: a session on the mailbox. SELECT (not read-only) claims \Recent: the
   * messages that arrived since the last SELECT are recent in this session only.
   */
  async select(name: string, options: { readOnly?: boolean } = {}): Promise<MailboxSession> {
    const handle = await this.handleByName(name);
    const view = await this.settledView(handle);
    // Attached at once, in the same step as the view is made: no change can fall between.
    const session = new MailboxSession(this, handle, view, options.readOnly === true || handle.index.readOnly, (s) => {
      handle.detach(s);
      this.sessions.delete(s);
    });
    handle.attach(session);
    this.sessions.add(session);
    try {
      const s = handle.index.state;
      if (!session.readOnly && s.firstRecentUid < s.uidNext) await handle.index.transaction().claimRecent().commit();
    } catch (error) {
      session.close();
      throw translateIndexError(error, handle.name);
    }
    return session;
  }

  /**
   * A read view of the latest durable state that shows no append whose blob is not durable
   * yet: when a new view would, wait for those appends to settle and make it again.
   */
  private async settledView(handle: MailboxHandle): Promise<Awaited<ReturnType<MailboxIndex["view"]>>> {
    for (;;) {
      let view: Awaited<ReturnType<MailboxIndex["view"]>>;
      try {
        view = await handle.index.view();
      } catch (error) {
        throw translateIndexError(error, handle.name);
      }
      const waits = handle.unsettledShown({ uidNext: view.uidNext });
      if (waits.length === 0) return view;
      view.close();
      await Promise.all(waits);
      this.checkOpen();
    }
  }

  // Pins -----------------------------------------------------------------------------------

  private pin(guid: string): void {
    this.pins.set(guid, (this.pins.get(guid) ?? 0) + 1);
  }

  private unpin(guid: string): void {
    const n = (this.pins.get(guid) ?? 1) - 1;
    if (n <= 0) this.pins.delete(guid);
    else this.pins.set(guid, n);
  }

  /**
   * The append of `guid` still settling (its blob may not be in place or durable yet), or
   * undefined: resolves true once acknowledged, false once withdrawn or failed.
   */
  settling(guid: string): Promise<boolean> | undefined {
    return this.blobSyncs.get(guid);
  }

  /** GUIDs currently pinned by appends and copies in flight (reclaim must not touch them). */
  pinned(): ReadonlySet<string> {
    return new Set(this.pins.keys());
  }

  // Messages -------------------------------------------------------------------------------

  /** APPEND: stream the message to a blob (hashing it), make it durable, then commit one index transaction. */
  async append(name: string, message: MessageSource, options: AppendOptions = {}): Promise<AppendResult> {
    const handle = await this.handleByName(name);
    return this.appendTo(handle, message, options);
  }

  async appendTo(handle: MailboxHandle, message: MessageSource, options: AppendOptions = {}): Promise<AppendResult> {
    this.checkOpen();
    this.checkWritable();
    const flags = [...(options.flags ?? [])];
    try {
      parseFlags(flags);
    } catch (error) {
      throw translateIndexError(error, handle.name);
    }
    const date =
      options.internalDate instanceof Date ? options.internalDate.getTime() : (options.internalDate ?? Date.now());
    if (!Number.isSafeInteger(date))
      throw new StoreInputError("internal date must be an integer number of milliseconds");
    if (handle.index.readOnly)
      throw new MailboxDamagedError(`mailbox ${handle.name} is read-only: ${handle.index.readOnlyReason}`);
    const uidValidity = handle.index.state.uidValidity;
    const pending = await this.blobs.begin(message, date, {
      mailboxId: handle.id,
      mailboxName: handle.name,
      uidValidity,
    });
    const guid = pending.guidHex;
    this.pin(guid);
    const ticket = handle.lane.reserve(handle.index, 1);
    // Settles (never rejects) when this append's outcome is final; copies of the GUID and
    // sessions that would show the UID wait for it.
    let settle!: (durable: boolean) => void;
    const settled = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    let uid: number | undefined;
    let blobOk = false;
    let withdrawn = false;
    try {
      // 1. The blob's bytes in its temp file (nobody reads it under that name).
      let written: Awaited<ReturnType<typeof pending.write>>;
      try {
        written = await pending.write(ticket.first);
      } catch (error) {
        await ticket.abandon();
        throw error;
      }
      this.blobSyncs.set(guid, settled);
      // 2. The index entry, committed first (the UID lane keeps UIDs in reservation order),
      // then the blob's rename and syncs: the log append and the rename land in the same
      // file-system journal transaction, so the syncs of blob, folder and log are made
      // durable by one journal commit where the serial order needed two. Until both are
      // done the entry may point to a name not there yet: nothing reads it (sessions and
      // copies wait for the append to settle), and a crash leaves an entry open withdraws.
      await ticket.turn;
      let committing: Promise<{ appended: number[] }>;
      try {
        committing = handle.index
          .transaction()
          .append({
            guid: pending.guid,
            size: pending.size,
            internalDate: date,
            contentHash: pending.contentHash,
            flags,
          })
          .commit();
      } catch (error) {
        await written.discard();
        throw error;
      } finally {
        ticket.release();
      }
      const blobDurable = written.makeDurable().then(() => {
        blobOk = true;
      });
      // commit() applied the entry to the in-memory state synchronously: its UID is the last.
      const t = handle.index.state.messages;
      if (t.count > 0 && guidToHex(t.guids.subarray((t.count - 1) * 16, t.count * 16)) === guid) {
        uid = t.uids[t.count - 1]!;
        handle.beginUnsettled(
          uid,
          settled.then(() => undefined),
        );
      }
      // 3. Acknowledge only when both are durable.
      const [indexResult, blobResult] = await Promise.allSettled([committing, blobDurable]);
      if (indexResult.status === "fulfilled" && blobResult.status === "fulfilled") {
        settle(true);
        return { uid: indexResult.value.appended[0]!, uidValidity, guid, size: pending.size };
      }
      if (indexResult.status === "fulfilled") {
        // The entry is durable, the blob may not be: withdraw the entry before anyone sees
        // it (sessions are held back until settle), then let the blob go.
        withdrawn = await this.withdrawAppend(handle, indexResult.value.appended[0]!);
      } else if (!blobOk) {
        // The commit failed (the index is poisoned now) and may still be on disk, pointing to
        // a blob that is not known to be durable: reopen the mailbox with a check.
        await this.reopenChecked(handle);
      }
      // A commit that failed after it was queued may be on disk: its blob stays for reclaim().
      throw indexResult.status === "rejected" ? indexResult.reason : (blobResult as PromiseRejectedResult).reason;
    } catch (error) {
      settle(false);
      throw translateIndexError(error, handle.name);
    } finally {
      if (this.blobSyncs.get(guid) === settled) this.blobSyncs.delete(guid);
      if (uid !== undefined) handle.endUnsettled(uid);
      this.unpin(guid);
      handle.notify();
      if (withdrawn) this.sweepLater([guid]);
    }
  }

  /**
   * Take back an append whose index entry is durable but whose blob failed to become
   * durable (the append was not acknowledged). If the expunge cannot be made durable either,
   * the mailbox is checked on its next open (its index is closed after such a failure).
   */
  private async withdrawAppend(handle: MailboxHandle, uid: number): Promise<boolean> {
    try {
      await handle.index.transaction().expunge([uid]).commit();
      return true;
    } catch {
      await this.reopenChecked(handle);
      return false;
    }
  }

  /**
   * After an index failure that may have left an entry pointing to a blob that is not
   * durable: close the handle (its sessions end and must select again) and mark the
   * mailbox, so that its next open checks the blobs of its log tail (see
   * recoverUnsettledAppends). The mark outlives the process unless that check runs.
   */
  private async reopenChecked(handle: MailboxHandle): Promise<void> {
    this.suspects.add(handle.id);
    if (this.handles.get(handle.id) === handle) this.handles.delete(handle.id);
    await handle.close("the mailbox index failed: select it again").catch(() => undefined);
  }

  /** COPY by UID set: new index entries sharing the source blobs (no data copied). */
  async copy(from: string, uids: UidSet, to: string): Promise<CopyResult> {
    const [src, dst] = await Promise.all([this.handleByName(from), this.handleByName(to)]);
    return this.copyBetween(src, uids, dst);
  }

  async copyBetween(src: MailboxHandle, uids: UidSet, dst: MailboxHandle): Promise<CopyResult> {
    this.checkOpen();
    this.checkWritable();
    if (dst.index.readOnly)
      throw new MailboxDamagedError(`mailbox ${dst.name} is read-only: ${dst.index.readOnlyReason}`);
    // Read the source records and pin their GUIDs in one synchronous step — once no source
    // message is an append still settling: its blob may not be durable yet, and a copy is
    // acknowledged only when everything it refers to is. (A failed append is withdrawn from
    // the source before it settles, so the records are read again.)
    let records = this.recordsOf(src, uids);
    for (;;) {
      const waits: Promise<boolean>[] = [];
      for (const r of records) {
        const w = this.blobSyncs.get(guidToHex(r.guid));
        if (w) waits.push(w);
      }
      if (waits.length === 0) break;
      await Promise.all(waits);
      this.checkOpen();
      records = this.recordsOf(src, uids);
    }
    const guids = records.map((r) => guidToHex(r.guid));
    for (const g of guids) this.pin(g);
    const ticket = dst.lane.reserve(dst.index, records.length);
    try {
      if (records.length === 0) {
        ticket.release();
        return { uidValidity: dst.index.state.uidValidity, pairs: [] };
      }
      await ticket.turn;
      const txn = dst.index.transaction();
      for (const r of records)
        txn.append({
          guid: r.guid,
          size: r.size,
          internalDate: r.internalDate,
          contentHash: r.contentHash,
          flags: r.flags,
        });
      const committing = txn.commit();
      ticket.release();
      const result = await committing;
      dst.notify();
      return {
        uidValidity: dst.index.state.uidValidity,
        pairs: records.map((r, i) => [r.uid, result.appended[i]!] as [number, number]),
      };
    } catch (error) {
      await ticket.abandon();
      throw translateIndexError(error, dst.name);
    } finally {
      for (const g of guids) this.unpin(g);
    }
  }

  /**
   * MOVE: copy, then expunge from the source once the copy is durable. A crash in between
   * leaves the message in both mailboxes (never in neither).
   */
  async move(from: string, uids: UidSet, to: string): Promise<MoveResult> {
    const [src, dst] = await Promise.all([this.handleByName(from), this.handleByName(to)]);
    return this.moveBetween(src, uids, dst);
  }

  async moveBetween(src: MailboxHandle, uids: UidSet, dst: MailboxHandle): Promise<MoveResult> {
    const copied = await this.copyBetween(src, uids, dst);
    if (copied.pairs.length === 0) return { ...copied, expunged: [] };
    const expunged = await this.expungeUids(
      src,
      copied.pairs.map(([s]) => s),
      false,
    );
    return { ...copied, expunged };
  }

  /**
   * EXPUNGE: remove the messages flagged \Deleted (only those in `uids` when given: UID
   * EXPUNGE). Returns the UIDs removed.
   */
  async expunge(name: string, uids?: UidSet): Promise<number[]> {
    const handle = await this.handleByName(name);
    return this.expungeUids(handle, uids, true);
  }

  async expungeUids(handle: MailboxHandle, uids: UidSet | undefined, deletedOnly: boolean): Promise<number[]> {
    this.checkOpen();
    this.checkWritable();
    // Choose the messages and commit in one synchronous step: no flag change can slip in.
    let committing: Promise<{ expunged: number[] }>;
    const guids: string[] = [];
    try {
      const s = handle.index.state;
      const t = s.messages;
      const chosen: number[] = [];
      const ranges = uids === undefined ? [1, 0xffff_ffff] : parseUidSet(toUidSetInput(uids), t.lastUid());
      for (let r = 0; r < ranges.length; r += 2) {
        for (let i = t.lowerBound(ranges[r]!); i < t.count && t.uids[i]! <= ranges[r + 1]!; i++) {
          if (deletedOnly && !(t.flags[i]! & SystemFlag.deleted)) continue;
          chosen.push(t.uids[i]!);
          guids.push(guidToHex(t.guids.subarray(i * 16, i * 16 + 16)));
        }
      }
      if (chosen.length === 0) return [];
      committing = handle.index.transaction().expunge(chosen).commit();
    } catch (error) {
      throw translateIndexError(error, handle.name);
    }
    let result: { expunged: number[] };
    try {
      result = await committing;
    } catch (error) {
      throw translateIndexError(error, handle.name);
    }
    handle.notify();
    this.sweepLater(guids);
    return result.expunged;
  }

  /** STORE flags by UID set (add / remove / replace), with optional UNCHANGEDSINCE. */
  async storeFlags(
    name: string,
    uids: UidSet,
    mode: FlagStoreMode,
    flags: readonly string[],
    options: { unchangedSince?: number } = {},
  ): Promise<FlagStoreResult> {
    const handle = await this.handleByName(name);
    return this.storeFlagsIn(handle, uids, mode, flags, options);
  }

  async storeFlagsIn(
    handle: MailboxHandle,
    uids: UidSet,
    mode: FlagStoreMode,
    flags: readonly string[],
    options: { unchangedSince?: number } = {},
  ): Promise<FlagStoreResult> {
    this.checkOpen();
    this.checkWritable();
    try {
      const result = await handle.index.transaction().store(toUidSetInput(uids), mode, flags, options).commit();
      if (result.modified.length > 0) handle.notify();
      const s = handle.index.state;
      return {
        modified: result.modified.map(({ uid, modseq }) => {
          const i = s.messages.indexOf(uid);
          const names =
            i < 0 ? [] : [...systemFlagNames(s.messages.flags[i]!), ...s.keywords.namesOf(s.messages.keywordsAt(i))];
          return { uid, modseq, flags: names };
        }),
        failedUnchangedSince: result.failedUnchangedSince,
        highestModseq: result.highestModseq,
      };
    } catch (error) {
      throw translateIndexError(error, handle.name);
    }
  }

  /** Current records of a UID set (flags as names), read synchronously from the index state. */
  private recordsOf(handle: MailboxHandle, uids: UidSet) {
    const s = handle.index.state;
    const t = s.messages;
    let ranges: number[];
    try {
      ranges = parseUidSet(toUidSetInput(uids), t.lastUid());
    } catch (error) {
      throw translateIndexError(error, handle.name);
    }
    const out: {
      uid: number;
      guid: Uint8Array;
      size: number;
      internalDate: number;
      contentHash: bigint;
      flags: string[];
    }[] = [];
    for (let r = 0; r < ranges.length; r += 2) {
      for (let i = t.lowerBound(ranges[r]!); i < t.count && t.uids[i]! <= ranges[r + 1]!; i++) {
        const rec = t.recordAt(i);
        out.push({
          uid: rec.uid,
          guid: rec.guid,
          size: rec.size,
          internalDate: rec.internalDate,
          contentHash: rec.contentHash,
          flags: [...systemFlagNames(rec.flags), ...s.keywords.namesOf(rec.keywords)],
        });
      }
    }
    return out;
  }

  /** The latest durable view of a message, or undefined. */
  async messageInfo(name: string, uid: number): Promise<MessageInfo | undefined> {
    const handle = await this.handleByName(name);
    const view = await this.settledView(handle);
    try {
      return view.get(uid);
    } finally {
      view.close();
    }
  }

  private async infoOf(handle: MailboxHandle, uid: number): Promise<MessageInfo> {
    const view = await this.settledView(handle);
    try {
      const info = view.get(uid);
      if (!info) throw new MailboxNotFoundError(`mailbox ${handle.name} has no UID ${uid}`);
      return info;
    } finally {
      view.close();
    }
  }

  /** The raw message (verified against its hash first; BlobDamagedError otherwise). */
  async readMessage(name: string, uid: number): Promise<Buffer> {
    const handle = await this.handleByName(name);
    return this.readMessageIn(handle, uid);
  }

  async readMessageIn(handle: MailboxHandle, uid: number, info?: MessageInfo): Promise<Buffer> {
    const m = info ?? (await this.infoOf(handle, uid));
    try {
      return (await this.blobs.read(guidToHex(m.guid), m.contentHash)).message;
    } catch (error) {
      throw this.expungedOr(handle, m, error);
    }
  }

  /** The raw message as a stream (the whole blob is verified before the stream opens). */
  async openMessage(name: string, uid: number): Promise<Readable> {
    const handle = await this.handleByName(name);
    return this.openMessageIn(handle, uid);
  }

  async openMessageIn(handle: MailboxHandle, uid: number, info?: MessageInfo): Promise<Readable> {
    const m = info ?? (await this.infoOf(handle, uid));
    try {
      return (await this.blobs.openStream(guidToHex(m.guid), m.contentHash)).stream;
    } catch (error) {
      throw this.expungedOr(handle, m, error);
    }
  }

  /** BODYSTRUCTURE, BODY, ENVELOPE and sizes of a message, from the structure cache. */
  async structure(name: string, uid: number): Promise<MessageStructure> {
    const handle = await this.handleByName(name);
    return this.structureIn(handle, uid);
  }

  async structureIn(handle: MailboxHandle, uid: number, info?: MessageInfo): Promise<MessageStructure> {
    const m = info ?? (await this.infoOf(handle, uid));
    const guid = guidToHex(m.guid);
    try {
      return await this.structures.get(guid, async () => (await this.blobs.read(guid, m.contentHash)).message);
    } catch (error) {
      throw this.expungedOr(handle, m, error);
    }
  }

  /** A missing blob of a message that is no longer in the mailbox: it was expunged, not damaged. */
  private expungedOr(handle: MailboxHandle, m: MessageInfo, error: unknown): unknown {
    if (error instanceof BlobDamagedError && handle.index.state.messages.indexOf(m.uid) < 0)
      return new MessageExpungedError(`UID ${m.uid} of ${handle.name} was expunged`);
    return error;
  }

  /** SEARCH over the latest durable state: matching UIDs (ascending) and their highest MODSEQ. */
  async search(name: string, key: SearchKey): Promise<SearchResult> {
    const handle = await this.handleByName(name);
    const view = await this.settledView(handle);
    try {
      return await this.searchIn(handle, view.uids(), (uid) => view.get(uid), key);
    } finally {
      view.close();
    }
  }

  async searchIn(
    handle: MailboxHandle,
    uids: ArrayLike<number>,
    get: (uid: number) => MessageInfo | undefined,
    key: SearchKey,
  ): Promise<SearchResult> {
    return searchMessages(uids, get, key, (info) => this.readMessageIn(handle, info.uid, info));
  }

  // Blob lifetime --------------------------------------------------------------------------

  /** Sweep in the background; a failure only leaks blobs until reclaim, it never escapes. */
  private sweepLater(guids: readonly string[]): void {
    this.sweep(guids).catch(() => undefined);
  }

  /**
   * Delete the blobs among `candidates` that no mailbox refers to. Skipped (the blobs leak
   * until reclaim) when any mailbox cannot be opened writable: its index might refer to them.
   */
  sweep(candidates: readonly string[]): Promise<number> {
    if (candidates.length === 0) return Promise.resolve(0);
    return this.sweepMutex.run(async () => {
      if (this.closed) return 0;
      const wanted = new Set(candidates.filter((g) => !this.pins.has(g)));
      if (wanted.size === 0) return 0;
      const referenced = await this.referencedAmong(wanted);
      if (!referenced) return 0;
      let removed = 0;
      for (const g of wanted) {
        if (referenced.has(g) || this.pins.has(g)) continue;
        await this.blobs.remove(g);
        await this.structures.remove(g);
        removed++;
      }
      return removed;
    });
  }

  /**
   * Which of `wanted` (or every GUID, when undefined) some mailbox refers to, including
   * commits in flight (mailbox `skipId` left out). Undefined when some mailbox cannot be read in full.
   */
  async referencedAmong(wanted: Set<string> | undefined, skipId?: number): Promise<Set<string> | undefined> {
    // Open every mailbox first (opening one is file I/O)...
    const handles: MailboxHandle[] = [];
    for (const entry of this.list.doc.mailboxes) {
      if (entry.id === null || entry.id === skipId) continue;
      let handle: MailboxHandle;
      try {
        handle = await this.handleById(entry.id);
      } catch {
        return undefined;
      }
      if (handle.index.readOnly) return undefined;
      handles.push(handle);
    }
    // ...then read every reference in one synchronous pass. With an await between two
    // mailboxes, a MOVE could carry a blob from a mailbox not read yet into one already read,
    // and the blob would look unreferenced. Once a GUID is unreferenced everywhere at one
    // instant, nothing can refer to it again (GUIDs are never reused; copies pin first).
    const out = new Set<string>();
    for (const handle of handles) {
      if (!wanted) for (const g of guidsOf(handle)) out.add(g);
      else for (const g of guidsAmong(handle, wanted)) out.add(g);
    }
    // That in-memory state includes commits not durable yet (an expunge still waiting for
    // its fdatasync): only once they are may a blob they released go. If one fails, the
    // expunge may not survive a crash, so keep everything.
    try {
      await Promise.all(handles.map((h) => h.index.flush()));
    } catch {
      return undefined;
    }
    return out;
  }

  /**
   * Mailbox folders no list entry names (left by a crash during CREATE or DELETE) are
   * removed when they hold no message. One that holds messages is kept and reported: the
   * list may have come from a backup one generation old, and mail is never thrown away on a
   * guess. Runs under the list mutex, so a CREATE in progress is never mistaken for one.
   */
  removeOrphanFolders(): Promise<{ removed: string[]; kept: string[] }> {
    return this.listMutex.run(async () => {
      const known = new Set(this.list.doc.mailboxes.filter((m) => m.id !== null).map((m) => String(m.id)));
      const removed: string[] = [];
      const kept: string[] = [];
      for (const name of await readdir(join(this.dir, "mailboxes")).catch(() => [] as string[])) {
        if (!/^[0-9]+$/.test(name) || known.has(name)) continue;
        const folder = join(this.dir, "mailboxes", name);
        // Only "no index at all" (or an index without messages) means the folder holds no
        // mail; an index that cannot be read may hold some and is kept for an operator.
        if ((await this.folderHoldsMail(Number(name))) !== "empty") {
          kept.push(name);
          continue;
        }
        await rm(folder, { recursive: true, force: true });
        removed.push(name);
      }
      return { removed, kept };
    });
  }

  /** Every open session (for tests and shutdown). */
  get openSessions(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.sweepMutex.run(async () => undefined);
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    // Appends in flight finish first: the marker may go only once no index entry can point
    // to a blob that is not durable.
    await Promise.allSettled([...this.blobSyncs.values()]);
    for (const s of [...this.sessions]) s.closed("store closed");
    this.sessions.clear();
    const handles = [...this.handles.values()];
    this.handles.clear();
    const closing = await Promise.allSettled(handles.map((h) => h.close("store closed")));
    const renamesSynced = await this.blobs.close();
    if (this.settings.readOnly) return;
    // A clean close: the next open need not check anything — unless a mailbox is still
    // marked (a failure this process could not check), an index did not close cleanly, or
    // the renames out of the blob slots could not be made durable.
    if (this.suspects.size > 0 || closing.some((c) => c.status === "rejected") || !renamesSynced) return;
    await rm(join(this.dir, WRITER_MARKER), { force: true });
    if (this.settings.fsync) await this.fs.fsyncDir(this.dir).catch(() => undefined);
  }
}

function newEntry(list: MailboxList, name: string, specialUse: SpecialUse | undefined): MailboxEntry {
  const entry: MailboxEntry = {
    name,
    id: list.allocateId(),
    uidValidity: list.allocateUidValidity(),
    createdAt: Date.now(),
  };
  if (specialUse) entry.specialUse = specialUse;
  return entry;
}

/** GUIDs (hex) of every message in a mailbox's current in-memory state. */
export function guidsOf(handle: MailboxHandle): string[] {
  const t = handle.index.state.messages;
  const out: string[] = [];
  for (let i = 0; i < t.count; i++) out.push(guidToHex(t.guids.subarray(i * 16, i * 16 + 16)));
  return out;
}

/**
 * GUIDs of a mailbox that are in `wanted`: a 32-bit prefix filter first, so a sweep over a
 * large mailbox makes a hex string only for the few candidates whose prefix matches.
 */
function guidsAmong(handle: MailboxHandle, wanted: Set<string>): string[] {
  const prefixes = new Set<number>();
  for (const g of wanted) prefixes.add(Number.parseInt(g.slice(0, 8), 16));
  const t = handle.index.state.messages;
  const bytes = t.guids;
  const out: string[] = [];
  for (let i = 0; i < t.count; i++) {
    const o = i * 16;
    const prefix = ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
    if (!prefixes.has(prefix)) continue;
    const hex = guidToHex(bytes.subarray(o, o + 16));
    if (wanted.has(hex)) out.push(hex);
  }
  return out;
}
