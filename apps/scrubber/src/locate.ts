/**
 * Which mailboxes (and UIDs) of a user refer to a GUID: used to name the location of a
 * damaged blob or cache entry. Reads each mailbox's index files without a lock and rebuilds
 * the state in memory with @holdfast/index's `recover` (which never writes).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { recover } from "@holdfast/index";
import { guidToHex } from "@holdfast/store";

export interface GuidReference {
  mailboxId: number;
  uids: number[];
}

async function maybe(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

/** GUID (hex) → content hash, for every message of one mailbox's index files. */
export function contentHashes(
  files: { snapshot?: Uint8Array; backup?: Uint8Array; log?: Uint8Array },
  into: Map<string, bigint>,
): void {
  const { state } = recover({ snapshot: files.snapshot, backup: files.backup, log: files.log });
  const t = state.messages;
  for (let i = 0; i < t.count; i++)
    into.set(guidToHex(t.guids.subarray(i * 16, i * 16 + 16)), t.recordAt(i).contentHash);
}

/** The same for every mailbox of a user (reads the index files; used after a resume). */
export async function userContentHashes(home: string): Promise<Map<string, bigint>> {
  const map = new Map<string, bigint>();
  let ids: string[];
  try {
    ids = await readdir(join(home, "mailboxes"));
  } catch {
    return map;
  }
  for (const id of ids.filter((x) => /^[0-9]+$/.test(x))) {
    const folder = join(home, "mailboxes", id);
    try {
      const [snapshot, backup, log] = await Promise.all(
        ["index", "index.backup", "log"].map((f) => maybe(join(folder, f))),
      );
      contentHashes({ snapshot, backup, log }, map);
    } catch {
      // reported by the mailbox's own unit
    }
  }
  return map;
}

export async function locateGuid(home: string, guid: string): Promise<GuidReference[]> {
  const found: GuidReference[] = [];
  let ids: string[];
  try {
    ids = await readdir(join(home, "mailboxes"));
  } catch {
    return found;
  }
  for (const id of ids.filter((x) => /^[0-9]+$/.test(x)).sort((a, b) => Number(a) - Number(b))) {
    const folder = join(home, "mailboxes", id);
    try {
      const [snapshot, backup, log] = await Promise.all(
        ["index", "index.backup", "log"].map((f) => maybe(join(folder, f))),
      );
      const { state } = recover({ snapshot, backup, log });
      const t = state.messages;
      const uids: number[] = [];
      for (let i = 0; i < t.count; i++) {
        if (guidToHex(t.guids.subarray(i * 16, i * 16 + 16)) === guid) uids.push(t.uids[i]!);
      }
      if (uids.length) found.push({ mailboxId: Number(id), uids });
    } catch {
      // an index that cannot be read at all is reported by its own unit
    }
  }
  return found;
}
