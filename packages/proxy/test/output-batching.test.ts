import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";
import { RawClient } from "./helpers/raw-client.js";

/*
 * The connection's output: a command's responses are batched into one write (at once on the
 * tagged completion), untagged pushes during IDLE at the next tick. Back-pressure with a
 * client that stops reading is covered by regressions.test.ts (EXPUNGEs pushed in IDLE) and
 * hostile-input.test.ts (a pipelined flood answered in order with bounded memory).
 */

let local: LocalServer;
beforeAll(async () => {
  local = await startLocalServer({ gina: "pw" });
});
afterAll(() => local.stop());

const login = () => RawClient.loggedIn(local.port, "gina", "pw");

const msg = (n: number) => `Subject: b${n}\r\n\r\nbody ${n}\r\n`;

describe("output batching", () => {
  it("a command's untagged lines and its completion arrive together and in order", async () => {
    const c = await login();
    await c.command("c", "CREATE Batch");
    for (let i = 1; i <= 5; i++) await c.command(`a${i}`, `APPEND Batch {${Buffer.byteLength(msg(i))}+}\r\n${msg(i)}`);
    await c.command("s", "SELECT Batch");
    const lines = await c.command("f", "UID FETCH 1:* (UID FLAGS)");
    expect(lines.map((l) => /^\* (\d+) FETCH \(UID (\d+) FLAGS \([^()]*\)\)$/.exec(l)?.slice(1))).toEqual([
      ["1", "1"],
      ["2", "2"],
      ["3", "3"],
      ["4", "4"],
      ["5", "5"],
      undefined,
    ]);
    expect(lines.at(-1)).toBe("f OK UID FETCH completed.");
    c.close();
  });
});
