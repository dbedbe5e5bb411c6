import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initChecksum } from "@holdfast/checksum";
import type { AppendInput } from "../../src/index.js";

/** A fresh temporary folder; `cleanup` removes it. */
export async function tempFolder(prefix = "holdfast-index-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  await initChecksum();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A deterministic message description from a number. */
export function message(n: number, flags: string[] = []): AppendInput {
  const guid = new Uint8Array(16);
  new DataView(guid.buffer).setUint32(0, n, true);
  guid[15] = 0xa5;
  return {
    guid,
    size: 1000 + n,
    internalDate: 1_700_000_000_000 + n * 1000,
    contentHash: (BigInt(n) * 0x9e3779b97f4a7c15n) & ((1n << 64n) - 1n),
    flags,
  };
}

/** Small deterministic PRNG (mulberry32) so failures reproduce from the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
