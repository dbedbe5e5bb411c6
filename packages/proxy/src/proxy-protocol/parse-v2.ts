import { formatIPv4, formatIPv6 } from "./ip-address.js";
import { type ProxyHeader, ProxyProtocolError, V2_FIXED_LENGTH } from "./types.js";

/*
 * v2 (binary): 12-byte signature, then
 *   byte 12: version (high nibble, must be 2) | command (low: 0 LOCAL, 1 PROXY)
 *   byte 13: address family (high: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX) | transport (low: 0 UNSPEC, 1 STREAM, 2 DGRAM)
 *   bytes 14-15: length of what follows, big endian
 *   addresses (INET 12 bytes, INET6 36, UNIX 216), then TLVs (type, 2-byte length, value).
 * Called once the input starts with the signature (or a prefix of it).
 */

const ADDRESS_LENGTH: Record<number, number> = { 0: 0, 1: 12, 2: 36, 3: 216 };

/** The header and its length, null while incomplete; throws when malformed or over `maxLength`. */
export function parseV2(input: Buffer, maxLength: number): { header: ProxyHeader; length: number } | null {
  if (input.length < V2_FIXED_LENGTH) return null;
  const version = input[12]! >> 4;
  const command = input[12]! & 0x0f;
  if (version !== 2) throw new ProxyProtocolError("UNSUPPORTED", `PROXY v2 header with version ${version}`);
  if (command > 1)
    throw new ProxyProtocolError("UNSUPPORTED", `PROXY v2 command ${command} is neither LOCAL nor PROXY`);
  const familyCode = input[13]! >> 4;
  const transport = input[13]! & 0x0f;
  if (familyCode > 3) throw new ProxyProtocolError("UNSUPPORTED", `PROXY v2 address family ${familyCode}`);
  if (transport > 2) throw new ProxyProtocolError("UNSUPPORTED", `PROXY v2 transport ${transport}`);
  const bodyLength = input.readUInt16BE(14);
  const length = V2_FIXED_LENGTH + bodyLength;
  if (length > maxLength) {
    throw new ProxyProtocolError("TOO_LARGE", `PROXY v2 header of ${length} bytes exceeds the limit of ${maxLength}`);
  }
  const addressLength = ADDRESS_LENGTH[familyCode]!;
  // LOCAL may carry any family; its addresses are ignored but still have to fit
  if (bodyLength < addressLength) {
    throw new ProxyProtocolError(
      "MALFORMED",
      `PROXY v2 length ${bodyLength} is shorter than its ${addressLength}-byte address block`,
    );
  }
  if (input.length < length) return null;
  const body = input.subarray(V2_FIXED_LENGTH, length);
  const tlvs = parseTlvs(body.subarray(addressLength));
  const base = { version: 2 as const, tlvs };
  if (command === 0) return { header: { ...base, command: "LOCAL", family: "UNKNOWN" }, length };
  switch (familyCode) {
    case 1:
      return {
        header: {
          ...base,
          command: "PROXY",
          family: "TCP4",
          source: { address: formatIPv4(body.subarray(0, 4)), port: body.readUInt16BE(8) },
          destination: { address: formatIPv4(body.subarray(4, 8)), port: body.readUInt16BE(10) },
        },
        length,
      };
    case 2:
      return {
        header: {
          ...base,
          command: "PROXY",
          family: "TCP6",
          source: { address: formatIPv6(body.subarray(0, 16)), port: body.readUInt16BE(32) },
          destination: { address: formatIPv6(body.subarray(16, 32)), port: body.readUInt16BE(34) },
        },
        length,
      };
    case 3:
      return { header: { ...base, command: "PROXY", family: "UNIX" }, length };
    default:
      // AF_UNSPEC: the proxy does not know (or will not tell) the source; keep the socket's
      return { header: { ...base, command: "PROXY", family: "UNKNOWN" }, length };
  }
}

/** TLVs are not used, only checked to tile the rest of the header exactly (spec §2.2.7). */
function parseTlvs(block: Buffer): Array<{ type: number; value: Buffer }> {
  const out: Array<{ type: number; value: Buffer }> = [];
  let at = 0;
  while (at < block.length) {
    if (block.length - at < 3) throw new ProxyProtocolError("MALFORMED", "PROXY v2 TLV header is truncated");
    const type = block[at]!;
    const size = block.readUInt16BE(at + 1);
    if (at + 3 + size > block.length) {
      throw new ProxyProtocolError(
        "MALFORMED",
        `PROXY v2 TLV 0x${type.toString(16)} of ${size} bytes overruns the header`,
      );
    }
    out.push({ type, value: Buffer.from(block.subarray(at + 3, at + 3 + size)) });
    at += 3 + size;
  }
  return out;
}
