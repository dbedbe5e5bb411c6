/**
 * The work of one pass as a list of units in a fixed order (sorted by key), so a
 * checkpoint naming the last finished key says exactly what is left:
 *   users.db (both copies) → per user folder: mailbox list (both copies) → each mailbox
 *   folder (index, backup and log together) → structure cache entries → blobs.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export type UnitKind = "user-db" | "mailbox-list" | "mailbox" | "cache" | "blob";

export interface Unit {
  key: string;
  kind: UnitKind;
  /** The user's folder name under users/ (absent for the user database). */
  folder?: string;
  /** Absolute path of the file or mailbox folder. */
  path: string;
  mailboxId?: number;
  guid?: string;
  /** Bytes the unit will read (for progress and ETA). */
  size: number;
}

const GUID = /^[0-9a-f]{32}$/;

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Decode a user folder name (`%XX` escapes) back to the user name. */
export function userOfFolder(folder: string): string {
  try {
    return decodeURIComponent(folder);
  } catch {
    return folder;
  }
}

/**
 * Every unit of a pass in key order. `withSizes`: stat every cache entry and blob too (for
 * progress and ETA; costs a stat per file, so only when someone is watching).
 */
export async function listUnits(dataDir: string, withSizes = true): Promise<Unit[]> {
  const units: Unit[] = [];
  const db = join(dataDir, "users.db");
  units.push({
    key: "\u0000users.db",
    kind: "user-db",
    path: db,
    size: (await sizeOf(db)) + (await sizeOf(`${db}.backup`)),
  });
  for (const folder of await list(join(dataDir, "users"))) {
    const home = join(dataDir, "users", folder);
    const base = `${folder}\u0001`;
    const mlist = join(home, "mailboxes.list");
    units.push({
      key: `${base}1`,
      kind: "mailbox-list",
      folder,
      path: mlist,
      size: (await sizeOf(mlist)) + (await sizeOf(`${mlist}.backup`)),
    });
    for (const id of await list(join(home, "mailboxes"))) {
      if (!/^[0-9]+$/.test(id)) continue;
      const path = join(home, "mailboxes", id);
      let size = 0;
      for (const f of ["index", "index.backup", "log"]) size += await sizeOf(join(path, f));
      units.push({
        key: `${base}2${id.padStart(10, "0")}`,
        kind: "mailbox",
        folder,
        path,
        mailboxId: Number(id),
        size,
      });
    }
    for (const [rank, sub, kind] of [
      ["3", "cache", "cache"],
      ["4", "blobs", "blob"],
    ] as const) {
      for (const aa of await list(join(home, sub))) {
        if (!/^[0-9a-f]{2}$/.test(aa)) continue;
        for (const guid of await list(join(home, sub, aa))) {
          if (!GUID.test(guid)) continue;
          const path = join(home, sub, aa, guid);
          units.push({
            key: `${base}${rank}${guid}`,
            kind,
            folder,
            path,
            guid,
            size: withSizes ? await sizeOf(path) : 0,
          });
        }
      }
    }
  }
  units.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return units;
}
