import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImapClient } from "../src/remote/imap-client.js";

/*
 * Fixtures for the remote-backend tests: a throwaway certificate (with the IP SAN
 * 127.0.0.1 so that hostname verification can pass) and Dovecot configuration snippets
 * for TLS and master users. Everything lives in a temp folder the caller removes.
 */

export interface TestCert {
  dir: string;
  certPem: string;
  keyPath: string;
  certPath: string;
  /** SHA-256 of the certificate's DER, hex. */
  fingerprint: string;
  remove(): void;
}

export function makeCert(commonName = "127.0.0.1"): TestCert {
  const dir = mkdtempSync(join(tmpdir(), "holdfast-remote-tls-"));
  chmodSync(dir, 0o755);
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${commonName}`,
      "-addext",
      `subjectAltName=IP:${commonName}`,
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );
  chmodSync(keyPath, 0o644);
  const certPem = readFileSync(certPath, "utf8");
  const der = execFileSync("openssl", ["x509", "-in", certPath, "-outform", "DER"]);
  const fingerprint = createHash("sha256").update(der).digest("hex");
  return { dir, certPem, keyPath, certPath, fingerprint, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function tlsConfig(cert: TestCert): string {
  return `ssl = yes\nssl_cert = <${cert.certPath}\nssl_key = <${cert.keyPath}\n`;
}

/** A master passdb (`user*master` logins and SASL PLAIN authzid). */
export function masterConfig(dir: string, master: string, password: string): string {
  const file = join(dir, "master-passwd");
  writeFileSync(file, `${master}:{PLAIN}${password}\n`);
  chmodSync(file, 0o644);
  return `auth_master_user_separator = *\npassdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${file}\n  master = yes\n}\n`;
}

export const MESSAGE = (subject: string, body = "Hello.\r\n", id = `${subject.replace(/\W/g, "")}@example.org`) =>
  Buffer.from(
    [
      "From: Bob <bob@example.org>",
      "To: Alice <alice@example.org>",
      `Subject: ${subject}`,
      "Date: Sat, 28 Nov 2026 10:00:00 +0000",
      `Message-ID: <${id}>`,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "",
      body,
    ].join("\r\n"),
  );

/** UID FETCH start:end (BODY.PEEK[]) as ImapClient.command takes it: whole bodies, as literals. */
export function wholeBodyFetch(start: number, end: number | "*" = start): Parameters<ImapClient["command"]>[0] {
  return {
    name: "FETCH",
    uid: true,
    set: [{ start, end }],
    items: [{ type: "BODY[]", peek: true, section: { part: [] } }],
    vanished: false,
  };
}
