import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MailboxIndex } from "@holdfast/index";
import { Store } from "@holdfast/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdfast, json } from "./helpers.js";

/** Every command of the built binary against a temp data folder: exit codes, --json, one-line errors, --help. */
describe("holdfast commands", () => {
  let root: string;
  let d: string[];
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "holdfast-cli-"));
    d = ["-d", join(root, "data")];
    writeFileSync(join(root, "pw"), "secret-1\n");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("--help on every command exits 0", async () => {
    for (const args of [
      [],
      ["user"],
      ["user", "add"],
      ["user", "del"],
      ["user", "passwd"],
      ["user", "list"],
      ["mailbox"],
      ["mailbox", "list"],
      ["mailbox", "create"],
      ["mailbox", "delete"],
      ["mailbox", "rename"],
      ["mailbox", "status"],
      ["index", "dump"],
      ["index", "verify"],
      ["index", "repair"],
      ["verify"],
      ["import", "mbox"],
      ["import", "maildir"],
      ["import", "imap"],
      ["export", "mbox"],
    ]) {
      const r = await holdfast([...args, "--help"]);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
      expect(r.stdout).toMatch(/Usage: holdfast/);
    }
  });

  it("user add/list/passwd/del", async () => {
    let r = await holdfast([...d, "user", "add", "alice@example.org", "--password-file", join(root, "pw")]);
    expect(r).toMatchObject({ code: 0, stdout: "added alice@example.org\n" });
    r = await holdfast([...d, "--json", "user", "add", "bob"]);
    expect(r.code).toBe(0);
    const bob = json<{ user: string; password: string }>(r);
    expect(bob.password.length).toBeGreaterThan(8);
    r = await holdfast([...d, "user", "add", "bob", "--password-file", join(root, "pw")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^holdfast: .*bob/);
    const list = json<{ name: string }[]>(await holdfast([...d, "--json", "user", "list"]));
    expect(list.map((u) => u.name).sort()).toEqual(["alice@example.org", "bob"]);
    expect((await holdfast([...d, "user", "passwd", "bob", "--password-stdin"], { input: "new-pw\n" })).code).toBe(0);
    const store = await Store.open(join(root, "data"));
    try {
      expect(await store.users.authenticate("bob", "new-pw")).toBe(true);
      expect(await store.users.authenticate("alice@example.org", "secret-1")).toBe(true);
    } finally {
      await store.close();
    }
    expect((await holdfast([...d, "user", "del", "bob"])).code).toBe(0);
    expect(json<unknown[]>(await holdfast([...d, "--json", "user", "list"]))).toHaveLength(1);
    r = await holdfast([...d, "user", "del", "nobody"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^holdfast: .*\n$/);
  });

  it("mailbox list/create/rename/status/delete", async () => {
    const u = "alice@example.org";
    expect((await holdfast([...d, "mailbox", "create", u, "Work/Projects"])).code).toBe(0);
    let list = json<{ name: string; attributes: string[] }[]>(await holdfast([...d, "--json", "mailbox", "list", u]));
    expect(list.map((m) => m.name)).toEqual(expect.arrayContaining(["INBOX", "Work", "Work/Projects"]));
    expect(list.find((m) => m.name === "Work")!.attributes).toContain("\\Noselect");
    expect((await holdfast([...d, "mailbox", "rename", u, "Work/Projects", "Done"])).code).toBe(0);
    const status = json<{ messages: number; uidNext: number }>(
      await holdfast([...d, "--json", "mailbox", "status", u, "Done"]),
    );
    expect(status).toMatchObject({ messages: 0, uidNext: 1 });
    const human = await holdfast([...d, "mailbox", "status", u, "Done"]);
    expect(human.stdout).toMatch(/UIDNEXT\s+1/);
    expect((await holdfast([...d, "mailbox", "delete", u, "Done"])).code).toBe(0);
    list = json(await holdfast([...d, "--json", "mailbox", "list", u]));
    expect(list.map((m) => m.name)).not.toContain("Done");
    const bad = await holdfast([...d, "mailbox", "create", u, "../escape"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    const noStack = await holdfast([...d, "mailbox", "status", u, "Nope"]);
    expect(noStack.code).toBe(2);
    expect(noStack.stderr).not.toMatch(/\n\s+at /);
    const withStack = await holdfast([...d, "--debug", "mailbox", "status", u, "Nope"]);
    expect(withStack.stderr).toMatch(/\n\s+at /);
  });

  it("a write command on a locked data folder gives one clear line", async () => {
    const store = await Store.open(join(root, "data"));
    try {
      const r = await holdfast([...d, "user", "add", "carol", "--password-file", join(root, "pw")]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `holdfast: data folder ${join(root, "data")} is locked by process ${process.pid}: holdfast-proxy (or another holdfast command that writes) holds the store's writer lock; stop it to run this command (read-only commands work while it runs)\n`,
      );
    } finally {
      await store.close();
    }
  });

  it("index dump/verify/repair and verify", async () => {
    const u = "alice@example.org";
    const store = await Store.open(join(root, "data"));
    let folder: string;
    try {
      const mail = await store.mailboxes(u);
      await mail.append("INBOX", "Subject: one\r\n\r\nbody\r\n", { flags: ["\\Seen", "$Work"] });
      await mail.append("INBOX", "Subject: two\r\n\r\nbody\r\n");
      folder = join(
        root,
        "data",
        "users",
        u,
        "mailboxes",
        String(mail.listMailboxes().find((m) => m.name === "INBOX")!.id),
      );
    } finally {
      await store.close();
    }
    // snapshot + backup + log, each covering the others
    const index = await MailboxIndex.open(folder);
    await index.checkpoint();
    await index.transaction().store([2], "add", ["\\Flagged"]).commit();
    await index.checkpoint();
    await index.close();
    const dump = json<{ state: { uidNext: number }; messages: { uid: number; flags: string[] }[] }>(
      await holdfast(["--json", "index", "dump", folder]),
    );
    expect(dump.state.uidNext).toBe(3);
    expect(dump.messages.map((m) => m.uid)).toEqual([1, 2]);
    expect(dump.messages[0]!.flags).toEqual(["\\Seen", "$Work"]);
    const text = await holdfast(["index", "dump", folder]);
    expect(text.stdout).toMatch(/records \(2\)/);
    expect((await holdfast(["index", "verify", folder])).code).toBe(0);
    expect((await holdfast([...d, "verify"])).code).toBe(0);
    expect(json<{ ok: boolean }>(await holdfast([...d, "--json", "verify", u])).ok).toBe(true);

    // damage the snapshot's message block: verify exits 1, repair fixes it from backup + log
    const data = readFileSync(join(folder, "index"));
    data[16384 + 100] ^= 0xff;
    writeFileSync(join(folder, "index"), data);
    const v = await holdfast(["index", "verify", folder]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/DAMAGED/);
    expect((await holdfast([...d, "verify"])).code).toBe(1);
    const rep = await holdfast(["--json", "index", "repair", folder]);
    expect(rep.code).toBe(0);
    expect(json<{ repaired: boolean }>(rep).repaired).toBe(true);
    expect((await holdfast(["index", "verify", folder])).code).toBe(0);

    const empty = join(root, "empty");
    mkdirSync(empty);
    const none = await holdfast(["index", "dump", empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^holdfast: .*holds no mailbox index.*\n$/);
  });

  it("uses the configuration like holdfast-proxy: --config and HOLDFAST_CONFIG", async () => {
    writeFileSync(join(root, "h.toml"), `data_dir = "${join(root, "data")}"\n`);
    let r = await holdfast(["--json", "--config", join(root, "h.toml"), "user", "list"]);
    expect(json<{ name: string }[]>(r).map((x) => x.name)).toEqual(["alice@example.org"]);
    r = await holdfast(["--json", "user", "list"], { env: { HOLDFAST_CONFIG: join(root, "h.toml") } });
    expect(json<unknown[]>(r)).toHaveLength(1);
    // default: ./var/data under the working folder
    const cwd = join(root, "cwd");
    mkdirSync(cwd);
    r = await holdfast(["--json", "user", "list"], { cwd });
    expect(json<unknown[]>(r)).toEqual([]);
    r = await holdfast(["--config", join(root, "missing.toml"), "user", "list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^holdfast: cannot read configuration/);
  });
});
