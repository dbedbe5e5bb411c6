import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import { writeFileAtomic } from "@holdfast/checksum";
import { generate } from "selfsigned";

/**
 * The certificate and key for TLS: read from the configured files, or, when both are
 * missing and generation is allowed, a self-signed certificate for localhost made once and
 * kept (key readable by the owner only) so clients can pin it.
 */
export async function loadTls(
  certPath: string,
  keyPath: string,
  mayGenerate: boolean,
): Promise<{ context: SecureContext; generated: boolean }> {
  const read = async () => ({ cert: await readFile(certPath), key: await readFile(keyPath) });
  try {
    const { cert, key } = await read();
    return { context: createSecureContext({ cert, key }), generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || !mayGenerate) throw error;
  }
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    days: 3650,
    keySize: 2048,
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  } as Parameters<typeof generate>[1]);
  await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
  await mkdir(dirname(certPath), { recursive: true });
  await writeFileAtomic(keyPath, pems.private);
  await writeFileAtomic(certPath, pems.cert);
  return { context: createSecureContext({ cert: pems.cert, key: pems.private }), generated: true };
}
