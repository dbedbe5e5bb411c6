import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";

/** A throwaway self-signed certificate for 127.0.0.1, made with the system's openssl. */
export function testTlsContext(): SecureContext {
  const dir = mkdtempSync(join(tmpdir(), "holdfast-tls-"));
  try {
    // An EC key: generated at once, where RSA-2048 can take seconds on a loaded machine.
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
        "/CN=127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return createSecureContext({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
