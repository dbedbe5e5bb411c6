import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IndexClosedError, type IndexFile, type IndexFs, MailboxIndex, nodeFs, type OpenMode } from "../src/index.js";
import { message, tempFolder } from "./helpers/mailbox.js";

/** The real file layer, counting fdatasyncs and letting a test hold them or make them fail. */
class CountingFs implements IndexFs {
  datasyncs = 0;
  hold: Promise<void> | undefined;
  failNext = false;
  async open(path: string, mode: OpenMode): Promise<IndexFile> {
    const file = await nodeFs.open(path, mode);
    const outer = this;
    return {
      read: (t, l, p) => file.read(t, l, p),
      write: (d, p) => file.write(d, p),
      truncate: (s) => file.truncate(s),
      sync: () => file.sync(),
      async datasync() {
        outer.datasyncs++;
        if (outer.hold) await outer.hold;
        if (outer.failNext) {
          outer.failNext = false;
          throw Object.assign(new Error("EIO: simulated"), { code: "EIO" });
        }
        return file.datasync();
      },
      size: () => file.size(),
      close: () => file.close(),
    };
  }
  readFile = nodeFs.readFile;
  rename = nodeFs.rename;
  link = nodeFs.link;
  unlink = nodeFs.unlink;
  fsyncDir = nodeFs.fsyncDir;
  mkdir = nodeFs.mkdir;
  readdir = nodeFs.readdir;
}

let dir: string;
let cleanup: () => Promise<void>;
let fs: CountingFs;
beforeEach(async () => {
  ({ dir, cleanup } = await tempFolder());
  fs = new CountingFs();
});
afterEach(() => cleanup());

describe("group commit", () => {
  it("covers many concurrent commits with few fdatasyncs, each commit's changes applied in call order", async () => {
    const index = await MailboxIndex.open(dir, { create: true, fs });
    fs.datasyncs = 0;
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => index.transaction().append(message(i)).commit()),
    );
    expect(results.map((r) => r.appended[0])).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(fs.datasyncs).toBeGreaterThan(0);
    expect(fs.datasyncs).toBeLessThanOrEqual(4);
    await index.close();
  });

  it("resolves a commit only after its fdatasync", async () => {
    const index = await MailboxIndex.open(dir, { create: true, fs });
    let release!: () => void;
    fs.hold = new Promise((r) => {
      release = r;
    });
    let done = false;
    const commit = index
      .transaction()
      .append(message(1))
      .commit()
      .then(() => {
        done = true;
      });
    // A no-op commit made later waits for the earlier one too.
    let noopDone = false;
    const noop = index
      .transaction()
      .store([99], "add", ["\\Seen"])
      .commit()
      .then(() => {
        noopDone = true;
      });
    await new Promise((r) => setTimeout(r, 30));
    expect(fs.datasyncs).toBe(1);
    expect(done).toBe(false);
    expect(noopDone).toBe(false);
    fs.hold = undefined;
    release();
    await commit;
    await noop;
    expect(done && noopDone).toBe(true);
    await index.close();
  });

  it('fsync: "never" (unsafe) does not call fdatasync', async () => {
    const index = await MailboxIndex.open(dir, { create: true, fs, fsync: "never" });
    fs.datasyncs = 0;
    await index.transaction().append(message(1)).commit();
    expect(fs.datasyncs).toBe(0);
    await index.close();
  });

  it("a failed fdatasync fails the commit and poisons the index; reopening recovers", async () => {
    const index = await MailboxIndex.open(dir, { create: true, fs });
    await index.transaction().append(message(1)).commit();
    fs.failNext = true;
    await expect(index.transaction().append(message(2)).commit()).rejects.toThrow("EIO");
    await expect(index.transaction().append(message(3)).commit()).rejects.toBeInstanceOf(IndexClosedError);
    await index.close();
    const again = await MailboxIndex.open(dir, { fs });
    // The failed commit may or may not be on disk (it was never acknowledged); UID 1 is.
    expect(again.state.messages.indexOf(1)).toBe(0);
    expect(again.readOnly).toBe(false);
    await again.close();
  });
});
