import { ipToBytes, unmapIPv4 } from "./ip-address.js";
import { type ProxyEndpoint, ProxyProtocolError, V2_FIXED_LENGTH, V2_SIGNATURE } from "./types.js";

export interface EncodeProxyV2Input {
  /** Default PROXY. LOCAL carries no addresses. */
  command?: "PROXY" | "LOCAL";
  /** The original client (for PROXY). */
  source?: ProxyEndpoint;
  /** The address the client connected to (for PROXY). */
  destination?: ProxyEndpoint;
  /** Extra TLVs, e.g. PP2_TYPE_UNIQUE_ID (0x05). */
  tlvs?: Array<{ type: number; value: Buffer }>;
}

/**
 * A PROXY v2 header (what a backend configured for it expects before anything else). Both
 * addresses IPv4 (or IPv4-mapped) → AF_INET; otherwise AF_INET6 with IPv4 mapped into
 * ::ffff:0:0/96. PROXY without both endpoints is sent as AF_UNSPEC (the spec's "unknown").
 */
export function encodeProxyV2(input: EncodeProxyV2Input): Buffer {
  const command = input.command ?? "PROXY";
  let familyByte = 0x00;
  let addresses = Buffer.alloc(0);
  if (command === "PROXY" && input.source && input.destination) {
    const src = endpointBytes(input.source);
    const dst = endpointBytes(input.destination);
    const src4 = src.length === 4 ? src : unmapIPv4(src);
    const dst4 = dst.length === 4 ? dst : unmapIPv4(dst);
    if (src4 && dst4) {
      familyByte = 0x11; // AF_INET, STREAM
      addresses = Buffer.alloc(12);
      addresses.set(src4, 0);
      addresses.set(dst4, 4);
      addresses.writeUInt16BE(input.source.port, 8);
      addresses.writeUInt16BE(input.destination.port, 10);
    } else {
      familyByte = 0x21; // AF_INET6, STREAM
      addresses = Buffer.alloc(36);
      addresses.set(as6(src), 0);
      addresses.set(as6(dst), 16);
      addresses.writeUInt16BE(input.source.port, 32);
      addresses.writeUInt16BE(input.destination.port, 34);
    }
  }
  const tlvs = (input.tlvs ?? []).map(({ type, value }) => {
    if (!Number.isInteger(type) || type < 0 || type > 0xff)
      throw new ProxyProtocolError("MALFORMED", `TLV type ${type} is not a byte`);
    if (value.length > 0xffff)
      throw new ProxyProtocolError("TOO_LARGE", `TLV 0x${type.toString(16)} is longer than 65535 bytes`);
    const head = Buffer.alloc(3);
    head[0] = type;
    head.writeUInt16BE(value.length, 1);
    return Buffer.concat([head, value]);
  });
  const body = Buffer.concat([addresses, ...tlvs]);
  if (body.length > 0xffff) throw new ProxyProtocolError("TOO_LARGE", "PROXY v2 header longer than 65535 bytes");
  const fixed = Buffer.alloc(V2_FIXED_LENGTH);
  V2_SIGNATURE.copy(fixed, 0);
  fixed[12] = command === "LOCAL" ? 0x20 : 0x21;
  fixed[13] = familyByte;
  fixed.writeUInt16BE(body.length, 14);
  return Buffer.concat([fixed, body]);
}

function endpointBytes(endpoint: ProxyEndpoint): Uint8Array {
  const bytes = ipToBytes(endpoint.address);
  if (!bytes) throw new ProxyProtocolError("MALFORMED", `${JSON.stringify(endpoint.address)} is not an IP address`);
  if (!Number.isInteger(endpoint.port) || endpoint.port < 0 || endpoint.port > 65535) {
    throw new ProxyProtocolError("MALFORMED", `port ${endpoint.port} is out of range`);
  }
  return bytes;
}

function as6(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 16) return bytes;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(bytes, 12);
  return out;
}
