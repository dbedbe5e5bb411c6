/**
 * A private Dovecot (IMAP only) for tests: generated configuration in a temp folder,
 * 127.0.0.1 on a random free port, passwd-file authentication with plain passwords, maildir
 * storage owned by an unprivileged mail user. The master runs as root (Debian's package
 * needs it to drop privileges); logins run as `dovenull`, internal services as `dovecot`,
 * mail processes as the mail user. `stop()` kills it and removes the folder; `kill()`
 * crashes it (SIGKILL of every process of the instance) and `restart()` starts it again on
 * the same port with the same configuration.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, killTree, processTree } from "./process-tree.js";
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
  /**
   * Settings for several instances on one mail folder (index and uidlist files shared, so
   * every instance gives a message the same UID and a mailbox the same UIDVALIDITY): no
   * mmap of index files, fsync always, fcntl locks (released by the kernel when a process is
   * killed), dotlocks that always name their owner (see SHARED_STORAGE_CONFIG), no "very
   * dirty" maildir syncs. Default: on when `mailRoot` is given.
   */
  sharedStorage?: boolean;
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
  /** Dovecot's output and log file so far (every run of this instance). */
  log(): string;
  /** The master process while it runs. */
  readonly pid: number | undefined;
  /** The master runs (false after `kill()` until `restart()`). */
  readonly running: boolean;
  /** Live processes of this instance: the master and everything below it. */
  processes(): number[];
  /**
   * Crash it: SIGKILL the master and all its children (imap, imap-login, auth, ...) at once,
   * and resolve only when none of them is alive (clients' connections are then reset or
   * closed by the kernel). The configuration and state folder stay for `restart()`.
   */
  kill(): Promise<void>;
  /** Start it again (killing it first if it runs) on the same port; resolves at the greeting. */
  restart(): Promise<void>;
  /** Stop it (SIGTERM, SIGKILL of what is left after 5 s) and remove its folder. */
  stop(): Promise<void>;
}

/** Masters of running instances: killed (with their process group) if this process exits. */
const liveMasters = new Set<number>();
let exitHookInstalled = false;
function trackMaster(pid: number): void {
  liveMasters.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const master of liveMasters) {
      try {
        process.kill(-master, "SIGKILL");
      } catch {
        // gone
      }
    }
    liveMasters.clear();
  };
  process.once("exit", killAll);
  // 'exit' does not run when the process is killed by a signal (a test runner stopping a
  // worker): clean up, then let the signal do what it would have done.
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    const onSignal = () => {
      killAll();
      process.removeListener(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/**
 * The lines `sharedStorage` adds (see DovecotOptions.sharedStorage).
 *
 * `dotlock_use_excl = no`: the one lock fcntl does not cover is maildir's
 * `dovecot-uidlist.lock`, always a dotlock. With Dovecot's default (`yes`) the lock file is
 * created with O_EXCL and the owner's "pid:host" written into it afterwards; a SIGKILL
 * between the two (a test's crash, more likely on a loaded machine where the process is
 * preempted right after open()) leaves an EMPTY lock. Dovecot can then not tell that its
 * owner is dead and waits for the uidlist's stale timeout, 120 s, before overriding it:
 * every imap process of every instance on that mailbox blocks (sending only
 * `* NO Mailbox is locked, will abort in N seconds` every 30 s). That was the failover soak
 * test's 120 s stall (issue #8). With `no` the lock is a hard link to a temp file that
 * already holds "pid:host", so it never exists empty; a lock left by a killed process is
 * overridden as soon as it is 2 s old and that pid is gone (kill(pid, 0) fails: the killed
 * process must have been reaped, which the system's init does within seconds).
 */
export const SHARED_STORAGE_CONFIG = `mmap_disable = yes
mail_fsync = always
lock_method = fcntl
dotlock_use_excl = no
maildir_very_dirty_syncs = no
mail_nfs_index = no
mail_nfs_storage = no
`;

/** Make a mail folder owned by the unprivileged mail user, to share between instances. */
export function createMailRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), "holdfast-mailroot-"));
  chmodSync(dir, 0o755);
  const { uid, gid } = mailUser();
  chownSync(dir, uid, gid);
  return dir;
}

function configText(dir: string, port: number, mailRoot: string, uid: number, gid: number, extra: string): string {
  // base_dir and state_dir are per instance (sockets, master.pid, anvil state): only the
  // mail folder is shared.
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
  const shared = options.sharedStorage ?? options.mailRoot !== undefined;
  const extra = `${shared ? SHARED_STORAGE_CONFIG : ""}${options.extraConfig ?? ""}`;
  writeFileSync(confPath, configText(dir, port, mailRoot, uid, gid, extra));
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;

  let output = "";
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const log = () => {
    const file = join(dir, "dovecot.log");
    return output + (existsSync(file) ? readFileSync(file, "utf8") : "");
  };
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const kill = async () => {
    const current = child;
    if (!current?.pid) return;
    await killTree(current.pid);
    await exited;
    liveMasters.delete(current.pid);
  };

  const launch = async () => {
    // A master killed with SIGKILL leaves its pid file: harmless unless the pid was reused.
    rmSync(join(dir, "run", "master.pid"), { force: true });
    // Own process group (detached): the whole instance can be signalled at once.
    const proc = spawn(binary, ["-F", "-c", confPath], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    child = proc;
    if (proc.pid) trackMaster(proc.pid);
    proc.stdout?.on("data", (d) => {
      output += d.toString();
    });
    proc.stderr?.on("data", (d) => {
      output += d.toString();
    });
    exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once("exit", () => resolve());
    });
    const thisExit = exited;
    try {
      await Promise.race([
        waitForGreeting(port, Date.now() + startTimeoutMs),
        thisExit.then(() => {
          throw new Error(`dovecot exited early:\n${log()}`);
        }),
      ]);
    } catch (error) {
      await kill();
      throw error;
    }
  };

  const stop = async () => {
    if (running() && child?.pid) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    // Whatever is left (the master, or children that outlived it) is killed.
    if (child?.pid) {
      await killTree(child.pid);
      liveMasters.delete(child.pid);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
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
    get pid() {
      return running() ? child?.pid : undefined;
    },
    get running() {
      return running();
    },
    processes: () => (child?.pid && isAlive(child.pid) ? processTree(child.pid) : []),
    kill,
    async restart() {
      await kill();
      await launch();
    },
    stop,
  };
}
