import { existsSync } from "node:fs";
import { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { createMailRoot, startDovecot } from "../src/index.js";

/** Send one IMAP command after the greeting, return everything up to the tagged reply. */
function imap(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    let buf = "";
    let step = -1;
    sock.on("error", reject);
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      const done = step < 0 ? buf.includes("\r\n") : buf.includes(`\r\nt${step} `) || buf.startsWith(`t${step} `);
      if (!done) return;
      step++;
      if (step < lines.length) sock.write(`t${step} ${lines[step]}\r\n`);
      else {
        sock.destroy();
        resolve(buf);
      }
    });
    sock.connect(port, "127.0.0.1");
  });
}

describe("startDovecot", () => {
  it("serves IMAP on loopback with the configured users and removes its folder on stop", async () => {
    const server = await startDovecot({
      users: [
        { name: "alice", password: "pw-a" },
        { name: "bob", password: "pw-b" },
      ],
    });
    try {
      const out = await imap(server.port, ["LOGIN alice pw-a", "CREATE Work", 'LIST "" *', "LOGOUT"]);
      expect(out).toMatch(/t0 OK/);
      expect(out).toMatch(/LIST .* "?Work"?/);
      expect(existsSync(server.maildirOf("alice"))).toBe(true);
      const bad = await imap(server.port, ["LOGIN bob wrong", "LOGOUT"]);
      expect(bad).toMatch(/t0 NO/);
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dir)).toBe(false);
  });

  it("two instances on one mail folder see the same mailboxes", async () => {
    const root = createMailRoot();
    const a = await startDovecot({ mailRoot: root });
    const b = await startDovecot({ mailRoot: root, extraConfig: "mail_fsync = always" });
    try {
      await imap(a.port, [`LOGIN ${a.user} ${a.password}`, "CREATE Shared", "LOGOUT"]);
      const out = await imap(b.port, [`LOGIN ${b.user} ${b.password}`, 'LIST "" *', "LOGOUT"]);
      expect(out).toMatch(/Shared/);
      expect(a.port).not.toBe(b.port);
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(existsSync(root)).toBe(true);
  });
});
