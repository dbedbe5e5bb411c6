/** Host facts the launcher needs: where dovecot is, a free port, an unprivileged mail user. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, Socket } from "node:net";

/** The name of the system user that owns test mail (created when missing). */
export const MAIL_USER = "holdfastmail";

/** Where Debian puts the binary; PATH is tried too. */
export function findDovecot(): string | undefined {
  for (const p of ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]) if (existsSync(p)) return p;
  try {
    return execFileSync("sh", ["-c", "command -v dovecot"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
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

function idOf(name: string): { uid: number; gid: number } | undefined {
  try {
    const opts = { encoding: "utf8" as const, stdio: ["ignore", "pipe", "ignore"] as ["ignore", "pipe", "ignore"] };
    const uid = Number(execFileSync("id", ["-u", name], opts).trim());
    const gid = Number(execFileSync("id", ["-g", name], opts).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** Mail processes must not run as root: use (and if needed create) an unprivileged system user. */
export function mailUser(): { uid: number; gid: number } {
  const existing = idOf(MAIL_USER);
  if (existing) return existing;
  try {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", MAIL_USER], {
      stdio: "ignore",
    });
  } catch {
    // a concurrent test may have created it; checked below
  }
  const made = idOf(MAIL_USER);
  if (made) return made;
  throw new Error(`cannot create the unprivileged mail user ${MAIL_USER} (run the tests as root)`);
}

/** Resolve once the server on `port` sends an IMAP `* OK` greeting. */
export function waitForGreeting(port: number, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = new Socket();
      let buf = "";
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`no IMAP greeting on 127.0.0.1:${port}`));
        else setTimeout(attempt, 100);
      });
      sock.on("data", (d) => {
        buf += d.toString("latin1");
        if (buf.includes("\r\n")) {
          sock.destroy();
          if (buf.startsWith("* OK")) resolve();
          else reject(new Error(`unexpected greeting: ${buf.trim()}`));
        }
      });
      sock.connect(port, "127.0.0.1");
    };
    attempt();
  });
}
