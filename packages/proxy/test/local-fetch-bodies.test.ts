import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WHOLE_READ_LIMIT } from "../src/local/fetch-items.js";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";
import { RawClient } from "./helpers/raw-client.js";

/*
 * Whole-message FETCH on the local store takes two paths: a message up to WHOLE_READ_LIMIT
 * bytes is read and verified in one go and sent from memory, a larger one is verified and
 * then streamed. Both must send exactly the stored bytes, and both must refuse a damaged
 * blob with NO [CORRUPTION] rather than send it.
 */

let local: LocalServer;
beforeAll(async () => {
  local = await startLocalServer({ gina: "pw" });
});
afterAll(() => local.stop());

const login = () => RawClient.loggedIn(local.port, "gina", "pw");

function message(subject: string, size: number): string {
  const head = `Subject: ${subject}\r\n\r\n`;
  const line = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n";
  return head + line.repeat(Math.ceil((size - head.length) / line.length));
}

/** The literal of `item` in a FETCH answer (the RawClient splits it into lines; put them back). */
function literalOf(lines: string[], item: string): string {
  const text = `${lines.join("\r\n")}\r\n`;
  const m = new RegExp(`${item.replace(/[[\]]/g, "\\$&")} \\{(\\d+)\\}\\r\\n`).exec(text);
  if (!m) throw new Error(`no ${item} literal in:\n${text.slice(0, 300)}`);
  const start = m.index + m[0].length;
  return text.slice(start, start + Number(m[1]));
}

/** Flip one byte in the middle of the message bytes of every blob of the user. */
async function damageEveryBlob(): Promise<void> {
  const blobs = join(local.dir, "data");
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\/blobs\/[0-9a-f]{2}\/[0-9a-f]{32}$/.test(p)) files.push(p);
    }
  };
  await walk(blobs);
  expect(files.length).toBe(2);
  for (const f of files) {
    const bytes = await readFile(f);
    const i = bytes.length - 100;
    bytes[i] = bytes[i] === 0x78 ? 0x79 : 0x78;
    await writeFile(f, bytes);
  }
}

describe("whole-message FETCH on the local store", () => {
  const small = message("small", 5000);
  const large = message("large", WHOLE_READ_LIMIT + 50_000);

  it("sends a small and a large message byte for byte, as BODY[], BODY.PEEK[] and RFC822", async () => {
    expect(small.length).toBeLessThan(WHOLE_READ_LIMIT);
    expect(large.length).toBeGreaterThan(WHOLE_READ_LIMIT);
    const c = await login();
    for (const [tag, body] of [
      ["a1", small],
      ["a2", large],
    ] as const) {
      c.write(`${tag} APPEND INBOX {${body.length}+}\r\n${body}\r\n`);
      expect((await c.untilTagged(tag)).at(-1)).toMatch(new RegExp(`^${tag} OK`));
    }
    await c.command("s", "SELECT INBOX");
    expect(literalOf(await c.command("f1", "UID FETCH 1 BODY.PEEK[]"), "BODY[]")).toBe(small);
    expect(literalOf(await c.command("f2", "UID FETCH 2 BODY.PEEK[]", 20_000), "BODY[]")).toBe(large);
    expect(literalOf(await c.command("f3", "UID FETCH 1 RFC822"), "RFC822")).toBe(small);
    expect(literalOf(await c.command("f4", "UID FETCH 2 RFC822", 20_000), "RFC822")).toBe(large);
    // One read serves several items of one message.
    const both = await c.command("f5", "UID FETCH 1 (BODY.PEEK[] BODY.PEEK[HEADER] RFC822.SIZE)");
    expect(literalOf(both, "BODY[]")).toBe(small);
    expect(literalOf(both, "BODY[HEADER]")).toBe("Subject: small\r\n\r\n");
    expect(both.join("\n")).toContain(`RFC822.SIZE ${small.length}`);
    c.close();
  });

  it("refuses a damaged blob of either size with NO [CORRUPTION] and the session goes on", async () => {
    await damageEveryBlob();
    const c = await login();
    await c.command("s", "SELECT INBOX");
    expect((await c.command("f1", "UID FETCH 1 BODY.PEEK[]")).at(-1)).toMatch(/^f1 NO \[CORRUPTION\]/);
    expect((await c.command("f2", "UID FETCH 2 BODY.PEEK[]", 20_000)).at(-1)).toMatch(/^f2 NO \[CORRUPTION\]/);
    expect((await c.command("f3", "UID FETCH 1:2 (UID FLAGS)")).at(-1)).toMatch(/^f3 OK/);
    c.close();
  });
});
