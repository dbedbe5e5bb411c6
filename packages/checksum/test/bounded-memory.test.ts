import { beforeAll, describe, expect, it } from "vitest";
import { createXxh64, initChecksum, xxh64 } from "../src/index.js";

// xxhash-wasm copies every input into WASM memory, which never shrinks. If a large buffer
// reached it whole, resident memory would grow by the buffer's size for good. Hash 256 MiB
// through both entry points and check resident memory grew by far less than that.
const SIZE = 256 * 1024 * 1024;

beforeAll(() => initChecksum());

describe("bounded WASM memory", () => {
  it("hashing a 256 MiB buffer one-shot and streamed grows RSS by far less than the buffer", () => {
    const data = Buffer.alloc(SIZE, 0x5a); // touched: counted in RSS before we measure
    xxh64(data.subarray(0, 1024)); // warm up
    const before = process.memoryUsage().rss;
    const oneShot = xxh64(data);
    const streamed = createXxh64()
      .update(data.subarray(0, SIZE / 2))
      .update(data.subarray(SIZE / 2))
      .digest();
    const grown = process.memoryUsage().rss - before;
    expect(streamed).toBe(oneShot);
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  });
});
