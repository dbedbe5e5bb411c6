import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { encodeProxyV2 } from "../proxy-protocol/encode-v2.js";
import type { BackendHost } from "./host.js";

/*
 * Health probes: one check of one host, resolving when the host is healthy and rejecting
 * with the reason otherwise. The HealthChecker takes any probe with this signature, so the
 * deep check (log in as a check user through the remote backend's ImapClient) plugs in
 * where the remote side exists; this file holds the dependency-free default.
 */
export type HealthProbe = (host: BackendHost, signal: AbortSignal) => Promise<void>;

/** Longest greeting line read. */
const MAX_GREETING = 8 * 1024;

/**
 * Connect (TCP, or TLS for implicit-TLS hosts with the host's verification settings) and
 * read the greeting: healthy when it is `* OK` (or `* PREAUTH`), unhealthy on `* BYE`,
 * anything else, a close or the abort signal. Then `LOGOUT` and close. STARTTLS hosts are
 * checked on their plain greeting (the TLS part is the ImapClient probe's job). Hosts with
 * `sendProxyProtocol` get a PROXY v2 LOCAL header first.
 */
export const greetingProbe: HealthProbe = (host, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new Error("aborted"));
      return;
    }
    // A backend that expects PROXY v2 from us gets a LOCAL header (a health check, not a
    // client), before TLS like every other connection to it.
    const raw = connectTcp({ host: host.host, port: host.port });
    if (host.sendProxyProtocol) raw.write(encodeProxyV2({ command: "LOCAL" }));
    let socket: Socket = raw;
    if (host.tls === "implicit") {
      socket = connectTls({
        socket: raw,
        servername: host.servername ?? (isIp(host.host) ? undefined : host.host),
        ca: host.ca,
        // A pinned fingerprint replaces chain verification: it is checked below.
        rejectUnauthorized: !(host.insecure || host.fingerprint),
      });
      raw.on("error", (error) => finish(error));
    }
    let buffered = "";
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", onAbort);
      if (!error && !socket.destroyed) socket.end("hc LOGOUT\r\n");
      setTimeout(() => {
        socket.destroy();
        raw.destroy();
      }, 1000).unref();
      if (error) {
        socket.destroy();
        raw.destroy();
        reject(error);
      } else resolve();
    };
    const onAbort = () => finish(new Error("timed out"));
    signal.addEventListener("abort", onAbort);
    socket.on("error", (error) => finish(error));
    socket.on("close", () => finish(new Error("connection closed before the greeting")));
    if (host.tls === "implicit" && host.fingerprint && !host.insecure) {
      socket.once("secureConnect", () => {
        const cert = (socket as import("node:tls").TLSSocket).getPeerCertificate();
        const seen = (cert?.fingerprint256 ?? "").replaceAll(":", "").toLowerCase();
        if (seen !== host.fingerprint!.replaceAll(":", "").toLowerCase()) {
          finish(new Error("certificate fingerprint does not match"));
        }
      });
    }
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      const end = buffered.indexOf("\n");
      if (end < 0) {
        if (buffered.length > MAX_GREETING) finish(new Error("greeting too long"));
        return;
      }
      const line = buffered.slice(0, end).trimEnd();
      if (/^\* (OK|PREAUTH)\b/i.test(line)) finish();
      else finish(new Error(`unexpected greeting: ${line.slice(0, 100)}`));
    });
  });

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
