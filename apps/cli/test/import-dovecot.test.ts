import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "@holdfast/store";
import { type DovecotServer, findDovecot, startDovecot } from "@holdfast/testkit";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdfast, json } from "./helpers.js";

interface Msg {
  bytes: string;
  flags: string[];
  date: number;
}

const crlf = (s: string) => s.replace(/\r?\n/g, "\r\n");

/** What Dovecot holds, read over IMAP: mailbox → messages (bytes, flags without \Recent, date). */
async function dovecotContents(server: DovecotServer): Promise<Map<string, Msg[]>> {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: server.port,
    secure: false,
    auth: { user: server.user, pass: server.password },
    logger: false,
  });
  await client.connect();
  const out = new Map<string, Msg[]>();
  try {
    for (const box of await client.list()) {
      const lock = await client.getMailboxLock(box.path, { readOnly: true });
      const msgs: Msg[] = [];
      try {
        for await (const m of client.fetch("1:*", { source: true, flags: true, internalDate: true })) {
          msgs.push({
            bytes: crlf(m.source!.toString("latin1")),
            flags: [...m.flags!].filter((f) => f !== "\\Recent").sort(),
            date: new Date(m.internalDate!).getTime(),
          });
        }
      } catch {
        // empty mailbox
      } finally {
        lock.release();
      }
      out.set(box.path === "INBOX" ? "INBOX" : box.path.split(box.delimiter).join("/"), msgs);
    }
  } finally {
    await client.logout();
  }
  return out;
}

async function storeContents(dataDir: string, user: string, names: string[]): Promise<Map<string, Msg[]>> {
  const store = await Store.open(dataDir);
  const out = new Map<string, Msg[]>();
  try {
    const mail = await store.mailboxes(user);
    for (const name of names) {
      const session = await mail.select(name, { readOnly: true });
      const msgs: Msg[] = [];
      for (const m of session.messages())
        msgs.push({
          bytes: Buffer.from(await session.readMessage(m.uid)).toString("latin1"),
          flags: [...m.flags].sort(),
          date: m.internalDate,
        });
      session.close();
      out.set(name, msgs);
    }
  } finally {
    await store.close();
  }
  return out;
}

const byBytes = (a: Msg, b: Msg) => (a.bytes < b.bytes ? -1 : a.bytes > b.bytes ? 1 : 0);

describe.skipIf(!findDovecot())("import from a Dovecot-made maildir and over IMAP", () => {
  let server: DovecotServer;
  let root: string;
  let d: string[];
  let source: Map<string, Msg[]>;

  beforeAll(async () => {
    server = await startDovecot();
    root = mkdtempSync(join(tmpdir(), "holdfast-import-"));
    d = ["-d", join(root, "data")];
    writeFileSync(join(root, "pw"), "pw\n");
    writeFileSync(join(root, "remote-pw"), `${server.password}\n`);
    const client = new ImapFlow({
      host: "127.0.0.1",
      port: server.port,
      secure: false,
      auth: { user: server.user, pass: server.password },
      logger: false,
    });
    await client.connect();
    await client.mailboxCreate("Work");
    await client.mailboxCreate(["Work", "Projects"]);
    await client.mailboxCreate("Résumés");
    const boxes = ["INBOX", "Work", "Work/Projects", "Résumés"];
    const flagSets = [
      [],
      ["\\Seen"],
      ["\\Seen", "\\Flagged"],
      ["\\Answered", "$Work"],
      ["\\Draft", "$Label1", "project-x"],
      ["\\Deleted", "\\Seen"],
    ];
    let n = 0;
    for (const box of boxes) {
      const path = box === "Work/Projects" ? `Work${client.namespace?.delimiter ?? "."}Projects` : box;
      for (let i = 0; i < 6; i++, n++) {
        const date = new Date(Date.UTC(2024, n % 12, 1 + n, 8, n, 0));
        await client.append(
          path,
          crlf(
            `From: a${n}@example.org\nSubject: m ${n} in ${box}\nMessage-ID: <${n}@t>\n\nbody ${n}\n${"y".repeat(n * 10)}\n`,
          ),
          flagSets[i],
          date,
        );
      }
    }
    await client.logout();
    source = await dovecotContents(server);
    expect([...source.keys()].sort()).toEqual([...boxes].sort());
    for (const user of ["maildir-user", "imap-user"])
      expect((await holdfast([...d, "user", "add", user, "--password-file", join(root, "pw")])).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const check = async (user: string) => {
    const got = await storeContents(join(root, "data"), user, [...source.keys()]);
    for (const [name, msgs] of source) {
      const mine = got.get(name)!;
      expect({ name, count: mine.length }).toEqual({ name, count: msgs.length });
      expect([...mine].sort(byBytes)).toEqual([...msgs].sort(byBytes));
    }
  };

  it("import maildir: Dovecot's maildir with flags, keywords and dates; a re-run adds nothing", async () => {
    const r = await holdfast([...d, "--json", "import", "maildir", server.maildirOf(server.user), "maildir-user"]);
    expect(r.stderr).toBe("");
    expect(json<{ imported: number }>(r).imported).toBe(24);
    await check("maildir-user");
    const again = json<{ imported: number; skipped: number }>(
      await holdfast([...d, "--json", "import", "maildir", server.maildirOf(server.user), "maildir-user"]),
    );
    expect(again).toMatchObject({ imported: 0, skipped: 24 });
  });

  it("import imap from the same Dovecot over loopback; a re-run adds nothing", async () => {
    const args = [
      ...d,
      "--json",
      "import",
      "imap",
      "--host",
      "127.0.0.1",
      "--port",
      String(server.port),
      "--user",
      server.user,
      "--password-file",
      join(root, "remote-pw"),
      "imap-user",
    ];
    const r = await holdfast(args);
    expect(r.stderr).toBe("");
    expect(json<{ imported: number }>(r).imported).toBe(24);
    await check("imap-user");
    expect(json<{ imported: number; skipped: number }>(await holdfast(args))).toMatchObject({
      imported: 0,
      skipped: 24,
    });
    const wrong = await holdfast(
      [
        ...d,
        "import",
        "imap",
        "--host",
        "127.0.0.1",
        "--port",
        String(server.port),
        "--user",
        server.user,
        "imap-user",
      ],
      {
        env: { HOLDFAST_IMAP_PASSWORD: "wrong" },
      },
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^holdfast: 127\.0\.0\.1: .*\n$/);
  });
});
