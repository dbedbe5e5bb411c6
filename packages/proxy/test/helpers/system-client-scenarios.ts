import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

/*
 * Clients from the system, not written by us: Python's imaplib and curl's IMAP support. The
 * scenarios run against whatever server `target()` names (holdfast on the local store in
 * system-clients.test.ts, the holdfast-proxy daemon in apps/proxy). The user's mailboxes must
 * not hold a "Work" folder yet, and its INBOX must be empty.
 */

export interface SystemClientTarget {
  port: number;
  user: string;
  password: string;
  /** A scratch folder for files the clients read. */
  dir: string;
}

const run = promisify(execFile);

const IMAPLIB_SCRIPT = String.raw`
import imaplib, sys
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = imaplib.IMAP4("127.0.0.1", port)
assert m.login(user, password)[0] == "OK"
assert m.create("Work")[0] == "OK"
msg = b"From: x@example.org\r\nSubject: imaplib test\r\n\r\nbody text here\r\n"
typ, data = m.append("Work", r"(\Flagged)", imaplib.Time2Internaldate(1700000000), msg)
assert typ == "OK", data
typ, data = m.select("Work")
assert typ == "OK" and data == [b"1"], data
typ, data = m.search(None, "FLAGGED", "SUBJECT", '"imaplib test"')
assert data == [b"1"], data
typ, data = m.fetch("1", "(RFC822 INTERNALDATE)")
assert data[0][1] == msg, data
assert b'INTERNALDATE "14-Nov-2023 22:13:20 +0000"' in data[1], data
typ, data = m.store("1", "+FLAGS", r"(\Deleted)")
assert b"\\Deleted" in data[0], data
typ, data = m.expunge()
assert data == [b"1"], data
typ, data = m.status("Work", "(MESSAGES UIDNEXT)")
assert b"MESSAGES 0" in data[0] and b"UIDNEXT 2" in data[0], data
typ, data = m.list()
assert any(b'"Work"' in l or b" Work" in l for l in data), data
m.logout()
print("imaplib ok")
`;

export function systemClientScenarios(target: () => SystemClientTarget): void {
  it("Python imaplib: create, append with date and flags, select, search, fetch, store, expunge, status", async () => {
    const { port, user, password } = target();
    const { stdout } = await run("python3", ["-c", IMAPLIB_SCRIPT, String(port), user, password], { timeout: 30_000 });
    expect(stdout.trim()).toBe("imaplib ok");
  });

  it("curl: append a message, list mailboxes, fetch it back by UID", async () => {
    const { port, user, password, dir } = target();
    const base = `imap://127.0.0.1:${port}`;
    const auth = ["--user", `${user}:${password}`, "--silent", "--show-error"];
    const message = "From: curl@example.org\r\nSubject: from curl\r\n\r\nhello from curl\r\n";
    // curl -T FILE uploads the file as an APPEND (it needs the size first, so not stdin).
    const file = join(dir, "upload.eml");
    await writeFile(file, message);
    await run("curl", [...auth, "--url", `${base}/INBOX`, "-T", file], { timeout: 30_000 });
    const list = await run("curl", [...auth, "--url", `${base}/`], { timeout: 30_000 });
    expect(list.stdout).toMatch(/\* LIST \([^)]*\) "\/" INBOX/);
    const fetched = await run("curl", [...auth, "--url", `${base}/INBOX;UID=1`], { timeout: 30_000 });
    expect(fetched.stdout).toContain("hello from curl");
  });
}
