/**
 * The writes `--repair` makes, each under the lock that protects what it changes.
 */
import { join } from "node:path";
import { writeFileAtomic } from "@holdfast/checksum";
import { IndexLockedError, MailboxLock, nodeFs, repair } from "@holdfast/index";
import { Store } from "@holdfast/store";
import { locateGuid } from "./locate.js";
import { lockHolder } from "./locks.js";
import { userOfFolder } from "./units.js";

export interface RepairOutcome {
  ok: boolean;
  action: string;
}

/** Lossless repair of an index folder from its redundant copies, under the mailbox's lock. */
export async function repairIndexFolder(folder: string): Promise<RepairOutcome> {
  try {
    const r = await repair(folder);
    if (r.repaired)
      return { ok: true, action: `repaired from redundant copies (${r.recovery.actions.join("; ") || "rewritten"})` };
    return { ok: false, action: `not repaired: ${r.after.problems.join("; ") || "damage not covered by a copy"}` };
  } catch (error) {
    if (error instanceof IndexLockedError)
      return { ok: false, action: `busy: the mailbox is open in process ${error.holderPid ?? "?"}; retry later` };
    return { ok: false, action: `repair failed: ${(error as Error).message}` };
  }
}

/**
 * Rewrite a damaged or stale copy of a record file (user database, mailbox list) with the
 * bytes of the intact copy. The store keeps these files in memory and rewrites them, so this
 * needs the data folder's lock: it works only while holdfast-proxy is stopped.
 */
export async function repairRecordCopy(dataDir: string, path: string, goodBytes: Uint8Array): Promise<RepairOutcome> {
  let lock: MailboxLock;
  try {
    lock = await MailboxLock.acquire(nodeFs, dataDir);
  } catch (error) {
    if (error instanceof IndexLockedError)
      return {
        ok: false,
        action: `not repaired: the data folder is in use by process ${error.holderPid ?? "?"} (stop holdfast-proxy and run --repair again)`,
      };
    throw error;
  }
  try {
    await writeFileAtomic(path, goodBytes);
    return { ok: true, action: "rewritten from the intact copy" };
  } finally {
    await lock.release();
  }
}

/**
 * Re-parse the structure of messages whose cache entry was deleted: through the store, which
 * writes a fresh entry. Only when the data folder is free; otherwise the running store
 * re-parses on next use.
 */
export async function rebuildCacheEntries(dataDir: string, byFolder: Map<string, string[]>): Promise<string> {
  const holder = await lockHolder(join(dataDir, "lock"));
  if (holder !== undefined) return `holdfast-proxy (process ${holder}) re-parses it on next use`;
  let store: Store;
  try {
    store = await Store.open(dataDir);
  } catch (error) {
    return `re-parse skipped: ${(error as Error).message}`;
  }
  let done = 0;
  let failed = 0;
  try {
    for (const [folder, guids] of byFolder) {
      const user = userOfFolder(folder);
      const mail = await store.mailboxes(user);
      const names = new Map(mail.listMailboxes().map((m) => [m.id, m.name] as const));
      for (const guid of guids) {
        const ref = (await locateGuid(join(dataDir, "users", folder), guid))[0];
        const name = ref ? names.get(ref.mailboxId) : undefined;
        if (!ref || !name) continue;
        try {
          await mail.structure(name, ref.uids[0]!);
          done++;
        } catch {
          failed++;
        }
      }
    }
  } finally {
    await store.close();
  }
  return failed ? `re-parsed ${done}, ${failed} failed` : "re-parsed from the blob";
}
