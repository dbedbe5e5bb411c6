import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ChecksumError,
  createManifest,
  initChecksum,
  ManifestDamagedError,
  parseManifest,
  readManifest,
  serializeManifest,
  updateManifest,
  verifyManifest,
  writeManifest,
} from "../src/index.js";

let root: string;
let file: string;

beforeEach(async () => {
  await initChecksum();
  root = await mkdtemp(join(tmpdir(), "holdfast-manifest-"));
  file = join(root, "MANIFEST");
  await mkdir(join(root, "a", "b"), { recursive: true });
  await writeFile(join(root, "top.txt"), "top");
  await writeFile(join(root, "a", "one"), "1");
  await writeFile(join(root, "a", "b", "two"), "22");
  await writeFile(join(root, "a", "odd name\twith\nnewline %41 é"), "odd");
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe("manifest", () => {
  it("create → write → verify is clean, and the manifest does not list itself", async () => {
    await writeManifest(file, await createManifest(root, { file }));
    const manifest = await readManifest(file);
    expect(manifest.entries.map((e) => e.path)).toEqual([
      "a/b/two",
      "a/odd name\twith\nnewline %41 é",
      "a/one",
      "top.txt",
    ]);
    expect(await verifyManifest(root, file)).toEqual({ ok: true, damaged: null, missing: [], changed: [], extra: [] });
  });

  it("reports missing, changed (same size and different size) and extra files", async () => {
    await writeManifest(file, await createManifest(root, { file }));
    await rm(join(root, "a", "one"));
    await writeFile(join(root, "top.txt"), "TOP"); // same size, different content
    await writeFile(join(root, "a", "b", "two"), "longer");
    await writeFile(join(root, "new"), "n");
    const report = await verifyManifest(root, file);
    expect(report.ok).toBe(false);
    expect(report.damaged).toBeNull();
    expect(report.missing).toEqual(["a/one"]);
    expect(report.changed.map((c) => c.path)).toEqual(["a/b/two", "top.txt"]);
    expect(report.changed[0]!.actual.xxh64).toBeNull();
    expect(report.changed[1]!.actual.xxh64).not.toBeNull();
    expect(report.extra).toEqual(["new"]);
  });

  it("any damage to the manifest itself is reported as damage, never as a verdict about the files", async () => {
    await writeManifest(file, await createManifest(root, { file }));
    const bytes = await readFile(file);
    for (let i = 0; i < bytes.length; i++) {
      const damaged = Buffer.from(bytes);
      damaged[i]! ^= 0x04;
      expect(() => parseManifest(damaged, "m")).toThrow(ManifestDamagedError);
    }
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => parseManifest(bytes.subarray(0, cut), "m")).toThrow(ManifestDamagedError);
    }
    const damaged = Buffer.from(bytes);
    damaged[30]! ^= 0x01;
    await writeFile(file, damaged);
    const report = await verifyManifest(root, file);
    expect(report.ok).toBe(false);
    expect(report.damaged).toMatch(/checksum|line|entry|format/);
    await expect(readManifest(file)).rejects.toThrow(ManifestDamagedError);
  });

  it("a missing manifest is reported as such", async () => {
    expect(await verifyManifest(root, file)).toMatchObject({ ok: false, damaged: "manifest file is missing" });
  });

  it("update with paths re-hashes only those; without paths rebuilds everything", async () => {
    await writeManifest(file, await createManifest(root, { file }));
    await writeFile(join(root, "top.txt"), "changed");
    await writeFile(join(root, "added"), "x");
    await rm(join(root, "a", "one"));
    await updateManifest(root, file, { paths: ["top.txt", "added", "a/one"] });
    expect(await verifyManifest(root, file)).toMatchObject({ ok: true });
    await writeFile(join(root, "later"), "y");
    expect((await verifyManifest(root, file)).extra).toEqual(["later"]);
    await updateManifest(root, file);
    expect(await verifyManifest(root, file)).toMatchObject({ ok: true });
  });

  it("a partial update refuses to build on a damaged manifest", async () => {
    await writeManifest(file, await createManifest(root, { file }));
    await writeFile(file, (await readFile(file, "utf8")).replace("top.txt", "tOp.txt"));
    await expect(updateManifest(root, file, { paths: ["top.txt"] })).rejects.toThrow(ManifestDamagedError);
  });

  it("symlinks are not followed and the exclude hook is honoured", async () => {
    await symlink("/etc", join(root, "link"));
    const manifest = await createManifest(root, { file, exclude: (p) => p.startsWith("a/b") });
    expect(manifest.entries.map((e) => e.path)).toEqual(["a/odd name\twith\nnewline %41 é", "a/one", "top.txt"]);
  });

  it("refuses unsafe or duplicate paths when serialising", () => {
    for (const path of ["../x", "/abs", "a//b", "a/./b", "", "a\\b", "nul\0"]) {
      expect(() => serializeManifest({ entries: [{ path, size: 0, xxh64: 0n }] })).toThrow(ChecksumError);
    }
    const twice = { path: "x", size: 0, xxh64: 0n };
    expect(() => serializeManifest({ entries: [twice, twice] })).toThrow(ChecksumError);
  });
});
