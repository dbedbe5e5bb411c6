import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";
import { RawClient } from "./helpers/raw-client.js";

/*
 * Hostile input after login: every case gets BAD/NO or a clean close, memory stays bounded,
 * and another user's session keeps working throughout.
 */

let local: LocalServer;
let bystander: RawClient;

async function login(user = "mallory"): Promise<RawClient> {
  const c = await RawClient.open(local.port);
  await c.line();
  expect((await c.command("l", `LOGIN ${user} secret`)).at(-1)).toMatch(/^l OK/);
  return c;
}

beforeAll(async () => {
  local = await startLocalServer({ mallory: "secret", victim: "secret" }, { limits: { maxLineLength: 64 * 1024 } });
  bystander = await login("victim");
  await bystander.command("s", "SELECT INBOX");
});
afterAll(async () => {
  bystander.close();
  await local.stop();
});

async function bystanderStillFine(): Promise<void> {
  expect((await bystander.command("n", "NOOP")).at(-1)).toBe("n OK NOOP completed.");
}

describe("hostile input after login", () => {
  it("mailbox names that try to leave the user's folder are refused and create nothing outside", async () => {
    const c = await login();
    for (const name of ['"../x"', '"a/../b"', '"/abs"', '"a//b"', '".."', `"${"x".repeat(2000)}"`]) {
      expect((await c.command("c", `CREATE ${name}`)).at(-1)).toMatch(/^c (NO|BAD) /);
    }
    c.write("d CREATE {3+}\r\na\0b\r\n");
    expect((await c.untilTagged("d")).at(-1)).toMatch(/^d (NO|BAD) /);
    expect((await c.command("e", 'SELECT "../victim/INBOX"')).at(-1)).toMatch(/^e (NO|BAD) /);
    expect(await readdir(join(local.dir, "data"))).not.toContain("x");
    expect((await readdir(join(local.dir))).sort()).toEqual(["data"]);
    c.close();
    await bystanderStillFine();
  });

  it("deep nesting, huge and out-of-range sequence sets get BAD and the session goes on", async () => {
    const c = await login();
    await c.command("s", "SELECT INBOX");
    expect((await c.command("a", `SEARCH ${"(".repeat(500)}ALL${")".repeat(500)}`)).at(-1)).toMatch(/^a BAD /);
    expect((await c.command("b", "FETCH 1:4294967295 FLAGS")).at(-1)).toMatch(/^b BAD .*empty/);
    expect((await c.command("c", "FETCH 0 FLAGS")).at(-1)).toMatch(/^c BAD /);
    const manyRanges = Array.from({ length: 5000 }, (_, i) => `${2 * i + 1}`).join(",");
    expect((await c.command("d", `UID FETCH ${manyRanges} FLAGS`)).at(-1)).toMatch(/^d (BAD|OK) /);
    expect((await c.command("e", "UID FETCH 1:4294967295 FLAGS")).at(-1)).toBe("e OK UID FETCH completed.");
    expect((await c.command("f", "NOOP")).at(-1)).toBe("f OK NOOP completed.");
    c.close();
    await bystanderStillFine();
  });

  it("a 1 GB literal announcement is refused before any byte is read", async () => {
    const c = await login();
    c.write("a APPEND INBOX {1000000000}\r\n");
    expect(await c.line()).toMatch(/^a (NO|BAD) \[TOOBIG\]/);
    expect((await c.command("b", "NOOP")).at(-1)).toBe("b OK NOOP completed.");
    c.close();
    await bystanderStillFine();
  });

  it("a pipelined flood of 20,000 commands is answered in order with bounded memory", async () => {
    const c = await login();
    const before = process.memoryUsage().rss;
    const n = 20_000;
    let batch = "";
    for (let i = 0; i < n; i++) batch += `f${i} NOOP\r\n`;
    c.write(batch);
    const lines = await c.untilTagged(`f${n - 1}`, 60_000);
    const tagged = lines.filter((l) => /^f\d+ /.test(l));
    expect(tagged).toHaveLength(n);
    expect(tagged[0]).toBe("f0 OK NOOP completed.");
    expect(tagged.every((l, i) => l === `f${i} OK NOOP completed.`)).toBe(true);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    c.close();
    await bystanderStillFine();
  });

  it("an APPEND that turns out invalid after its bytes stores nothing", async () => {
    const c = await login();
    await c.command("s", "SELECT INBOX");
    c.write("a APPEND INBOX {12+}\r\nSubject: x\r\n garbage (\r\n"); // junk after the literal, same line
    expect((await c.untilTagged("a")).at(-1)).toMatch(/^a BAD /);
    expect((await c.command("b", "STATUS INBOX (MESSAGES)")).join("\n")).toContain("MESSAGES 0");
    c.close();
  });
});
