import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { xxh64 as nativeXxh64 } from "@node-rs/xxhash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashFile, hashStream, initChecksum, MAX_WASM_INPUT, writeFileAtomic } from "../src/index.js";

let dir: string;
beforeAll(async () => {
  await initChecksum();
  dir = await mkdtemp(join(tmpdir(), "holdfast-checksum-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("hashFile / hashStream", () => {
  it("digest a file in bounded reads: same value as hashing it whole", async () => {
    const data = Buffer.alloc(3 * MAX_WASM_INPUT + 12345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const file = join(dir, "big");
    await writeFile(file, data);
    expect(await hashFile(file)).toEqual({ xxh64: nativeXxh64(data), size: data.length });
    expect(await hashFile(file, 99n)).toEqual({ xxh64: nativeXxh64(data, 99n), size: data.length });
  });

  it("an empty file has the empty-input digest", async () => {
    const file = join(dir, "empty");
    await writeFile(file, "");
    expect(await hashFile(file)).toEqual({ xxh64: 0xef46db3751d8e999n, size: 0 });
  });

  it("a missing file is the fs error, not a wrong digest", async () => {
    await expect(hashFile(join(dir, "nope"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("hashStream takes Buffers and strings in any chunking", async () => {
    const text = "Subject: hello\r\n\r\nbody ".repeat(5000);
    const chunks = text.match(/[\s\S]{1,777}/g)!;
    expect(await hashStream(Readable.from(chunks))).toEqual({
      xxh64: nativeXxh64(Buffer.from(text)),
      size: Buffer.byteLength(text),
    });
    const bytes = Readable.from(chunks.map((c) => Buffer.from(c)));
    expect((await hashStream(bytes)).xxh64).toBe(nativeXxh64(Buffer.from(text)));
  });

  it("a stream that fails rejects", async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error("disk went away"));
      },
    });
    await expect(hashStream(failing)).rejects.toThrow("disk went away");
  });
});

describe("writeFileAtomic", () => {
  it("replaces the content and leaves no temporary file behind", async () => {
    const file = join(dir, "atomic");
    await writeFileAtomic(file, "one");
    await writeFileAtomic(file, new Uint8Array([116, 119, 111]));
    expect(await readFile(file, "utf8")).toBe("two");
    expect((await readdir(dir)).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });

  it("fails cleanly when the folder does not exist", async () => {
    await expect(writeFileAtomic(join(dir, "no", "such"), "x")).rejects.toMatchObject({ code: "ENOENT" });
  });
});
