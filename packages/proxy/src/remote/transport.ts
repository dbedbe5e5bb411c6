import { createHash } from "node:crypto";
import { connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { readInLargeChunks } from "../large-reads.js";
import { ImapConnectionError } from "./errors.js";
import type { BackendHost } from "./types.js";

/*
 * The byte pipe to a backend: TCP, an optional preamble (PROXY v2 header, written before
 * anything else, TLS included), and TLS with certificate verification. Verification is on
 * unless `insecure` is set explicitly: with `ca` the chain must lead to that CA and the
 * certificate must name the host; with `fingerprint` the leaf certificate's SHA-256 must
 * match (pinning: the chain is then not consulted unless `ca` is also given).
 */

/** Open TCP to the host and write the preamble. Rejects with ImapConnectionError("CONNECT"). */
export function connectTcp(host: BackendHost, timeoutMs: number, preamble?: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: host.host, port: host.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ImapConnectionError("TIMEOUT", `connect to ${host.id} (${host.host}:${host.port}) timed out`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      if (preamble && preamble.length > 0) socket.write(preamble);
      // FETCH bodies come in on this socket: read them in large chunks (not under TLS)
      if ((host.tls ?? "none") === "none") readInLargeChunks(socket);
      resolve(socket);
    });
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(new ImapConnectionError("CONNECT", `connect to ${host.id} (${host.host}:${host.port}): ${error.message}`));
    };
    socket.once("error", onError);
  });
}

function normalizeFingerprint(fp: string): string {
  return fp.replace(/[:\s]/g, "").toLowerCase();
}

/** TLS over an open socket (implicit TLS right after connect, or after STARTTLS). */
export function startTls(socket: Socket, host: BackendHost, timeoutMs: number): Promise<TLSSocket> {
  const pinned = host.fingerprint ? normalizeFingerprint(host.fingerprint) : null;
  const verifyChain = !host.insecure && (host.ca !== undefined || pinned === null);
  return new Promise((resolve, reject) => {
    const servername = host.servername ?? host.host;
    const tls = tlsConnect({
      socket,
      host: servername,
      // SNI carries host names only, never addresses (RFC 6066 §3).
      ...(/^[\d.]+$|:/.test(servername) ? {} : { servername }),
      ...(host.ca !== undefined ? { ca: host.ca } : {}),
      rejectUnauthorized: verifyChain,
      ...(verifyChain ? {} : { checkServerIdentity: () => undefined }),
    });
    const fail = (message: string) => {
      clearTimeout(timer);
      tls.destroy();
      reject(new ImapConnectionError("TLS", `TLS to ${host.id}: ${message}`));
    };
    const timer = setTimeout(() => fail("handshake timed out"), timeoutMs);
    tls.once("error", (error) => fail(error.message));
    tls.once("secureConnect", () => {
      if (pinned !== null && !host.insecure) {
        const cert = tls.getPeerCertificate();
        const actual = cert?.raw ? createHash("sha256").update(cert.raw).digest("hex") : "";
        if (actual !== pinned) {
          fail(`certificate fingerprint ${actual || "(none)"} does not match the pinned ${pinned}`);
          return;
        }
      }
      clearTimeout(timer);
      tls.removeAllListeners("error");
      resolve(tls);
    });
  });
}
