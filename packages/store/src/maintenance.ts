import { access, readdir, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  FileName,
  type MessageRecord,
  rebuildIndex,
  repair as repairIndex,
  verify as verifyIndex,
} from "@holdfast/index";
import { type BlobHeader, guidToHex } from "./blob-format.js";
import { MailboxDamagedError } from "./errors.js";
import { describe } from "./record-file.js";
import type { UserStore } from "./user-store.js";

/** A blob that failed its checks, with where it is used. */
export interface DamagedBlob {
  user: string;
  mailbox: string;
  uid: number;
  guid: string;
  reason: string;
}

export interface MailboxVerifyReport {
  name: string;
  id: number;
  ok: boolean;
  messages: number;
  /** The index's own verdict and what it found. */
  problems: string[];
  /** Index, backup and log are all gone: repair rebuilds the mailbox from blobs. */
  indexMissing: boolean;
}

export interface UserVerifyReport {
  user: string;
  ok: boolean;
  /** Mailbox list vs its backup. */
  mailboxList: string[];
  mailboxes: MailboxVerifyReport[];
  damagedBlobs: DamagedBlob[];
  /** Blobs no mailbox refers to (reclaim removes them). */
  leakedBlobs: string[];
  problems: string[];
}

export interface RebuildReport {
  mailbox: string;
  id: number;
  /** Messages recreated from blobs. */
  messages: number;
  /** Messages that got the UID their blob recorded. */
  sameUid: number;
  oldUidValidity: number;
  newUidValidity: number;
  /** Flags and keywords live only in the index: every rebuilt message lost them. */
  flagsLost: number;
  /** Rebuilt messages that some other mailbox also refers to (they may have been moved away). */
  alsoElsewhere: number;
}

export interface UserRepairReport {
  user: string;
  actions: string[];
  rebuilt: RebuildReport[];
  /** Mailboxes the index could not repair without loss (salvaged: the report says what was lost). */
  salvaged: { mailbox: string; problems: string[]; lostUidRanges: [number, number][] }[];
  damagedBlobs: DamagedBlob[];
  /** Blobs no index referred to after a rebuild, adopted into a holding mailbox (see adoptOrphanBlobs). */
  adopted?: AdoptReport;
  reclaim: ReclaimReport;
}

export interface AdoptReport {
  /** The mailbox they were added to (`RECOVERED_MAILBOX`). */
  mailbox: string;
  /** Messages added (one per intact blob, flags lost). */
  messages: number;
  /** Unreferenced blobs that failed their checks: kept on disk, not adopted. */
  damaged: { guid: string; reason: string }[];
}

/** Where repair puts messages whose blobs no index refers to after a rebuild. */
export const RECOVERED_MAILBOX = "Recovered";

