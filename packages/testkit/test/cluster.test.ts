import { spawnSync } from "node:child_process";
import { chownSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, Socket } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DovecotCluster, findDovecot, isAlive, mailUser, startDovecotCluster } from "../src/index.js";

/** A minimal IMAP session over a socket: one command at a time, lines up to the tagged reply. */
class Session {
  private buf = "";
  private waiter: (() => void) | undefined;
  closed = false;
  private n = 0;
  private constructor(readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buf += d;
      this.waiter?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on("error", () => {});
  }

  static async open(port: number): Promise<Session> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const s = new Session(socket);
    await s.until(() => s.buf.includes("\r\n"));
    s.buf = s.buf.slice(s.buf.indexOf("\r\n") + 2);
    return s;
  }

  private async until(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!done()) {
      if (this.closed) throw new Error(`connection closed; received:\n${this.buf}`);
      if (Date.now() > deadline) throw new Error(`timed out; received:\n${this.buf}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  async run(command: string): Promise<string> {
    const tag = `t${++this.n}`;
    this.socket.write(`${tag} ${command}\r\n`);
    const end = (): number => {
      const at = this.buf.startsWith(`${tag} `) ? 0 : this.buf.indexOf(`\r\n${tag} `);
      if (at < 0) return -1;
      return this.buf.indexOf("\r\n", at + 2);
    };
    await this.until(() => end() >= 0);
    const stop = end() + 2;
    const out = this.buf.slice(0, stop);
    this.buf = this.buf.slice(stop);
    if (!new RegExp(`(^|\\r\\n)${tag} OK`).test(out)) throw new Error(`${command} failed:\n${out}`);
    return out;
  }

  async waitClosed(): Promise<void> {
    await this.until(() => this.closed).catch(() => {});
  }

  close(): void {
    this.socket.destroy();
  }
}

const message = (n: number) =>
  `From: a@example.org\r\nSubject: shared ${n}\r\nMessage-ID: <shared-${n}@example.org>\r\n\r\nbody ${n}\r\n`;

async function append(s: Session, n: number): Promise<{ uidValidity: number; uid: number }> {
  const text = message(n);
  const out = await s.run(`APPEND INBOX {${Buffer.byteLength(text)}+}\r\n${text}`);
  const m = /\[APPENDUID (\d+) (\d+)\]/.exec(out);
  if (!m) throw new Error(`no APPENDUID in ${out}`);
  return { uidValidity: Number(m[1]), uid: Number(m[2]) };
}

/** SELECT INBOX, then every message's UID and Message-ID. */
async function listing(s: Session): Promise<{ uidValidity: number; messages: Array<[number, string]> }> {
  const selected = await s.run("SELECT INBOX");
  const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(selected)?.[1]);
  const fetched = await s.run("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
  const messages: Array<[number, string]> = [];
  for (const m of fetched.matchAll(/UID (\d+) BODY\[HEADER\.FIELDS \(MESSAGE-ID\)\] \{\d+\}\r\nMessage-ID: <([^>]+)>/g))
    messages.push([Number(m[1]), m[2]!]);
  return { uidValidity, messages };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once("error", () => resolve(true));
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.connect(port, "127.0.0.1");
  });
}

const available = findDovecot() !== undefined;
let cluster: DovecotCluster;

beforeAll(async () => {
  if (!available) throw new Error("dovecot-imapd is not installed (CI installs it; apt-get install dovecot-imapd)");
  cluster = await startDovecotCluster({ users: [{ name: "carol", password: "pw-c" }] });
});
afterAll(() => cluster?.stop());

describe("startDovecotCluster", () => {
  it("configures every instance for shared storage, each with its own ports and state", () => {
    const [a, b] = cluster.servers;
    expect(a!.port).not.toBe(b!.port);
    expect(a!.dir).not.toBe(b!.dir);
    for (const s of cluster.servers) {
      const conf = readFileSync(`${s.dir}/dovecot.conf`, "utf8");
      expect(conf).toMatch(/^mmap_disable = yes$/m);
      expect(conf).toMatch(/^mail_fsync = always$/m);
      expect(conf).toMatch(/^lock_method = fcntl$/m);
      expect(conf).toMatch(/^dotlock_use_excl = no$/m);
      expect(conf).toMatch(/^maildir_very_dirty_syncs = no$/m);
      expect(conf).toContain(`base_dir = ${s.dir}/run`);
      expect(s.mailRoot).toBe(cluster.mailRoot);
    }
  });

  it("a message appended through one instance has the same UID and UIDVALIDITY through the other", async () => {
    const [a, b] = cluster.servers;
    const one = await Session.open(a!.port);
    const two = await Session.open(b!.port);
    try {
      await one.run("LOGIN carol pw-c");
      await two.run("LOGIN carol pw-c");
      const first = await append(one, 1);
      const second = await append(two, 2);
      const third = await append(one, 3);
      expect(second.uidValidity).toBe(first.uidValidity);
      expect([second.uid, third.uid]).toEqual([first.uid + 1, first.uid + 2]);
      const viaA = await listing(one);
      const viaB = await listing(two);
      expect(viaB).toEqual(viaA);
      expect(viaA.uidValidity).toBe(first.uidValidity);
      expect(viaA.messages).toEqual([
        [first.uid, "shared-1@example.org"],
        [second.uid, "shared-2@example.org"],
        [third.uid, "shared-3@example.org"],
      ]);
      // A flag set through one is seen through the other.
      await one.run(`UID STORE ${second.uid} +FLAGS (\\Flagged)`);
      expect(await two.run(`UID FETCH ${second.uid} (FLAGS)`)).toMatch(/FLAGS \([^)]*\\Flagged/);
    } finally {
      one.close();
      two.close();
    }
  });

  it("a uidlist dotlock left by a dead process (it names its owner) is overridden within seconds, not 120 s", async () => {
    // What a killed imap process leaves with dotlock_use_excl = no: the lock, holding
    // "pid:host" of a process that is gone. (An EMPTY lock, which the default O_EXCL creation
    // can leave, is only overridden after 120 s: docs/failover.md, "The 120 s stall".)
    const [, b] = cluster.servers;
    const maildir = b!.maildirOf("carol");
    const { uid, gid } = mailUser();
    const dead = spawnSync("true").pid!;
    expect(isAlive(dead)).toBe(false);
    const lock = join(maildir, "dovecot-uidlist.lock");
    writeFileSync(lock, `${dead}:${hostname()}`);
    chownSync(lock, uid, gid);
    // A new file in new/: the next sync must give it a UID, so it needs the lock.
    const file = join(maildir, "new", `${Date.now()}.M1P${process.pid}.testkit`);
    writeFileSync(file, message(9));
    chownSync(file, uid, gid);
    const s = await Session.open(b!.port);
    try {
      await s.run("LOGIN carol pw-c");
      const started = Date.now();
      const selected = await s.run("SELECT INBOX");
      const took = Date.now() - started;
      // Dovecot reads the owner's pid once the lock is 2 s old, finds it gone, overrides.
      expect(took).toBeLessThan(8000);
      expect(selected).toMatch(/\* \d+ EXISTS/);
      expect(existsSync(lock)).toBe(false);
    } finally {
      s.close();
      rmSync(lock, { force: true });
    }
  });

  it("kill() leaves no process of the instance alive, drops its clients; restart() serves the same mail on the same port", async () => {
    const [a, b] = cluster.servers;
    const victim = await Session.open(a!.port);
    await victim.run("LOGIN carol pw-c");
    const before = await listing(victim);
    const processes = a!.processes();
    // master, log, config, auth, and the imap process serving this client (imap-login has
    // handed the connection over and exited)
    const names = processes.map((pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim());
    expect(names).toEqual(expect.arrayContaining(["dovecot", "imap", "auth", "log"]));
    const oldPid = a!.pid;
    await a!.kill();
    expect(a!.running).toBe(false);
    expect(processes.filter(isAlive)).toEqual([]);
    expect(a!.processes()).toEqual([]);
    await victim.waitClosed();
    expect(victim.closed).toBe(true);
    expect(await refused(a!.port)).toBe(true);

    // The other instance goes on serving meanwhile.
    const other = await Session.open(b!.port);
    await other.run("LOGIN carol pw-c");
    const added = await append(other, 4);
    other.close();

    await a!.restart();
    expect(a!.running).toBe(true);
    expect(a!.pid).not.toBe(oldPid);
    const again = await Session.open(a!.port);
    try {
      await again.run("LOGIN carol pw-c");
      const after = await listing(again);
      expect(after.uidValidity).toBe(before.uidValidity);
      expect(after.messages).toEqual([...before.messages, [added.uid, "shared-4@example.org"]]);
    } finally {
      again.close();
    }
    expect(a!.log()).toContain("starting up");
  });

  it("survives repeated kill/restart cycles with appends in between, UIDs strictly increasing", async () => {
    const uids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const server = cluster.servers[i % 2]!;
      const s = await Session.open(server.port);
      await s.run("LOGIN carol pw-c");
      uids.push((await append(s, 10 + i)).uid);
      const pids = server.processes();
      await server.kill();
      expect(pids.filter(isAlive)).toEqual([]);
      await s.waitClosed();
      await server.restart();
    }
    for (let i = 1; i < uids.length; i++) expect(uids[i]).toBe(uids[i - 1]! + 1);
    const check = await Session.open(cluster.servers[1]!.port);
    await check.run("LOGIN carol pw-c");
    const { messages } = await listing(check);
    check.close();
    expect(messages.slice(-5).map(([uid]) => uid)).toEqual(uids);
  });
});
