/**
 * A private Dovecot (IMAP only) for tests: generated configuration in a temp folder,
 * 127.0.0.1 on a random free port, passwd-file authentication with plain passwords, maildir
 * storage owned by an unprivileged mail user. The master runs as root (Debian's package
 * needs it to drop privileges); logins run as `dovenull`, internal services as `dovecot`,
 * mail processes as the mail user. `stop()` kills it and removes the folder.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findDovecot, freePort, mailUser, waitForGreeting } from "./system.js";

export interface DovecotUser {
  name: string;
  password: string;
}

export interface DovecotOptions {
  /** Users to create (default: one user `holdfast` with password `test-password`). */
  users?: DovecotUser[];
  /** Extra configuration lines appended to the generated file. */
  extraConfig?: string;
  /**
   * A mail folder to use instead of a fresh one inside the temp folder: two instances given
   * the same folder serve the same mailboxes (failover tests). The caller owns the folder;
   * `stop()` leaves it in place. Create it with `createMailRoot()`.
   */
  mailRoot?: string;
  /** Binary to run (default: found with `findDovecot()`). */
  binary?: string;
  /** How long to wait for the greeting (ms, default 15 s). */
  startTimeoutMs?: number;
}

export interface DovecotServer {
  host: string;
  port: number;
  /** The first user (convenience for single-user tests). */
  user: string;
  password: string;
  users: DovecotUser[];
  /** The temp folder holding configuration, state and logs. */
  dir: string;
  /** The folder under which each user's maildir lives (`<mailRoot>/<user>`). */
  mailRoot: string;
  /** The maildir of a user. */
  maildirOf(user: string): string;
  /** Dovecot's output and log file so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Make a mail folder owned by the unprivileged mail user, to share between instances. */
export function createMailRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), "holdfast-mailroot-"));
  chmodSync(dir, 0o755);
  const { uid, gid } = mailUser();
  chownSync(dir, uid, gid);
  return dir;
}

function configText(dir: string, port: number, mailRoot: string, uid: number, gid: number, extra: string): string {
  return `protocols = imap
listen = 127.0.0.1
base_dir = ${join(dir, "run")}
state_dir = ${join(dir, "state")}
log_path = ${join(dir, "dovecot.log")}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_uid = ${uid}
mail_gid = ${gid}
mail_location = maildir:${join(mailRoot, "%u")}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${join(dir, "passwd")}
}
userdb {
  driver = passwd-file
  args = ${join(dir, "passwd")}
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
${extra}
`;
}

/** Start a private Dovecot; throws (with its log) when it does not come up. */
export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotServer> {
  const binary = options.binary ?? findDovecot();
  if (!binary) throw new Error("dovecot is not installed (Debian: apt-get install dovecot-imapd)");
  const users = options.users ?? [{ name: "holdfast", password: "test-password" }];
  if (users.length === 0) throw new Error("at least one user is needed");
  for (const u of users) {
    if (!/^[A-Za-z0-9._@-]+$/.test(u.name) || /[:\n]/.test(u.password))
      throw new Error(`unusable test user ${JSON.stringify(u.name)}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "holdfast-dovecot-"));
  // login processes (dovenull) and mail processes must traverse the folder
  chmodSync(dir, 0o755);
  const { uid, gid } = mailUser();
  let mailRoot = options.mailRoot;
  if (!mailRoot) {
    mailRoot = join(dir, "mail");
    mkdirSync(mailRoot);
    chownSync(mailRoot, uid, gid);
  }
  const port = await freePort();
  writeFileSync(
    join(dir, "passwd"),
    users.map((u) => `${u.name}:{PLAIN}${u.password}:${uid}:${gid}::${join(mailRoot, u.name)}\n`).join(""),
  );
  const confPath = join(dir, "dovecot.conf");
  writeFileSync(confPath, configText(dir, port, mailRoot, uid, gid, options.extraConfig ?? ""));
  const child: ChildProcess = spawn(binary, ["-F", "-c", confPath], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const log = () => {
    const file = join(dir, "dovecot.log");
    return output + (existsSync(file) ? readFileSync(file, "utf8") : "");
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      waitForGreeting(port, Date.now() + (options.startTimeoutMs ?? 15_000)),
      exited.then(() => {
        throw new Error(`dovecot exited early:\n${log()}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  const root = mailRoot;
  return {
    host: "127.0.0.1",
    port,
    user: users[0]!.name,
    password: users[0]!.password,
    users,
    dir,
    mailRoot: root,
    maildirOf: (user) => join(root, user),
    log,
    stop,
  };
}
