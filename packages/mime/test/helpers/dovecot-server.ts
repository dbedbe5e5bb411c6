/**
 * Starts a private Dovecot (imap only) for the structure-comparison tests: generated config in
 * a temp folder, 127.0.0.1 on a random free port, passwd-file auth with a plain password,
 * maildir in the temp folder, owned by an unprivileged mail user. Stopped by `stop()`.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DovecotServer {
  port: number;
  user: string;
  password: string;
  dir: string;
  stop(): Promise<void>;
  log(): string;
}

/** Where the Debian package puts the binary; PATH is tried too. */
export function findDovecot(): string | undefined {
  for (const p of ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]) if (existsSync(p)) return p;
  try {
    return execFileSync("sh", ["-c", "command -v dovecot"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function uidOf(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(
      execFileSync("id", ["-u", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(),
    );
    const gid = Number(
      execFileSync("id", ["-g", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(),
    );
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** The mail processes must not run as root: use (and if needed create) an unprivileged user. */
function mailUser(): { uid: number; gid: number } {
  const existing = uidOf("holdfastmail");
  if (existing) return existing;
  try {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "holdfastmail"]);
    const made = uidOf("holdfastmail");
    if (made) return made;
  } catch {
    // fall through to nobody
  }
  const nobody = uidOf("nobody");
  if (!nobody) throw new Error("no unprivileged user for Dovecot's mail processes (holdfastmail or nobody)");
  return nobody;
}

function waitForGreeting(port: number, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = new Socket();
      let buf = "";
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`Dovecot did not answer on 127.0.0.1:${port}`));
        else setTimeout(attempt, 100);
      });
      sock.on("data", (d) => {
        buf += d.toString("latin1");
        if (buf.includes("\r\n")) {
          sock.destroy();
          if (buf.startsWith("* OK")) resolve();
          else reject(new Error(`unexpected greeting: ${buf}`));
        }
      });
      sock.connect(port, "127.0.0.1");
    };
    attempt();
  });
}

export async function startDovecot(binary: string): Promise<DovecotServer> {
  const dir = mkdtempSync(join(tmpdir(), "holdfast-dovecot-"));
  // login processes (dovenull) and mail processes must traverse the folder
  chmodSync(dir, 0o755);
  const port = await freePort();
  const { uid, gid } = mailUser();
  const mail = join(dir, "mail");
  mkdirSync(mail);
  chownSync(mail, uid, gid);
  const user = "holdfast";
  const password = "test-password";
  writeFileSync(join(dir, "passwd"), `${user}:{PLAIN}${password}:${uid}:${gid}::${join(mail, user)}\n`);
  const conf = `
protocols = imap
listen = 127.0.0.1
base_dir = ${join(dir, "run")}
state_dir = ${join(dir, "state")}
log_path = ${join(dir, "dovecot.log")}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
login_trusted_networks = 127.0.0.0/8
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_uid = ${uid}
mail_gid = ${gid}
mail_location = maildir:${join(mail, "%u")}
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
`;
  const confPath = join(dir, "dovecot.conf");
  writeFileSync(confPath, conf);
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
  try {
    await Promise.race([
      waitForGreeting(port, Date.now() + 15_000),
      exited.then(() => {
        throw new Error(`dovecot exited early:\n${log()}`);
      }),
    ]);
  } catch (e) {
    child.kill("SIGTERM");
    throw e;
  }
  return {
    port,
    user,
    password,
    dir,
    log,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
