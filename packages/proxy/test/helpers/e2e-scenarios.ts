import { ImapFlow } from "imapflow";
import { afterAll, expect, it } from "vitest";
import { RawClient } from "./raw-client.js";

/*
 * The imapflow end-to-end scenarios, for any server that serves a fresh user with the
 * default mailboxes (INBOX, Sent, Drafts, Trash, Junk, Archive with their special uses):
 * holdfast on the local store (e2e-local.test.ts), holdfast in front of Dovecot
 * (remote-e2e.test.ts). Call inside a describe(); `target()` is read when a test runs.
 */

export interface E2eTarget {
  port: number;
  user: string;
  password: string;
}

/** imapflow answers `false` when a command failed; a test step must not go on then. */
function ok<T>(value: T | false | undefined): T {
  if (value === false || value === undefined) throw new Error("imapflow reported a failed command");
  return value;
}

export const MESSAGE = [
  "From: Bob <bob@example.org>",
  "To: Alice <alice@example.org>",
  "Subject: Hello from the tests",
  "Date: Sat, 28 Nov 2026 10:00:00 +0000",
  "Message-ID: <t1@example.org>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b1"',
  "",
  "--b1",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "First part, with the word platypus.",
  "--b1",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.from("binary \x00\x01 payload").toString("base64"),
  "--b1--",
  "",
].join("\r\n");

/**
 * `knownDefects`: scenario name → the open defect that makes it fail on this server. Those
 * run as `it.fails` (the suite stays green while the defect is open, and turns red when it is
 * fixed, so the entry gets removed).
 */
