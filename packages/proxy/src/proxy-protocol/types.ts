/*
 * HAProxy PROXY protocol (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt):
 * protocol types only. A load balancer writes one header at the very start of a TCP
 * connection announcing the original client's address; the receiver must take it only from
 * peers it trusts, since anyone else could claim any address.
 */

export interface ProxyEndpoint {
  /** Textual IP address (IPv4 dotted quad, IPv6 compressed, lower case). */
  address: string;
  port: number;
}

export type ProxyFamily = "TCP4" | "TCP6" | "UNKNOWN" | "UNIX";

/** A decoded header. `source`/`destination` are absent for LOCAL, UNKNOWN/UNSPEC and UNIX. */
export interface ProxyHeader {
  version: 1 | 2;
  /** LOCAL: a connection made by the proxy itself (health check): use the socket's address. */
  command: "PROXY" | "LOCAL";
  family: ProxyFamily;
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
  /** v2 TLVs (type, raw value), in order; skipped by the server, kept for logs and tests. */
  tlvs: Array<{ type: number; value: Buffer }>;
}

export type ProxyProtocolErrorCode =
  | "NOT_PROXY" // the first bytes are no PROXY header (from a peer that must send one)
  | "MALFORMED" // a header that breaks the grammar
  | "UNSUPPORTED" // a valid-looking header of an unknown version or command
  | "TOO_LARGE" // longer than the configured bound
  | "TIMEOUT" // the header did not arrive in time
  | "CLOSED"; // the peer went away before the header was complete

/** Why a PROXY header was refused; the connection is then closed. */
export class ProxyProtocolError extends Error {
  override name = "ProxyProtocolError";
  constructor(
    readonly code: ProxyProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** v1 signature (text) and v2 signature (binary, 12 bytes). */
export const V1_SIGNATURE = Buffer.from("PROXY ", "latin1");
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** A v1 line is at most 107 bytes including CRLF (spec §2.1). */
export const V1_MAX_LENGTH = 107;
/** v2: signature, version/command, family/transport, 2-byte length. */
export const V2_FIXED_LENGTH = 16;
