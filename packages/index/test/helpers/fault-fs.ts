import { dirname } from "node:path";
import type { IndexFile, IndexFs, OpenMode } from "../../src/index.js";

/*
 * A file layer that simulates a machine losing power, and disks failing an fsync. It keeps,
 * for every file, the content the disk is known to hold (made durable by sync/datasync) and
 * the content the page cache holds; for every folder, the names made durable by fsyncDir of
 * that folder and the changes since. `crashImage()` then decides what survives a cut, as a
 * disk may:
 * - each 512-byte sector written since the last sync independently holds the new or the
 *   old bytes (writes dropped, reordered or torn at any sector boundary);
 * - a file that grew has either its old or its new size (new space that was not written
 *   back reads as zeros);
 * - directory changes not yet made durable by fsyncDir of their own folder survive as a
 *   prefix (the metadata journal is ordered); a folder whose creation did not survive takes
 *   everything in it along.
 * `cutAfter(n)` makes the n-th operation from now fail with PowerCut, and every later one.
 *
 * `failSyncAfter(n)` makes the n-th file sync/datasync from now fail with EIO, as Linux
 * reports a writeback error: the dirty sectors are then marked clean in the page cache —
 * reads still return the new bytes — but the disk keeps the old ones, and no later sync
 * writes them (the file's new size does reach the disk). Only rewriting a sector makes it
 * dirty again.
 */

export class PowerCut extends Error {
  override name = "PowerCut";
}

const SECTOR = 512;

function sectorsOf(position: number, length: number): [number, number] {
  return [Math.floor(position / SECTOR), Math.floor((position + Math.max(length, 1) - 1) / SECTOR)];
}

class Inode {
  /** Sectors written since the last sync (new or old content after a cut). */
  readonly dirty = new Set<number>();
  /** Sectors whose writeback failed: the cache shows new bytes, the disk keeps the old. */
  readonly lost = new Set<number>();

  constructor(
    public durable: Uint8Array = new Uint8Array(0),
    public current: Uint8Array = new Uint8Array(0),
  ) {}

  write(data: Uint8Array, position: number): void {
    const end = position + data.byteLength;
    if (end > this.current.byteLength) {
      const grown = new Uint8Array(end);
      grown.set(this.current);
      this.current = grown;
    }
    this.current.set(data, position);
    const [a, b] = sectorsOf(position, data.byteLength);
    for (let s = a; s <= b; s++) {
      this.dirty.add(s);
      this.lost.delete(s);
    }
  }

  truncate(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.current.subarray(0, Math.min(size, this.current.byteLength)));
    this.current = next;
    // The sector holding the new end changed (bytes past the end now read as zeros).
    if (size % SECTOR !== 0) {
      const s = Math.floor(size / SECTOR);
      this.dirty.add(s);
      this.lost.delete(s);
    }
  }

  /** A sync that worked: what the cache holds reaches the disk, except sectors lost earlier. */
  sync(): void {
    const next = this.current.slice();
    for (const s of this.lost) {
      const from = s * SECTOR;
      const to = Math.min(next.byteLength, from + SECTOR);
      for (let i = from; i < to; i++) next[i] = this.durable[i] ?? 0;
    }
    this.durable = next;
    this.dirty.clear();
  }

  /** A sync that failed with EIO: dirty sectors become clean in the cache, lost on disk. */
  failSync(): void {
    for (const s of this.dirty) this.lost.add(s);
    this.dirty.clear();
    if (this.current.byteLength > this.durable.byteLength) {
      const grown = new Uint8Array(this.current.byteLength);
      grown.set(this.durable);
      this.durable = grown;
    }
  }
}

