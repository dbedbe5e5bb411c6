import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Store, WRITER_MARKER } from "@holdfast/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdfast, json } from "./helpers.js";

const USER = "alice@example.org";

/** Every file under `dir` with its size and mtime: what "nothing was written" is checked on. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out[relative(dir, p)] = `${st.size} ${st.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * A writer in another process (as holdfast-proxy would be): opens the store with its writer
 * lock, appends one message, says "ready" and keeps the store open until its stdin closes.
 */
function startWriter(dataDir: string): Promise<ChildProcess> {
  const script = `
    import { Store } from "@holdfast/store";
    const store = await Store.open(${JSON.stringify(dataDir)});
    const mail = await store.mailboxes(${JSON.stringify(USER)});
    await mail.append("INBOX", "Subject: from the writer\\r\\n\\r\\nwhile it runs\\r\\n");
    // let the store's background work of that append (its spare temp file) finish first
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.stdout.write("ready\\n");
    process.stdin.resume();
    process.stdin.on("end", async () => { await store.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: join(import.meta.dirname, ".."),
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("writer did not start")), 60_000);
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("ready\n")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => reject(new Error(`writer exited early (${code})`)));
  });
}

/**
 * Read-only commands open the store with `{ readOnly: true }`: they run while another
 * process holds the store open for writing, see its committed changes and write nothing;
 * commands that change the store still need the lock and name the process holding it.
 */
describe("holdfast beside a running writer", () => {
  let root: string;
  let dataDir: string;
  let d: string[];
  let writer: ChildProcess | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "holdfast-cli-ro-"));
    dataDir = join(root, "data");
    d = ["-d", dataDir];
    writeFileSync(join(root, "pw"), "secret\n");
    const store = await Store.open(dataDir, { fsync: false });
    await store.users.add(USER, "pw");
    const mail = await store.mailboxes(USER);
    for (let i = 0; i < 3; i++) await mail.append("INBOX", `Subject: m${i}\r\n\r\nbody ${i}\r\n`);
    await store.close();
    writer = await startWriter(dataDir);
  });
  afterAll(async () => {
    if (writer && writer.exitCode === null) {
      writer.kill("SIGKILL");
      await once(writer, "exit");
    }
    rmSync(root, { recursive: true, force: true });
  });

  it("the writer holds the lock and its marker is in place", () => {
    const lock = JSON.parse(readFileSync(join(dataDir, "lock"), "utf8")) as { pid: number };
    expect(lock.pid).toBe(writer!.pid);
    expect(statSync(join(dataDir, "users", USER, WRITER_MARKER)).isFile()).toBe(true);
  });

  it("user list, mailbox list/status, export and verify work and write nothing", async () => {
    const before = snapshot(dataDir);

    const users = json<{ name: string }[]>(await holdfast([...d, "--json", "user", "list"]));
    expect(users.map((u) => u.name)).toEqual([USER]);

    const boxes = json<{ name: string }[]>(await holdfast([...d, "--json", "mailbox", "list", USER]));
    expect(boxes.map((m) => m.name)).toContain("INBOX");

    // the writer's append (committed in the other process) is seen
    const status = json<{ messages: number; uidNext: number }>(
      await holdfast([...d, "--json", "mailbox", "status", USER, "INBOX"]),
    );
    expect(status).toMatchObject({ messages: 4, uidNext: 5 });

    const out = join(root, "inbox.mbox");
    const exp = await holdfast([...d, "--json", "export", "mbox", USER, "INBOX", out]);
    expect(exp.code).toBe(0);
    expect(json<{ messages: number }>(exp).messages).toBe(4);
    expect(readFileSync(out, "latin1")).toContain("Subject: from the writer\n\nwhile it runs\n");

    const v = await holdfast([...d, "--json", "verify"]);
    expect(v.code).toBe(0);
    expect(json<{ ok: boolean }>(v).ok).toBe(true);

    expect(snapshot(dataDir)).toEqual(before);
    expect(writer!.exitCode).toBeNull();
  });

  it("commands that write are refused with one line naming the writer", async () => {
    const line = `holdfast: data folder ${dataDir} is locked by process ${writer!.pid}: holdfast-proxy (or another holdfast command that writes) holds the store's writer lock; stop it to run this command (read-only commands work while it runs)\n`;
    for (const args of [
      ["user", "add", "bob", "--password-file", join(root, "pw")],
      ["mailbox", "create", USER, "Work"],
      ["verify", "--repair"],
    ]) {
      const r = await holdfast([...d, ...args]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr: line });
    }
  });

  it("once the writer has closed, write commands work again", async () => {
    writer!.stdin!.end();
    const [code] = (await once(writer!, "exit")) as [number | null];
    expect(code).toBe(0);
    const add = await holdfast([...d, "user", "add", "bob", "--password-file", join(root, "pw")]);
    expect(add.code).toBe(0);
    const rep = await holdfast([...d, "--json", "verify", "--repair"]);
    expect(rep.code).toBe(0);
    expect(json<{ verify: { ok: boolean } }>(rep).verify.ok).toBe(true);
  });
});
