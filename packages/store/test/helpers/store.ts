import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store, type StoreOptions } from "../../src/index.js";

/** Cheap scrypt for tests (the cost is a parameter; the algorithm is the same). */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1, keyLength: 32 };

export async function tempDir(prefix = "holdfast-store-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function withStore<T>(
  fn: (store: Store, dir: string) => Promise<T>,
  options: StoreOptions = {},
): Promise<T> {
  const dir = await tempDir();
  const store = await Store.open(dir, { scrypt: TEST_SCRYPT, ...options });
  try {
    return await fn(store, dir);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

let counter = 0;

/** A small RFC 5322 message; `tag` ends up in the subject and body so tests can find it. */
export function message(tag = `m${++counter}`, extra: { from?: string; date?: string; body?: string } = {}): Buffer {
  return Buffer.from(
    [
      `From: ${extra.from ?? "Alice <alice@example.org>"}`,
      "To: Bob <bob@example.org>",
      `Subject: test ${tag}`,
      `Date: ${extra.date ?? "Mon, 7 Feb 1994 21:52:25 -0800"}`,
      `Message-ID: <${tag}@example.org>`,
      "",
      extra.body ?? `Body of ${tag}.`,
      "",
    ].join("\r\n"),
  );
}
