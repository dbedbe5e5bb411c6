import { execFile } from "node:child_process";
import { mkdir, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, expect, it } from "vitest";
import { RawClient } from "./raw-client.js";

/*
 * isync's mbsync (Debian) syncing a mailbox both ways with the server `target()` names (holdfast on the local store in
 * mbsync.test.ts, the holdfast-proxy daemon in apps/proxy), whose user has an empty INBOX and
 * no "Work" folder yet:
 * server → Maildir, then changes made in the Maildir (a flag, a new message, a deletion)
 * → server. mbsync relies on UIDPLUS, flags and EXPUNGE being exactly right.
 */

export interface MbsyncTarget {
  port: number;
  user: string;
  password: string;
  /** A scratch folder: the Maildir and mbsync's config go there. */
  dir: string;
}

const run = promisify(execFile);
export function mbsyncScenarios(target: () => MbsyncTarget): void {
  let config: string;
  let maildir: string;

  async function sync(): Promise<string> {
    const { stdout, stderr } = await run("mbsync", ["-c", config, "-a"], { timeout: 60_000 });
    return stdout + stderr;
  }

  async function serverView(mailbox: string): Promise<string[]> {
    const { port, user, password } = target();
    const c = await RawClient.open(port);
    await c.line();
    await c.command("a", `LOGIN ${user} "${password}"`);
    await c.command("b", `SELECT ${mailbox}`);
    const lines = await c.command("c", "UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    c.close();
    return lines.filter((l) => l.startsWith("* ") || l.startsWith("Subject:"));
  }

  function message(subject: string): string {
    return `From: sender@example.org\r\nTo: carol@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}@example.org>\r\n\r\nbody of ${subject}\r\n`;
  }

  beforeAll(async () => {
    const { port, user, password, dir } = target();
    const c = await RawClient.open(port);
    await c.line();
    await c.command("a", `LOGIN ${user} "${password}"`);
    for (const [subject, flags] of [
      ["first", "(\\Seen)"],
      ["second", "(\\Flagged)"],
      ["third", "()"],
    ] as const) {
      const m = message(subject);
      await c.command("b", `APPEND INBOX ${flags} {${Buffer.byteLength(m)}+}\r\n${m}`);
    }
    await c.command("c", "CREATE Work");
    const w = message("work item");
    await c.command("d", `APPEND Work () {${Buffer.byteLength(w)}+}\r\n${w}`);
    c.close();
    maildir = join(dir, "mail");
    await mkdir(maildir, { recursive: true });
    config = join(dir, "mbsyncrc");
    await writeFile(
      config,
      `IMAPAccount hf
  Host 127.0.0.1
  Port ${port}
  User ${user}
  Pass "${password}"
  SSLType None
  AuthMechs LOGIN

  IMAPStore remote
  Account hf

  MaildirStore local
  Path ${maildir}/
  Inbox ${maildir}/INBOX
  SubFolders Verbatim

  Channel sync
  Far :remote:
  Near :local:
  Patterns *
  Create Both
  Expunge Both
  SyncState *
  `,
    );
  });

  async function files(folder: string): Promise<string[]> {
    const out: string[] = [];
    for (const sub of ["cur", "new"]) {
      try {
        for (const f of await readdir(join(maildir, folder, sub))) out.push(`${sub}/${f}`);
      } catch {}
    }
    return out.sort();
  }

  it("pulls every mailbox and message with flags into a Maildir", async () => {
    await sync();
    const inbox = await files("INBOX");
    expect(inbox).toHaveLength(3);
    expect(inbox.filter((f) => /:2,[A-Z]*S/.test(f))).toHaveLength(1);
    expect(inbox.filter((f) => /:2,[A-Z]*F/.test(f))).toHaveLength(1);
    expect(await files("Work")).toHaveLength(1);
  });

  it("pushes local changes back: a new message, a flag, a deletion", async () => {
    const inbox = await files("INBOX");
    // Mark the unflagged, unseen one as seen; delete the flagged one.
    const third = inbox.find((f) => !/:2,[A-Z]*[SF]/.test(f))!;
    const second = inbox.find((f) => /:2,[A-Z]*F/.test(f))!;
    const base = (f: string) => f.replace(/^(cur|new)\//, "").replace(/:2,.*$/, "");
    await rename(join(maildir, "INBOX", third), join(maildir, "INBOX", "cur", `${base(third)}:2,S`));
    await rename(join(maildir, "INBOX", second), join(maildir, "INBOX", "cur", `${base(second)}:2,FT`));
    await writeFile(join(maildir, "INBOX", "new", `${Date.now()}.local1.host`), message("written locally"));
    await sync();
    const view = (await serverView("INBOX")).join("\n");
    expect(view).toContain("Subject: written locally");
    expect(view).toContain("Subject: first");
    expect(view).not.toContain("Subject: second");
    const thirdLine = (await serverView("INBOX")).findIndex((l) => l.includes("Subject: third"));
    expect(thirdLine).toBeGreaterThan(0);
    expect((await serverView("INBOX"))[thirdLine - 1]).toContain("\\Seen");
    // A second sync in either direction finds nothing to do.
    await sync();
    expect(await files("INBOX")).toHaveLength(3);
  });
}
