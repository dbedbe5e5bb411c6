/**
 * Whether a lock file (the store's `<data>/lock` or an index's `<mailbox>/lock`) is held by
 * a live process: `{ pid, start }` JSON, stale when the pid is gone or was reused (start
 * time differs). The scrubber only looks at locks to decide; it takes one only to repair.
 */
import { readFile } from "node:fs/promises";
import { processStartTime } from "@holdfast/index";

export async function lockHolder(lockPath: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath, "utf8");
  } catch {
    return undefined;
  }
  try {
    const { pid, start } = JSON.parse(text) as { pid?: unknown; start?: unknown };
    if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
    }
    const now = processStartTime(pid);
    if (typeof start === "string" && now !== undefined && now !== start) return undefined;
    return pid;
  } catch {
    return undefined;
  }
}