export interface ReclaimReport {
  /** Blobs deleted because no index refers to them. */
  removed: string[];
  /** Stale temp files deleted. */
  temps: number;
  /** Structure cache entries of blobs that no longer exist, deleted. */
  cacheEntries: number;
  /** Empty mailbox folders no list entry names (a crash during CREATE or DELETE), deleted. */
  orphanFolders: string[];
  /** Folders no list entry names that still hold messages: kept for an operator to look at. */
  orphanFoldersKept: string[];
  /** Why nothing was deleted, when that is so. */
  refused?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function indexFilesGone(folder: string): Promise<boolean> {
  for (const f of [FileName.snapshot, FileName.backup, FileName.log]) if (await exists(join(folder, f))) return false;
  return true;
}

export async function verifyUser(u: UserStore): Promise<UserVerifyReport> {
  const report: UserVerifyReport = {
    user: u.name,
    ok: true,
    mailboxList: [],
    mailboxes: [],
    damagedBlobs: [],
    leakedBlobs: [],
    problems: [],
  };
  const copies = await u.list.inspect();
  if (
    copies.primary.kind !== "ok" ||
    copies.backup.kind !== "ok" ||
    copies.primary.generation !== copies.backup.generation
  )
    report.mailboxList.push(`primary ${describe(copies.primary)}, backup ${describe(copies.backup)}`);
  for (const entry of u.list.doc.mailboxes) {
    if (entry.id === null) continue;
    const folder = u.folderOf(entry.id);
    const m: MailboxVerifyReport = {
      name: entry.name,
      id: entry.id,
      ok: true,
      messages: 0,
      problems: [],
      indexMissing: false,
    };
    report.mailboxes.push(m);
    if (await indexFilesGone(folder)) {
      m.ok = false;
      m.indexMissing = true;
      m.problems.push("index, backup and log are all gone: repair rebuilds the mailbox from blobs");
      continue;
    }
    const v = await verifyIndex(folder);
    if (!v.ok) {
      m.ok = false;
      m.problems.push(...v.problems, ...v.differences, ...v.actions.map((a) => `needs: ${a}`));
    }
    let handle: Awaited<ReturnType<UserStore["handleById"]>>;
    try {
      handle = await u.handleById(entry.id);
    } catch (error) {
      m.ok = false;
      m.problems.push(String((error as Error).message));
      continue;
    }
    const t = handle.index.state.messages;
    m.messages = t.count;
    for (let i = 0; i < t.count; i++) {
      const guid = guidToHex(t.guids.subarray(i * 16, i * 16 + 16));
      let c = await u.blobs.check(guid, t.recordAt(i).contentHash);
      const settling = c.kind !== "ok" ? u.settling(guid) : undefined;
      if (settling) {
        // An append in flight: its entry is committed while its blob is still being put in
        // place. Judge the blob once the append is settled (a withdrawn one is no longer here).
        const uid = t.uids[i]!;
        await settling;
        const at = t.indexOf(uid);
        if (at < 0) continue;
        c = await u.blobs.check(guid, t.recordAt(at).contentHash);
      }
      if (c.kind !== "ok") {
        let reason = c.kind === "missing" ? "blob file is missing" : c.reason;
        if (c.kind === "missing") {
          // A crash may have lost the rename out of its slot (made durable in the background).
          const slot = await u.blobs.findInSlot(guid, t.recordAt(i).contentHash);
          if (slot?.check.kind === "ok")
            reason = `blob file is missing; an intact copy is in slot ${basename(slot.path)} (a crash lost its rename: repair or the next writable open puts it in place)`;
        }
        report.damagedBlobs.push({ user: u.name, mailbox: entry.name, uid: t.uids[i]!, guid, reason });
      }
    }
  }
  const { guids } = await u.blobs.list();
  const pinned = u.pinned();
  const referenced = await u.referencedAmong(undefined);
  if (referenced) for (const g of guids) if (!referenced.has(g) && !pinned.has(g)) report.leakedBlobs.push(g);
  report.ok =
    report.mailboxList.length === 0 &&
    report.mailboxes.every((m) => m.ok) &&
    report.damagedBlobs.length === 0 &&
    report.problems.length === 0;
  return report;
}

export async function repairUser(u: UserStore): Promise<UserRepairReport> {
  const report: UserRepairReport = {
    user: u.name,
    actions: [],
    rebuilt: [],
    salvaged: [],
    damagedBlobs: [],
    reclaim: { removed: [], temps: 0, cacheEntries: 0, orphanFolders: [], orphanFoldersKept: [] },
  };
  // Blobs whose rename out of a slot a crash lost go back in place first, so that index
  // checks and a rebuild find them (see BlobStore.settleSlots).
  const slots = await u.blobs.settleSlots();
  if (slots.restored.length > 0) report.actions.push(`put ${slots.restored.length} blobs found in slots back in place`);
  const copies = await u.list.inspect();
  if (
    copies.primary.kind !== "ok" ||
    copies.backup.kind !== "ok" ||
    copies.primary.generation !== copies.backup.generation
  ) {
    await u.list.save();
    report.actions.push("rewrote the mailbox list and its backup");
  }
  for (const entry of [...u.list.doc.mailboxes]) {
    if (entry.id === null) continue;
    const folder = u.folderOf(entry.id);
    await u.closeHandle(entry.id, "mailbox under repair");
    if (await indexFilesGone(folder)) {
      report.rebuilt.push(await rebuildMailbox(u, entry.id));
      report.actions.push(`rebuilt ${entry.name} from blobs`);
      continue;
    }
    const v = await verifyIndex(folder);
    if (v.ok) continue;
    const r = await repairIndex(folder, { salvage: true });
    report.actions.push(`repaired the index of ${entry.name}${r.salvaged ? " (salvaged: some of it was lost)" : ""}`);
    if (r.salvaged)
      report.salvaged.push({
        mailbox: entry.name,
        problems: r.recovery.problems,
        lostUidRanges: r.recovery.lostUidRanges,
      });
  }
  const after = await verifyUser(u);
  report.damagedBlobs = after.damagedBlobs;
  if (report.rebuilt.length > 0) {
    // A rebuilt mailbox only recovers blobs whose origin it is; messages copied or moved
    // into it are blobs no index refers to now, and reclaiming them would destroy the only
    // copy. They are adopted into a holding mailbox instead; reclaim runs only if that
    // left no intact blob unreferenced.
    const adopted = await adoptOrphanBlobs(u);
    if (adopted) {
      report.adopted = adopted;
      if (adopted.messages > 0)
        report.actions.push(`added ${adopted.messages} messages no index referred to to ${adopted.mailbox}`);
    }
    if (!adopted || adopted.damaged.length > 0)
      report.reclaim.refused = "a mailbox was rebuilt from blobs: unreferenced blobs are kept, no blob deleted";
    else report.reclaim = await reclaimUser(u);
  } else {
    report.reclaim = await reclaimUser(u);
  }
  return report;
}

/**
 * After a rebuild: every intact blob that no index refers to becomes a message of
 * `RECOVERED_MAILBOX` (created when missing), with the GUID, size, internal date and hash
 * of its header and no flags. Which mailbox such a message was copied or moved into is not
 * recorded anywhere once that mailbox's index is lost, so it is not guessed; an operator
 * moves the messages back. (A blob leaked by an expunge whose deletion a crash cut short is
 * adopted too: after an index loss the store cannot tell it from a copy.) Undefined when
 * some mailbox cannot be read in full (nothing is adopted then).
 */
export async function adoptOrphanBlobs(u: UserStore): Promise<AdoptReport | undefined> {
  const { guids } = await u.blobs.list();
  const pinned = u.pinned();
  const referenced = await u.referencedAmong(undefined);
  if (!referenced) return undefined;
  const headers: BlobHeader[] = [];
  const damaged: AdoptReport["damaged"] = [];
  for (const g of guids) {
    if (referenced.has(g) || pinned.has(g)) continue;
    const c = await u.blobs.check(g);
    if (c.kind === "ok") headers.push(c.header);
    else damaged.push({ guid: g, reason: c.kind === "missing" ? "blob file is missing" : c.reason });
  }
  const report: AdoptReport = { mailbox: RECOVERED_MAILBOX, messages: 0, damaged };
  if (headers.length === 0) return report;
  const existing = u.listMailboxes().find((m) => m.name === RECOVERED_MAILBOX);
  if (!existing?.selectable) await u.create(RECOVERED_MAILBOX);
  const handle = await u.handleByName(RECOVERED_MAILBOX);
  headers.sort((a, b) => a.internalDate - b.internalDate);
  const txn = handle.index.transaction();
  for (const h of headers)
    txn.append({ guid: h.guid, size: h.size, internalDate: h.internalDate, contentHash: h.contentHash, flags: [] });
  const result = await txn.commit();
  handle.notify();
  report.messages = result.appended.length;
  return report;
}

/**
 * Recreate a mailbox whose index, backup and log are all gone, from the blobs whose origin
 * is this mailbox: same GUIDs, internal dates and sizes; the UID each blob recorded when it
 * is usable (ascending and unique), else the next free one; a new UIDVALIDITY (UIDNEXT and
 * HIGHESTMODSEQ of the lost index cannot be proven); no flags (they lived only in the index).
 */
export async function rebuildMailbox(u: UserStore, id: number): Promise<RebuildReport> {
  const entry = u.list.byId(id);
  if (!entry) throw new MailboxDamagedError(`no mailbox with id ${id}`);
  const { guids } = await u.blobs.list();
  const found: BlobHeader[] = [];
  for (const g of guids) {
    const c = await u.blobs.check(g);
    if (c.kind === "ok" && c.header.originMailboxId === id) found.push(c.header);
  }
  found.sort(
    (a, b) =>
      (a.originUid || Number.MAX_SAFE_INTEGER) - (b.originUid || Number.MAX_SAFE_INTEGER) ||
      a.internalDate - b.internalDate,
  );
  const elsewhere = await u.referencedAmong(new Set(found.map((h) => guidToHex(h.guid))), id);
  const oldUidValidity = entry.uidValidity;
  const records: MessageRecord[] = [];
  let last = 0;
  let sameUid = 0;
  for (const h of found) {
    let uid = last + 1;
    if (h.originUid > last) {
      uid = h.originUid;
      sameUid++;
    }
    last = uid;
    records.push({
      uid,
      flags: 0,
      keywords: new Uint32Array(8),
      modseq: 1,
      size: h.size,
      internalDate: h.internalDate,
      guid: h.guid,
      contentHash: h.contentHash,
    });
  }
  const newUidValidity = u.list.allocateUidValidity();
  entry.uidValidity = newUidValidity;
  await u.list.save();
  const folder = u.folderOf(id);
  await rm(join(folder, FileName.lock), { force: true });
  for (const f of await readdir(folder).catch(() => [] as string[])) if (f.endsWith(".tmp")) await rm(join(folder, f));
  // The index's explicit rebuild entry point: snapshot, backup and log from these messages
  // and this UIDNEXT (open no longer accepts a snapshot without its log).
  await rebuildIndex(folder, { uidValidity: newUidValidity, uidNext: last + 1, highestModseq: 1, messages: records });
  const handle = await u.handleById(id);
  void handle;
  return {
    mailbox: entry.name,
    id,
    messages: records.length,
    sameUid,
    oldUidValidity,
    newUidValidity,
    flagsLost: records.length,
    alsoElsewhere: elsewhere?.size ?? 0,
  };
}

/** Delete blobs no index refers to, and stale temp files. Refused while any mailbox is unreadable. */
export async function reclaimUser(u: UserStore): Promise<ReclaimReport> {
  // Slots first, even when deleting blobs is refused below (settling never deletes an intact
  // blob): an intact blob whose rename a crash lost is put in place (and is then an ordinary
  // blob: kept while referenced); empty and torn slots go.
  const settled = await u.blobs.settleSlots();
  const orphans = await u.removeOrphanFolders();
  const orphanFolders = orphans.removed;
  const orphanFoldersKept = orphans.kept;
  if (orphanFoldersKept.length > 0) {
    // Folders no list entry names but that hold mail (a list restored from its backup, one
    // generation old): their messages' blobs are referenced only there. Delete nothing.
    return {
      removed: [],
      temps: settled.removed,
      cacheEntries: 0,
      orphanFolders,
      orphanFoldersKept,
      refused: "mailbox folders outside the list hold mail (kept for an operator): no blob deleted",
    };
  }
  const { guids } = await u.blobs.list();
  // Pins first, references second: a GUID unpinned in between was committed before (see UserStore).
  const pinned = u.pinned();
  const referenced = await u.referencedAmong(undefined);
  if (!referenced)
    return {
      removed: [],
      temps: settled.removed,
      cacheEntries: 0,
      orphanFolders,
      orphanFoldersKept,
      refused: "a mailbox cannot be read in full (repair it first): no blob deleted",
    };
  const removed: string[] = [];
  for (const g of guids) {
    if (referenced.has(g) || pinned.has(g) || u.pinned().has(g)) continue;
    await u.blobs.remove(g);
    await u.structures.remove(g);
    removed.push(g);
  }
  const tempCount = settled.removed;
  const onDisk = new Set(guids);
  let cacheEntries = 0;
  for (const g of await u.structures.list()) {
    if (onDisk.has(g) && !removed.includes(g)) continue;
    if ((await u.blobs.readHeader(g)).kind !== "missing") continue;
    await u.structures.remove(g);
    cacheEntries++;
  }
  return { removed, temps: tempCount, cacheEntries, orphanFolders, orphanFoldersKept };
}
