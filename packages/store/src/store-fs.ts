import type { FileHandle } from "node:fs/promises";
import { mkdir } from "node:fs/promises";
import { dirname, relative, sep } from "node:path";
import { fsyncDirectory } from "@holdfast/checksum";

/**
 * The durability points of the store's own files (message blobs and the folders the store
 * creates), as one small layer: every fdatasync of a blob and every fsync of a folder goes
 * through it. The default is node:fs. Tests pass a layer that wraps it to record the order
 * of syncs against acknowledgements, delay a sync, or fail one with EIO; the crash test uses
 * one that reports which blobs became durable, so it can tear the others after a kill the
 * way a power cut would. (Index files have their own layer, `IndexFs` of @holdfast/index;
 * the user database and mailbox lists are written with @holdfast/checksum's writeFileAtomic.)
 */
export interface StoreFs {
  /**
   * Make the bytes (and size) of an open file durable: fdatasync. `path` is the file's name
   * when the sync is issued (a blob slot may be renamed to its final name while it runs).
   */
  datasync(file: FileHandle, path: string): Promise<void>;
  /**
   * Make the entries of a folder durable (new names, renames, removals): fsync of the
   * folder. `handle`, when given, is an open handle of that folder to sync (not closed here).
   */
  fsyncDir(path: string, handle?: FileHandle): Promise<void>;
}

export const nodeStoreFs: StoreFs = {
  datasync: (file) => file.datasync(),
  fsyncDir: (path, handle) => (handle ? handle.sync() : fsyncDirectory(path)),
};

/**
 * Create `dir` (and missing parents up to `root`) and make every level durable in its
 * parent. The parents are synced even when the folder already existed: it may have been
 * made by an earlier process that crashed before its own fsync (a name that is not durable
 * can vanish in a power cut with everything later written below it).
 */
export async function ensureDurableDir(fs: StoreFs, dir: string, root: string, fsync: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (!fsync) return;
  const rel = relative(root, dir);
  if (rel.startsWith("..")) throw new Error(`${dir} is not below ${root}`);
  // Deepest level first: a child's entry is synced in its parent, up to the root's parent.
  let at = dir;
  for (let depth = rel === "" ? 0 : rel.split(sep).length; depth >= 0; depth--) {
    await fs.fsyncDir(dirname(at));
    at = dirname(at);
  }
}
