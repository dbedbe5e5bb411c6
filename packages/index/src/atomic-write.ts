import { dirname, join } from "node:path";
import type { IndexFs } from "./fs.js";

/**
 * Create `folder` (and missing parents) and make the new names durable: a folder's entry
 * lives in its parent, so each parent of a created folder is fsynced, deepest first.
 */
export async function makeFolder(fs: IndexFs, folder: string): Promise<void> {
  const first = await fs.mkdir(folder);
  if (first === undefined) return;
  for (let dir = folder; ; dir = dirname(dir)) {
    await fs.fsyncDir(dirname(dir));
    if (dir === first || dirname(dir) === dir) break;
  }
}

/** Replace `name` in `dir` atomically: temp file, fsync, rename, fsync the folder. */
export async function writeAtomic(fs: IndexFs, dir: string, name: string, data: Uint8Array): Promise<void> {
  const temp = join(dir, `${name}.tmp`);
  const file = await fs.open(temp, "replace");
  try {
    await file.write(data, 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(temp, join(dir, name));
  await fs.fsyncDir(dir);
}
