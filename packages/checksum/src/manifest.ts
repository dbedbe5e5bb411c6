import { lstat, opendir, readFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { hashFile } from "./digest.js";
import { writeFileAtomic } from "./durable-file.js";
import { ChecksumError, ManifestDamagedError } from "./errors.js";
import { fromHex64, toHex64 } from "./hex.js";
import { initChecksum, xxh64 } from "./xxhash.js";

/*
 * Manifest: a text file that lists files under a root folder with their size and xxh64,
 * and ends with a checksum over itself. UTF-8, lines end with LF.
 *
 *   line             content
 *   first            "holdfast-manifest 1"
 *   one per file     "<xxh64: 16 hex> <size: decimal> <path>"   sorted by path (UTF-8 bytes)
 *   last             "end <entry count> <xxh64 of every byte before this line: 16 hex>"
 *
 * Paths are relative, "/"-separated, with no empty, "." or ".." component. In a path, "%",
 * bytes 0x00-0x1F and 0x7F are written as %XX (uppercase hex) so one entry is one line.
 *
 * Invariant: a manifest whose last line does not check out is not used at all: every
 * reader gets ManifestDamagedError, never a partial list.
 */

const MAGIC_LINE = "holdfast-manifest 1";
const MANIFEST_SEED = 0x486f6c64666d6e66n; // "Holdfmnf"
const ENTRY_LINE = /^([0-9a-f]{16}) (0|[1-9][0-9]{0,15}) (.+)$/;
const END_LINE = /^end (0|[1-9][0-9]{0,15}) ([0-9a-f]{16})$/;

export interface ManifestEntry {
  path: string;
  size: number;
  xxh64: bigint;
}

export interface Manifest {
  entries: ManifestEntry[];
}

export interface ManifestChange {
  path: string;
  expected: { size: number; xxh64: bigint };
  actual: { size: number; xxh64: bigint | null };
}

export interface ManifestReport {
  /** True when the manifest is intact and every file matches it. */
  ok: boolean;
  /** Why the manifest itself cannot be trusted; null when it checked out. */
  damaged: string | null;
  /** Listed but absent (or no longer a regular file). */
  missing: string[];
  /** Present with a different size or hash. `actual.xxh64` is null when the size already differs. */
  changed: ManifestChange[];
  /** Present but not listed. */
  extra: string[];
}

export interface ManifestScanOptions {
  /** Relative paths to skip (the manifest itself is always skipped when it lies under root). */
  exclude?: (path: string) => boolean;
}

function escapePath(path: string): string {
  return path.replace(/[%\x00-\x1f\x7f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

function unescapePath(text: string): string {
  return text.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Rejects anything that could point outside the root or be ambiguous. */
export function checkRelativePath(path: string): void {
  if (path.length === 0 || path.startsWith("/") || path.includes("\\") || path.includes("\0")) {
    throw new ChecksumError(`not a safe relative path: ${JSON.stringify(path)}`);
  }
  for (const part of path.split("/")) {
    if (part === "" || part === "." || part === "..") {
      throw new ChecksumError(`not a safe relative path: ${JSON.stringify(path)}`);
    }
  }
}

function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The manifest's bytes (requires `initChecksum()`). Entries are sorted; duplicates are an error. */
export function serializeManifest(manifest: Manifest): string {
  const entries = [...manifest.entries].sort((a, b) => comparePaths(a.path, b.path));
  const lines = [MAGIC_LINE];
  let previous: string | undefined;
  for (const entry of entries) {
    checkRelativePath(entry.path);
    if (entry.path === previous) throw new ChecksumError(`duplicate manifest entry: ${entry.path}`);
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new ChecksumError(`bad size for ${entry.path}`);
    lines.push(`${toHex64(entry.xxh64)} ${entry.size} ${escapePath(entry.path)}`);
    previous = entry.path;
  }
  const body = `${lines.join("\n")}\n`;
  const sum = xxh64(Buffer.from(body, "utf8"), MANIFEST_SEED);
  return `${body}end ${entries.length} ${toHex64(sum)}\n`;
}

/** Parse and check a manifest's bytes; `name` is used in the error. Requires `initChecksum()`. */
export function parseManifest(data: Uint8Array, name = "manifest"): Manifest {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (text.byteLength === 0 || text[text.byteLength - 1] !== 0x0a) {
    throw new ManifestDamagedError(name, "does not end with a complete line");
  }
  const lastStart = text.lastIndexOf(0x0a, text.byteLength - 2) + 1;
  const endLine = END_LINE.exec(text.toString("utf8", lastStart, text.byteLength - 1));
  if (!endLine) throw new ManifestDamagedError(name, "last line is not a valid end line");
  const body = text.subarray(0, lastStart);
  if (toHex64(xxh64(body, MANIFEST_SEED)) !== endLine[2]) {
    throw new ManifestDamagedError(name, "checksum mismatch");
  }
  const lines = body.toString("utf8").split("\n");
  lines.pop(); // body ends with LF
  if (lines[0] !== MAGIC_LINE) throw new ManifestDamagedError(name, "unknown format line");
  const entries: ManifestEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const m = ENTRY_LINE.exec(lines[i]!);
    if (!m) throw new ManifestDamagedError(name, `line ${i + 1} is not an entry`);
    const path = unescapePath(m[3]!);
    try {
      checkRelativePath(path);
    } catch {
      throw new ManifestDamagedError(name, `line ${i + 1} has an unsafe path`);
    }
    entries.push({ path, size: Number(m[2]), xxh64: fromHex64(m[1]!) });
  }
  if (entries.length !== Number(endLine[1])) throw new ManifestDamagedError(name, "entry count mismatch");
  return { entries };
}

/** Read and check a manifest file. Throws ManifestDamagedError if it cannot be trusted. */
export async function readManifest(file: string): Promise<Manifest> {
  await initChecksum();
  return parseManifest(await readFile(file), file);
}

/** Write a manifest durably (temp file, fsync, rename, fsync folder). */
export async function writeManifest(file: string, manifest: Manifest): Promise<void> {
  await initChecksum();
  await writeFileAtomic(file, serializeManifest(manifest));
}

/** Relative paths of the regular files under root, in manifest order. Symlinks are not followed. */
async function listFiles(root: string, skip: (path: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const entry of await opendir(dir)) {
      const full = join(dir, entry.name);
      const rel = relative(root, full).split(sep).join("/");
      if (skip(rel)) continue;
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) found.push(rel);
    }
  }
  await walk(root);
  return found.sort(comparePaths);
}

function skipper(root: string, file: string | undefined, options: ManifestScanOptions): (path: string) => boolean {
  const own = file ? relative(resolve(root), resolve(file)).split(sep).join("/") : undefined;
  const ownTempPrefix = own ? own.replace(/[^/]*$/, (name) => `.${name}.tmp-`) : undefined;
  return (path) =>
    path === own ||
    (ownTempPrefix !== undefined && path.startsWith(ownTempPrefix)) ||
    (options.exclude?.(path) ?? false);
}

async function entryFor(root: string, path: string): Promise<ManifestEntry> {
  const { xxh64: sum, size } = await hashFile(join(root, ...path.split("/")));
  return { path, size, xxh64: sum };
}

/** Hash every regular file under root. `file`, if under root, is left out (it is the manifest). */
export async function createManifest(
  root: string,
  options: ManifestScanOptions & { file?: string } = {},
): Promise<Manifest> {
  const paths = await listFiles(root, skipper(root, options.file, options));
  const entries: ManifestEntry[] = [];
  for (const path of paths) entries.push(await entryFor(root, path));
  return { entries };
}

/**
 * Compare root with the manifest in `file`. A damaged manifest is reported (`damaged`),
 * not thrown: the verdict is then "not ok" and nothing is listed as missing or changed,
 * since nothing in the manifest can be believed.
 */
export async function verifyManifest(
  root: string,
  file: string,
  options: ManifestScanOptions = {},
): Promise<ManifestReport> {
  let manifest: Manifest;
  try {
    manifest = await readManifest(file);
  } catch (error) {
    if (error instanceof ManifestDamagedError) {
      return { ok: false, damaged: error.reason, missing: [], changed: [], extra: [] };
    }
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return { ok: false, damaged: "manifest file is missing", missing: [], changed: [], extra: [] };
    }
    throw error;
  }
  const onDisk = new Set(await listFiles(root, skipper(root, file, options)));
  const report: ManifestReport = { ok: true, damaged: null, missing: [], changed: [], extra: [] };
  for (const expected of manifest.entries) {
    if (!onDisk.delete(expected.path)) {
      report.missing.push(expected.path);
      continue;
    }
    const full = join(root, ...expected.path.split("/"));
    const stat = await lstat(full);
    const expectedSums = { size: expected.size, xxh64: expected.xxh64 };
    if (stat.size !== expected.size) {
      report.changed.push({ path: expected.path, expected: expectedSums, actual: { size: stat.size, xxh64: null } });
      continue;
    }
    const actual = await entryFor(root, expected.path);
    if (actual.xxh64 !== expected.xxh64 || actual.size !== expected.size) {
      report.changed.push({
        path: expected.path,
        expected: expectedSums,
        actual: { size: actual.size, xxh64: actual.xxh64 },
      });
    }
  }
  report.extra = [...onDisk].sort(comparePaths);
  report.ok = report.missing.length === 0 && report.changed.length === 0 && report.extra.length === 0;
  return report;
}

/**
 * Bring the manifest in `file` up to date and write it durably. With `paths`, only those
 * entries are re-hashed (added, replaced, or dropped when the file is gone) and the rest
 * are kept, which needs an intact manifest (ManifestDamagedError otherwise). Without
 * `paths`, the whole root is re-hashed.
 */
export async function updateManifest(
  root: string,
  file: string,
  options: ManifestScanOptions & { paths?: string[] } = {},
): Promise<Manifest> {
  let manifest: Manifest;
  if (options.paths === undefined) {
    manifest = await createManifest(root, { ...options, file });
  } else {
    const byPath = new Map((await readManifest(file)).entries.map((e) => [e.path, e]));
    for (const path of options.paths) {
      checkRelativePath(path);
      try {
        const stat = await lstat(join(root, ...path.split("/")));
        if (stat.isFile()) byPath.set(path, await entryFor(root, path));
        else byPath.delete(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        byPath.delete(path);
      }
    }
    manifest = { entries: [...byPath.values()] };
  }
  await writeManifest(file, manifest);
  return manifest;
}