export function e2eScenarios(target: () => E2eTarget, knownDefects: Record<string, string> = {}): void {
  const clients: ImapFlow[] = [];
  const scenario = (name: string, fn: () => Promise<void>) => (knownDefects[name] ? it.fails : it)(name, fn);

  async function connect(): Promise<ImapFlow> {
    const { port, user, password } = target();
    const client = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: password },
      logger: false,
    });
    await client.connect();
    clients.push(client);
    return client;
  }

  afterAll(async () => {
    for (const c of clients) await c.logout().catch(() => c.close());
  });

  scenario("lists the default mailboxes with their special uses, creates and renames", async () => {
    const c = await connect();
    const boxes = await c.list();
    const byPath = new Map(boxes.map((b) => [b.path, b]));
    expect([...byPath.keys()]).toEqual(expect.arrayContaining(["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"]));
    expect(byPath.get("Sent")?.specialUse).toBe("\\Sent");
    await c.mailboxCreate("Projects/2026");
    await c.mailboxCreate("Tmp");
    await c.mailboxRename("Tmp", "Tmp2");
    const names = (await c.list()).map((b) => b.path);
    expect(names).toEqual(expect.arrayContaining(["Projects", "Projects/2026", "Tmp2"]));
    expect(names).not.toContain("Tmp");
  });

  scenario("appends, then fetches the message, its structure and sections back exactly", async () => {
    const c = await connect();
    const appended = await c.append("INBOX", MESSAGE, ["\\Flagged"]);
    expect(appended).toMatchObject({ destination: "INBOX" });
    expect(ok(appended).uid).toBeGreaterThan(0);
    const lock = await c.getMailboxLock("INBOX");
    try {
      const msg = await c.fetchOne(
        "*",
        { uid: true, flags: true, envelope: true, bodyStructure: true, source: true, size: true, internalDate: true },
        {},
      );
      expect(msg).toBeTruthy();
      if (!msg) return;
      expect(msg.source?.toString("latin1")).toBe(MESSAGE);
      expect(msg.size).toBe(Buffer.byteLength(MESSAGE));
      expect([...(msg.flags ?? [])]).toContain("\\Flagged");
      expect(msg.envelope?.subject).toBe("Hello from the tests");
      expect(msg.envelope?.from?.[0]).toMatchObject({ name: "Bob", address: "bob@example.org" });
      expect(msg.bodyStructure?.type).toBe("multipart/mixed");
      expect(msg.bodyStructure?.childNodes?.map((n) => n.type)).toEqual(["text/plain", "application/octet-stream"]);
      const part = await c.download(String(msg.uid), "2", { uid: true });
      const chunks: Buffer[] = [];
      for await (const chunk of part.content!) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString("latin1")).toBe("binary \x00\x01 payload");
    } finally {
      lock.release();
    }
  });

  scenario("searches, stores flags, copies, moves and expunges", async () => {
    const c = await connect();
    await c.append("INBOX", MESSAGE.replace("platypus", "wombat").replace("t1@", "t2@"), []);
    const lock = await c.getMailboxLock("INBOX");
    try {
      const all = (await c.search({ all: true }, { uid: true })) || [];
      expect(all.length).toBeGreaterThanOrEqual(2);
      expect(await c.search({ body: "wombat" }, { uid: true })).toHaveLength(1);
      const flagged = (await c.search({ flagged: true }, { uid: true })) || [];
      expect(flagged.length).toBeGreaterThanOrEqual(1);
      const target = all[all.length - 1]!;
      await c.messageFlagsAdd(String(target), ["\\Seen", "$Important"], { uid: true });
      const after = await c.fetchOne(String(target), { flags: true }, { uid: true });
      expect([...(after ? (after.flags ?? []) : [])]).toEqual(expect.arrayContaining(["\\Seen", "$Important"]));
      expect(await c.search({ keyword: "$Important" }, { uid: true })).toEqual([target]);
      const copied = await c.messageCopy(String(target), "Projects/2026", { uid: true });
      expect(ok(copied).uidMap?.size).toBe(1);
      const moved = await c.messageMove(String(target), "Archive", { uid: true });
      expect(ok(moved).uidMap?.size).toBe(1);
      expect(await c.search({ uid: String(target) }, { uid: true })).toEqual([]);
    } finally {
      lock.release();
    }
    const status = await c.status("Projects/2026", { messages: true, uidNext: true });
    expect(ok(status).messages).toBe(1);
    const archive = await c.status("Archive", { messages: true });
    expect(ok(archive).messages).toBe(1);
  });

  scenario("pushes a new message to another connection in IDLE", async () => {
    const watcher = await connect();
    const writer = await connect();
    await watcher.mailboxOpen("INBOX");
    const before = (watcher.mailbox as { exists: number }).exists;
    const arrived = new Promise<number>((resolve) => watcher.on("exists", (e: { count: number }) => resolve(e.count)));
    const idling = watcher.idle();
    await new Promise((r) => setTimeout(r, 50)); // let IDLE start
    await writer.append("INBOX", MESSAGE.replace("t1@", "t3@"), []);
    expect(await arrived).toBe(before + 1);
    await watcher.noop(); // ends IDLE
    await idling;
  });

  scenario("tells an IDLE connection about an expunge by another", async () => {
    const watcher = await connect();
    const writer = await connect();
    await writer.append("INBOX", MESSAGE.replace("t1@", "t4@"), ["\\Deleted"]);
    await watcher.mailboxOpen("INBOX");
    const expunged = new Promise<number>((resolve) => watcher.on("expunge", (e: { seq: number }) => resolve(e.seq)));
    const idling = watcher.idle();
    await new Promise((r) => setTimeout(r, 50));
    await writer.mailboxOpen("INBOX");
    await writer.messageDelete("1:*", {});
    expect(await expunged).toBeGreaterThan(0);
    await watcher.noop();
    await idling;
  });

  scenario("CONDSTORE: MODSEQ grows with each change and CHANGEDSINCE returns only what changed", async () => {
    const { port, user, password } = target();
    const raw = await RawClient.open(port);
    await raw.line();
    await raw.command("a", `LOGIN ${user} "${password}"`);
    expect((await raw.command("b", "ENABLE CONDSTORE")).join("\n")).toContain("* ENABLED CONDSTORE");
    const selected = await raw.command("c", "SELECT INBOX");
    const highest = BigInt(/HIGHESTMODSEQ (\d+)/.exec(selected.join("\n"))![1]!);
    await raw.command("c2", `APPEND INBOX {${MESSAGE.length}+}\r\n${MESSAGE}`);
    const stored = await raw.command("d", "UID STORE 1:* +FLAGS (\\Answered)");
    expect(stored.join("\n")).toMatch(/MODSEQ \(\d+\)/);
    const changed = await raw.command("e", `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${highest})`);
    const lines = changed.filter((l) => l.startsWith("* ") && l.includes(" FETCH "));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(BigInt(/MODSEQ \((\d+)\)/.exec(line)![1]!)).toBeGreaterThan(highest);
    const none = await raw.command("f", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 999999999)");
    expect(none.filter((l) => l.startsWith("* ") && l.includes(" FETCH "))).toEqual([]);
    raw.close();
  });
}
