import type { FileHandle } from "node:fs/promises";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { SlotPool } from "../src/blob-slots.js";
import { nodeStoreFs, SLOT_NAME, StoreClosedError, type StoreFs } from "../src/index.js";
import { tempDir } from "./helpers/store.js";

/** The real sync layer, remembering which names of tmp/ each completed folder fsync covered. */
class NamesFs implements StoreFs {
  readonly durable = new Set<string>();
  tmpSyncs = 0;
  datasync(file: FileHandle, path: string): Promise<void> {
    return nodeStoreFs.datasync(file, path);
  }
  async fsyncDir(path: string, handle?: FileHandle): Promise<void> {
    const names = basename(path) === "tmp" ? await readdir(path) : [];
    await nodeStoreFs.fsyncDir(path, handle);
    if (basename(path) === "tmp") this.tmpSyncs++;
    for (const n of names) this.durable.add(n);
  }
}

describe("blob slot pool", () => {
  it("hands out empty slots whose names were durable, made in batches, and gives idle ones back", async () => {
    const dir = await tempDir("holdfast-slots-");
    const blobs = join(dir, "blobs");
    await mkdir(blobs);
    const fs = new NamesFs();
    const active = new Set<string>();
    const pool = new SlotPool(blobs, fs, true, active, 200);
    try {
      const taken = [];
      for (let i = 0; i < 20; i++) taken.push(await pool.take());
      for (const s of taken) {
        expect(basename(s.path)).toMatch(SLOT_NAME);
        expect(fs.durable.has(basename(s.path))).toBe(true);
        expect(active.has(s.path)).toBe(true);
        expect(pool.holds(s.path)).toBe(false);
        expect((await stat(s.path)).size).toBe(0);
        await s.handle.close();
      }
      // 20 slots from batches of 16: two or three folder fsyncs, not twenty.
      expect(fs.tmpSyncs).toBeGreaterThanOrEqual(2);
      expect(fs.tmpSyncs).toBeLessThanOrEqual(3);
      const tmp = join(blobs, "tmp");
      const ready = (await readdir(tmp)).filter((f) => pool.holds(join(tmp, f)));
      expect(ready.length).toBeGreaterThan(0);
      // No take for the idle period: the ready slots are closed and removed.
      await new Promise((r) => setTimeout(r, 600));
      expect((await readdir(tmp)).filter((f) => pool.holds(join(tmp, f)))).toEqual([]);
      expect((await readdir(tmp)).sort()).toEqual(taken.map((s) => basename(s.path)).sort());
      // And a later append gets a fresh durable slot.
      const again = await pool.take();
      expect(fs.durable.has(basename(again.path))).toBe(true);
      await again.handle.close();
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("issues a background batch's folder fsync beside an append's fdatasync (or alone after 1 s), never before its files exist", async () => {
    const dir = await tempDir("holdfast-slots-");
    const blobs = join(dir, "blobs");
    await mkdir(blobs);
    const fs = new NamesFs();
    const pool = new SlotPool(blobs, fs, true, new Set());
    const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      // The first take waits for its batch: that fsync is issued at once.
      const taken = [await pool.take()];
      expect(fs.tmpSyncs).toBe(1);
      // Down to 8 ready: the next batch is created in the background and waits for an append's sync.
      for (let i = 0; i < 7; i++) taken.push(await pool.take());
      await settle(150);
      expect(fs.tmpSyncs).toBe(1);
      const tmp = join(blobs, "tmp");
      expect((await readdir(tmp)).length).toBe(32);
      pool.syncing(); // an append's fdatasync was issued: the batch's fsync goes with it
      await settle(150);
      expect(fs.tmpSyncs).toBe(2);
      // The next batch gets no append sync: it issues its fsync alone after about a second.
      for (let i = 0; i < 16; i++) taken.push(await pool.take());
      await settle(150);
      expect(fs.tmpSyncs).toBe(2);
      await settle(1200);
      expect(fs.tmpSyncs).toBe(3);
      // A take that finds none ready does not wait for an append's sync either.
      for (let i = 0; i < 25; i++) taken.push(await pool.take()); // 24 were ready
      expect(fs.tmpSyncs).toBe(4);
      for (const s of taken) {
        expect(fs.durable.has(basename(s.path))).toBe(true);
        await s.handle.close();
      }
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("close removes the unused slots and refuses further takes with StoreClosedError", async () => {
    const dir = await tempDir("holdfast-slots-");
    const blobs = join(dir, "blobs");
    await mkdir(blobs);
    const pool = new SlotPool(blobs, nodeStoreFs, true, new Set());
    try {
      const s = await pool.take();
      await s.handle.close();
      await pool.close();
      expect(await readdir(join(blobs, "tmp"))).toEqual([basename(s.path)]);
      await expect(pool.take()).rejects.toThrow(StoreClosedError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
