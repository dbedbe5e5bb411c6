import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "@holdfast/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdfast, json } from "./helpers.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

interface Source {
  text: string; // the message as it should be stored (CRLF, unescaped)
  flags: string[];
  date: number;
}

/** 1,000 generated messages with status headers, keywords, From_ dates and ">From" lines. */
function generate(): { mbox: string; messages: Source[] } {
  const messages: Source[] = [];
  let mbox = "";
  for (let i = 0; i < 1000; i++) {
    const date = Date.UTC(2020, i % 12, 1 + (i % 28), i % 24, (i * 7) % 60, (i * 13) % 60);
    const d = new Date(date);
    const flags: string[] = [];
    const status = i % 2 ? "RO" : "O";
    if (i % 2) flags.push("\\Seen");
    let x = "";
    if (i % 3 === 0) {
      x += "A";
      flags.push("\\Answered");
    }
    if (i % 5 === 0) {
      x += "F";
      flags.push("\\Flagged");
    }
    const keywords = i % 7 === 0 ? ["$Work", "project-x"] : [];
    flags.push(...keywords);
    const header =
      `From: sender${i}@example.org\nTo: rcpt@example.org\nSubject: message ${i}\nMessage-ID: <${i}@gen>\n` +
      `Status: ${status}\n${x ? `X-Status: ${x}\n` : ""}${keywords.length ? `X-Keywords: ${keywords.join(" ")}\n` : ""}`;
    const body = `Hello ${i}\nFrom the generator, a line that needs escaping\n>From an already quoted one\n${"z".repeat(i % 200)}\n`;
    const escaped = body.replace(/^(>*From )/gm, ">$1");
    const asctime = `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}:${String(d.getUTCSeconds()).padStart(2, "0")} ${d.getUTCFullYear()}`;
    mbox += `From sender${i}@example.org ${asctime}\n${header}\n${escaped}\n`;
    messages.push({ text: `${header}\n${body}`.replace(/\n/g, "\r\n"), flags, date });
  }
  return { mbox, messages };
}

describe("holdfast import mbox", () => {
  let root: string;
  let d: string[];
  let source: ReturnType<typeof generate>;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "holdfast-mbox-"));
    d = ["-d", join(root, "data")];
    source = generate();
    writeFileSync(join(root, "in.mbox"), source.mbox);
    writeFileSync(join(root, "pw"), "pw\n");
    expect((await holdfast([...d, "user", "add", "carol", "--password-file", join(root, "pw")])).code).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("imports 1,000 messages with flags, keywords and dates; a re-run imports nothing", async () => {
    const r = await holdfast([...d, "--json", "import", "mbox", join(root, "in.mbox"), "carol", "Old/2020"]);
    expect(r.code).toBe(0);
    expect(json<{ imported: number }>(r).imported).toBe(1000);

    const store = await Store.open(join(root, "data"));
    try {
      const mail = await store.mailboxes("carol");
      const session = await mail.select("Old/2020", { readOnly: true });
      const got = session.messages();
      expect(got).toHaveLength(1000);
      for (let i = 0; i < 1000; i++) {
        const m = got[i]!;
        const want = source.messages[i]!;
        expect(Buffer.from(await session.readMessage(m.uid)).toString("latin1")).toBe(want.text);
        expect([...m.flags].sort()).toEqual([...want.flags].sort());
        expect(m.internalDate).toBe(want.date);
      }
      session.close();
    } finally {
      await store.close();
    }

    const again = await holdfast([...d, "--json", "import", "mbox", join(root, "in.mbox"), "carol", "Old/2020"]);
    expect(json<{ imported: number; skipped: number }>(again)).toMatchObject({ imported: 0, skipped: 1000 });

    // export and re-import into another mailbox: the same bytes come back
    expect((await holdfast([...d, "export", "mbox", "carol", "Old/2020", join(root, "out.mbox")])).code).toBe(0);
    const back = await holdfast([...d, "--json", "import", "mbox", join(root, "out.mbox"), "carol", "Copy"]);
    expect(json<{ imported: number }>(back).imported).toBe(1000);
    const st = json<{ messages: number; size: number }>(
      await holdfast([...d, "--json", "mailbox", "status", "carol", "Copy"]),
    );
    const orig = json<{ messages: number; size: number }>(
      await holdfast([...d, "--json", "mailbox", "status", "carol", "Old/2020"]),
    );
    expect(st).toMatchObject({ messages: 1000, size: orig.size });
  });

  it("an interrupted import continues: a run that got through the first 400 messages, then the whole file", async () => {
    // the mbox up to the start of message 400: what an import killed there had read
    const cut = source.mbox.indexOf("From sender400@example.org ");
    writeFileSync(join(root, "part.mbox"), source.mbox.slice(0, cut));
    const first = await holdfast([...d, "--json", "import", "mbox", join(root, "part.mbox"), "carol", "Resume"]);
    expect(json<{ imported: number }>(first).imported).toBe(400);
    const rest = await holdfast([...d, "--json", "import", "mbox", join(root, "in.mbox"), "carol", "Resume"]);
    expect(json<{ imported: number; skipped: number }>(rest)).toMatchObject({ imported: 600, skipped: 400 });
    const st = json<{ messages: number }>(await holdfast([...d, "--json", "mailbox", "status", "carol", "Resume"]));
    expect(st.messages).toBe(1000);
  });

  it("a missing or non-mbox file is one clear error", async () => {
    let r = await holdfast([...d, "import", "mbox", join(root, "nope.mbox"), "carol"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^holdfast: no such file: .*nope\.mbox\n$/);
    writeFileSync(join(root, "bad.mbox"), "Subject: not an mbox\n\nbody\n");
    r = await holdfast([...d, "import", "mbox", join(root, "bad.mbox"), "carol"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^holdfast: .*not an mbox file.*\n$/);
  });
});
