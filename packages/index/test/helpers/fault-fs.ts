import type { IndexFile, IndexFs, OpenMode } from "../../src/index.js";

/*
 * A file layer that simulates a machine losing power. It keeps, for every file, the
 * content the disk is known to hold (made durable by sync/datasync) and the content the
 * page cache holds; for the folder, the names made durable by fsyncDir and the changes
 * since. `crashImage()` then decides what survives a cut, as a disk may:
 * - each 512-byte sector written since the last sync independently holds the new or the
 *   old bytes (writes dropped, reordered or torn at any sector boundary);
 * - a file that grew has either its old or its new size (new space that was not written
 *   back reads as zeros);
 * - directory changes since the last fsyncDir survive as a prefix (the metadata journal
 *   is ordered).
 * `cutAfter(n)` makes the n-th operation from now fail with PowerCut, and every later one.
 */

export class PowerCut extends Error {
  override name = "PowerCut";
}

const SECTOR = 512;

class Inode {
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
  }

  truncate(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.current.subarray(0, Math.min(size, this.current.byteLength)));
    this.current = next;
  }

  sync(): void {
    this.durable = this.current.slice();
  }
}

type DirOp =
  | { kind: "link"; name: string; inode: Inode }
  | { kind: "unlink"; name: string }
  | { kind: "rename"; from: string; to: string };

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file ${path}`), { code: "ENOENT" });
}

export interface FaultFsImage {
  files: Map<string, Uint8Array>;
}

export class FaultFs implements IndexFs {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private dirOps: DirOp[] = [];
  private remaining = Number.POSITIVE_INFINITY;
  private dead = false;
  /** Operations performed so far. */
  operations = 0;

  constructor(image?: FaultFsImage) {
    if (image) {
      for (const [name, data] of image.files) {
        const inode = new Inode(data.slice(), data.slice());
        this.names.set(name, inode);
        this.durableNames.set(name, inode);
      }
    }
  }

  /** The n-th operation from now (1 = the next one) and every later one fail with PowerCut. */
  cutAfter(n: number): void {
    this.remaining = n;
  }

  get isCut(): boolean {
    return this.dead;
  }

  private step(): void {
    if (this.dead) throw new PowerCut("power is off");
    this.operations++;
    if (--this.remaining <= 0) {
      this.dead = true;
      throw new PowerCut("power cut");
    }
  }

  /** What the disk holds after a cut now, with `random` deciding what of the unsynced state survives. */
  crashImage(random: () => number): FaultFsImage {
    // Directory: the durable names plus a prefix of the changes since the last fsyncDir.
    const names = new Map(this.durableNames);
    const keep = Math.floor(random() * (this.dirOps.length + 1));
    for (const op of this.dirOps.slice(0, keep)) applyDirOp(names, op);
    const files = new Map<string, Uint8Array>();
    for (const [name, inode] of names) files.set(name, survivingContent(inode, random));
    return { files };
  }

  /** The current (page cache) view: what a clean shutdown would leave. */
  cleanImage(): FaultFsImage {
    const files = new Map<string, Uint8Array>();
    for (const [name, inode] of this.names) files.set(name, inode.current.slice());
    return { files };
  }

  async open(path: string, mode: OpenMode): Promise<IndexFile> {
    this.step();
    let inode = this.names.get(path);
    if (mode === "read" || mode === "readwrite") {
      if (!inode) throw enoent(path);
    } else if (mode === "create") {
      if (inode) throw Object.assign(new Error(`EEXIST: ${path}`), { code: "EEXIST" });
      inode = this.link(path);
    } else {
      if (!inode) inode = this.link(path);
      else inode.truncate(0);
    }
    return new FaultFile(this, inode, () => this.step());
  }

  private link(path: string): Inode {
    const inode = new Inode();
    this.names.set(path, inode);
    this.dirOps.push({ kind: "link", name: path, inode });
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
    this.names.delete(from);
    this.names.set(to, inode);
    this.dirOps.push({ kind: "rename", from, to });
  }

  async unlink(path: string): Promise<void> {
    this.step();
    if (!this.names.has(path)) return;
    this.names.delete(path);
    this.dirOps.push({ kind: "unlink", name: path });
  }

  async fsyncDir(): Promise<void> {
    this.step();
    for (const op of this.dirOps) applyDirOp(this.durableNames, op);
    this.dirOps = [];
  }

  async mkdir(): Promise<void> {
    this.step();
  }

  async readdir(path: string): Promise<string[] | undefined> {
    this.step();
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return [...this.names.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
  }
}

function applyDirOp(names: Map<string, Inode>, op: DirOp): void {
  if (op.kind === "link") names.set(op.name, op.inode);
  else if (op.kind === "unlink") names.delete(op.name);
  else {
    const inode = names.get(op.from);
    names.delete(op.from);
    if (inode) names.set(op.to, inode);
  }
}

function survivingContent(inode: Inode, random: () => number): Uint8Array {
  const old = inode.durable;
  const cur = inode.current;
  if (old === cur) return old.slice();
  const size = random() < 0.5 ? old.byteLength : cur.byteLength;
  const out = new Uint8Array(size);
  out.set(old.subarray(0, Math.min(size, old.byteLength)));
  for (let at = 0; at < size; at += SECTOR) {
    const end = Math.min(size, at + SECTOR);
    let differs = false;
    for (let i = at; i < end; i++) {
      if ((old[i] ?? 0) !== (cur[i] ?? 0)) {
        differs = true;
        break;
      }
    }
    if (differs && random() < 0.5) {
      for (let i = at; i < end; i++) out[i] = cur[i] ?? 0;
    }
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

  async sync(): Promise<void> {
    this.use();
    this.inode.sync();
  }

  async datasync(): Promise<void> {
    this.use();
    this.inode.sync();
  }

  async size(): Promise<number> {
    this.use();
    return this.inode.current.byteLength;
  }

  async close(): Promise<void> {
    this.closed = true;
    void this.fs;
  }
}
