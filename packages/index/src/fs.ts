import { constants as fsConstants } from "node:fs";
import { type FileHandle, link, mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";

/*
 * The file layer. Every byte the index reads or writes goes through this interface, so a
 * test can run the real index code over a layer that injects faults (power cuts that drop,
 * reorder or tear unsynced writes). `nodeFs` is the real implementation.
 *
 * Contract the index relies on (what a POSIX filesystem gives):
 * - `write` at a position is not durable until `sync`/`datasync` of that file resolves.
 * - Creating, renaming or removing a name is not durable until `fsyncDir` of its folder.
 * - `rename` replaces the target atomically (after a crash: old or new, never neither).
 */

/** An open file. Positions are absolute byte offsets; writes are positional (pwrite). */
export interface IndexFile {
  /** Read up to `length` bytes at `position` into `target` from offset 0; returns bytes read. */
  read(target: Uint8Array, length: number, position: number): Promise<number>;
  /**
   * Write all of `data` at `position`. The bytes are taken when the returned promise
   * resolves (copied to the page cache, or by a test layer): the caller may then reuse
   * `data`, and does (the log's batch records are encoded into reused buffers).
   */
  write(data: Uint8Array, position: number): Promise<void>;
  truncate(size: number): Promise<void>;
  /** fsync: data and metadata. */
  sync(): Promise<void>;
  /** fdatasync: data and what is needed to read it back (the size). */
  datasync(): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/**
 * "read": existing file, read only. "readwrite": existing file. "create": new file, fails if
 * it exists (O_EXCL). "replace": create or truncate to zero.
 */
export type OpenMode = "read" | "readwrite" | "create" | "replace";

export interface IndexFs {
  open(path: string, mode: OpenMode): Promise<IndexFile>;
  /** Whole file, or undefined when it does not exist. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  rename(from: string, to: string): Promise<void>;
  /** A second name for an existing file; fails with code EEXIST when `to` exists. */
  link(from: string, to: string): Promise<void>;
  /** Remove a name; no error when it does not exist. */
  unlink(path: string): Promise<void>;
  /** fsync of the folder `path`: makes the names created, renamed or removed in it durable. */
  fsyncDir(path: string): Promise<void>;
  /**
   * Create a folder and its missing parents; returns the first folder created (the caller
   * fsyncs the parents to make them durable), undefined when it existed.
   */
  mkdir(path: string): Promise<string | undefined>;
  /** Names in a folder, or undefined when the folder does not exist. */
  readdir(path: string): Promise<string[] | undefined>;
}

/** Node's `code` on a failed system call. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

class NodeFile implements IndexFile {
  constructor(private readonly handle: FileHandle) {}

  async read(target: Uint8Array, length: number, position: number): Promise<number> {
    const { bytesRead } = await this.handle.read(target, 0, length, position);
    return bytesRead;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.handle.write(data, done, data.byteLength - done, position + done);
      done += bytesWritten;
    }
  }

  truncate(size: number): Promise<void> {
    return this.handle.truncate(size);
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

const FLAGS: Record<OpenMode, number> = {
  read: fsConstants.O_RDONLY,
  readwrite: fsConstants.O_RDWR,
  create: fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL,
  replace: fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_TRUNC,
};

/** The real file layer on node:fs. */
export const nodeFs: IndexFs = {
  async open(path, mode) {
    return new NodeFile(await open(path, FLAGS[mode], 0o600));
  },
  async readFile(path) {
    try {
      const data = await readFile(path);
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return undefined;
      throw error;
    }
  },
  rename(from, to) {
    return rename(from, to);
  },
  link(from, to) {
    return link(from, to);
  },
  async unlink(path) {
    try {
      await unlink(path);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
    }
  },
  async fsyncDir(path) {
    const handle = await open(path, fsConstants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async mkdir(path) {
    return await mkdir(path, { recursive: true });
  },
  async readdir(path) {
    try {
      return await readdir(path);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return undefined;
      throw error;
    }
  },
};