type DirOp =
  | { kind: "link"; dir: string; name: string; inode: Inode }
  | { kind: "unlink"; dir: string; name: string }
  | { kind: "rename"; dir: string; from: string; to: string }
  | { kind: "mkdir"; dir: string; name: string };

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory ${path}`), { code: "ENOENT" });
}

function eexist(path: string): Error {
  return Object.assign(new Error(`EEXIST: ${path}`), { code: "EEXIST" });
}

export interface FaultFsImage {
  files: Map<string, Uint8Array>;
  /** Folders (besides "/"); when absent, the parents of the files. */
  dirs?: Set<string>;
}

interface Tree {
  names: Map<string, Inode>;
  dirs: Set<string>;
}

export class FaultFs implements IndexFs {
  private names = new Map<string, Inode>();
  private dirs = new Set<string>(["/"]);
  private durable: Tree = { names: new Map(), dirs: new Set(["/"]) };
  private dirOps: DirOp[] = [];
  private remaining = Number.POSITIVE_INFINITY;
  private syncsBeforeFailure = Number.POSITIVE_INFINITY;
  private dead = false;
  /** Operations performed so far. */
  operations = 0;
  /** Syncs that failed with EIO so far. */
  syncFailures = 0;

  constructor(image?: FaultFsImage) {
    if (image) {
      const dirs = image.dirs ?? new Set([...image.files.keys()].map((n) => dirname(n)));
      for (const d of dirs) for (let p = d; p !== "/"; p = dirname(p)) this.dirs.add(p);
      for (const [name, data] of image.files) {
        const inode = new Inode(data.slice(), data.slice());
        this.names.set(name, inode);
        this.durable.names.set(name, inode);
        for (let p = dirname(name); p !== "/"; p = dirname(p)) this.dirs.add(p);
      }
      this.durable.dirs = new Set(this.dirs);
    }
  }

  /** The n-th operation from now (1 = the next one) and every later one fail with PowerCut. */
  cutAfter(n: number): void {
    this.remaining = n;
  }

  /** The n-th file sync or datasync from now (1 = the next one) fails with EIO, once. */
  failSyncAfter(n: number): void {
    this.syncsBeforeFailure = n;
  }

  get isCut(): boolean {
    return this.dead;
  }

  /** The file a name refers to now (to tell whether a name was given a new file). */
  inodeOf(path: string): object | undefined {
    return this.names.get(path);
  }

  private step(): void {
    if (this.dead) throw new PowerCut("power is off");
    this.operations++;
    if (--this.remaining <= 0) {
      this.dead = true;
      throw new PowerCut("power cut");
    }
  }

  /** Called by a file's sync: true when this one must fail. */
  syncFails(): boolean {
    if (--this.syncsBeforeFailure === 0) {
      this.syncFailures++;
      return true;
    }
    return false;
  }

  /** What the disk holds after a cut now, with `random` deciding what of the unsynced state survives. */
  crashImage(random: () => number): FaultFsImage {
    // Directories: the durable names plus a prefix of the changes not yet made durable.
    const tree: Tree = { names: new Map(this.durable.names), dirs: new Set(this.durable.dirs) };
    const keep = Math.floor(random() * (this.dirOps.length + 1));
    for (const op of this.dirOps.slice(0, keep)) applyDirOp(tree, op);
    const files = new Map<string, Uint8Array>();
    for (const [name, inode] of tree.names) {
      if (!reachable(tree.dirs, dirname(name))) continue;
      files.set(name, survivingContent(inode, random));
    }
    const dirs = new Set([...tree.dirs].filter((d) => d !== "/" && reachable(tree.dirs, d)));
    return { files, dirs };
  }

  /** The current (page cache) view: what a clean shutdown would leave. */
  cleanImage(): FaultFsImage {
    const files = new Map<string, Uint8Array>();
    for (const [name, inode] of this.names) files.set(name, inode.current.slice());
    return { files, dirs: new Set([...this.dirs].filter((d) => d !== "/")) };
  }

  private needDir(path: string): void {
    if (!this.dirs.has(dirname(path))) throw enoent(path);
  }

  async open(path: string, mode: OpenMode): Promise<IndexFile> {
    this.step();
    let inode = this.names.get(path);
    if (mode === "read" || mode === "readwrite") {
      if (!inode) throw enoent(path);
    } else if (mode === "create") {
      if (inode) throw eexist(path);
      inode = this.createInode(path);
    } else {
      if (!inode) inode = this.createInode(path);
      else inode.truncate(0);
    }
    return new FaultFile(this, inode, () => this.step());
  }

  private createInode(path: string): Inode {
    this.needDir(path);
    const inode = new Inode();
    this.names.set(path, inode);
    this.dirOps.push({ kind: "link", dir: dirname(path), name: path, inode });
    return inode;
  }

  async readFile(path: string): Promise<Uint8Array | undefined> {
    this.step();
    return this.names.get(path)?.current.slice();
  }

  async rename(from: string, to: string): Promise<void> {
    this.step();
    const inode = this.names.get(from);
    if (!inode) throw enoent(from);
    this.needDir(to);
    this.names.delete(from);
    this.names.set(to, inode);
    this.dirOps.push({ kind: "rename", dir: dirname(from), from, to });
  }

  async link(from: string, to: string): Promise<void> {
    this.step();
    const inode = this.names.get(from);
    if (!inode) throw enoent(from);
    if (this.names.has(to)) throw eexist(to);
    this.needDir(to);
    this.names.set(to, inode);
    this.dirOps.push({ kind: "link", dir: dirname(to), name: to, inode });
  }

  async unlink(path: string): Promise<void> {
    this.step();
    if (!this.names.has(path)) return;
    this.names.delete(path);
    this.dirOps.push({ kind: "unlink", dir: dirname(path), name: path });
  }

  /** Makes durable the changes to the names in `path` only (not in other folders). */
  async fsyncDir(path: string): Promise<void> {
    this.step();
    if (!this.dirs.has(path)) throw enoent(path);
    const rest: DirOp[] = [];
    for (const op of this.dirOps) {
      if (op.dir === path) applyDirOp(this.durable, op);
      else rest.push(op);
    }
    this.dirOps = rest;
  }

  async mkdir(path: string): Promise<string | undefined> {
    this.step();
    const missing: string[] = [];
    for (let p = path; !this.dirs.has(p); p = dirname(p)) missing.unshift(p);
    for (const d of missing) {
      this.dirs.add(d);
      this.dirOps.push({ kind: "mkdir", dir: dirname(d), name: d });
    }
    return missing[0];
  }

  async readdir(path: string): Promise<string[] | undefined> {
    this.step();
    if (!this.dirs.has(path)) return undefined;
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return [...this.names.keys()].filter((n) => dirname(n) === path).map((n) => n.slice(prefix.length));
  }
}

function reachable(dirs: Set<string>, dir: string): boolean {
  for (let p = dir; p !== "/"; p = dirname(p)) if (!dirs.has(p)) return false;
  return true;
}

function applyDirOp(tree: Tree, op: DirOp): void {
  if (op.kind === "link") tree.names.set(op.name, op.inode);
  else if (op.kind === "unlink") tree.names.delete(op.name);
  else if (op.kind === "mkdir") tree.dirs.add(op.name);
  else {
    const inode = tree.names.get(op.from);
    tree.names.delete(op.from);
    if (inode) tree.names.set(op.to, inode);
  }
}

function survivingContent(inode: Inode, random: () => number): Uint8Array {
  const old = inode.durable;
  const cur = inode.current;
  const size = old.byteLength === cur.byteLength || random() < 0.5 ? old.byteLength : cur.byteLength;
  const out = new Uint8Array(size);
  out.set(old.subarray(0, Math.min(size, old.byteLength)));
  for (const s of inode.dirty) {
    const at = s * SECTOR;
    if (at >= size || random() < 0.5) continue;
    const end = Math.min(size, at + SECTOR);
    for (let i = at; i < end; i++) out[i] = cur[i] ?? 0;
  }
  return out;
}

class FaultFile implements IndexFile {
  private closed = false;
  constructor(
    private readonly fs: FaultFs,
    private readonly inode: Inode,
    private readonly step: () => void,
  ) {}

  private use(): void {
    if (this.closed) throw new Error("file is closed");
    this.step();
  }

  async read(target: Uint8Array, length: number, position: number): Promise<number> {
    this.use();
    const part = this.inode.current.subarray(position, position + length);
    target.set(part);
    return part.byteLength;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    this.use();
    this.inode.write(data, position);
  }

  async truncate(size: number): Promise<void> {
    this.use();
    this.inode.truncate(size);
  }

  private syncNow(): void {
    this.use();
    if (this.fs.syncFails()) {
      this.inode.failSync();
      throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
    }
    this.inode.sync();
  }

  async sync(): Promise<void> {
    this.syncNow();
  }

  async datasync(): Promise<void> {
    this.syncNow();
  }

  async size(): Promise<number> {
    this.use();
    return this.inode.current.byteLength;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
