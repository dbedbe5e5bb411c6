import { isIPv4, isIPv6 } from "node:net";
import { formatIPv6, ipToBytes } from "./ip-address.js";
import { type ProxyHeader, ProxyProtocolError, V1_MAX_LENGTH } from "./types.js";

/*
 * v1 (text): `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n` or `PROXY UNKNOWN[ ...]\r\n`,
 * single spaces, at most 107 bytes with the CRLF. Called once the input starts with "PROXY ".
 */

const PORT = /^(0|[1-9][0-9]{0,4})$/;

/** The header and its length, null while the line is incomplete; throws when malformed. */
export function parseV1(input: Buffer): { header: ProxyHeader; length: number } | null {
  const window = input.subarray(0, V1_MAX_LENGTH);
  const cr = window.indexOf(0x0d);
  if (cr < 0) {
    if (window.indexOf(0x0a) >= 0) throw new ProxyProtocolError("MALFORMED", "PROXY v1 line ends with LF without CR");
    if (input.length >= V1_MAX_LENGTH) {
      throw new ProxyProtocolError("TOO_LARGE", `PROXY v1 line longer than ${V1_MAX_LENGTH} bytes`);
    }
    return null;
  }
  if (cr + 1 >= input.length) return null; // CR seen, LF not yet
  if (input[cr + 1] !== 0x0a) throw new ProxyProtocolError("MALFORMED", "PROXY v1 line has a CR not followed by LF");
  const line = input.toString("latin1", 0, cr);
  const length = cr + 2;
  if (!/^[\x20-\x7e]*$/.test(line)) throw new ProxyProtocolError("MALFORMED", "PROXY v1 line has control bytes");
  const fields = line.split(" ");
  const family = fields[1];
  if (family === "UNKNOWN") {
    // the rest of the line may be anything; the receiver must ignore it (spec §2.1)
    return { header: { version: 1, command: "PROXY", family: "UNKNOWN", tlvs: [] }, length };
  }
  if (family !== "TCP4" && family !== "TCP6") {
    throw new ProxyProtocolError(
      "MALFORMED",
      `PROXY v1 protocol ${JSON.stringify(family ?? "")} is not TCP4, TCP6 or UNKNOWN`,
    );
  }
  if (fields.length !== 6)
    throw new ProxyProtocolError("MALFORMED", "PROXY v1 line needs exactly 5 fields after PROXY");
  const [, , src, dst, sport, dport] = fields as [string, string, string, string, string, string];
  const valid = family === "TCP4" ? isIPv4 : isIPv6;
  for (const a of [src, dst]) {
    if (!valid(a) || a.includes("%"))
      throw new ProxyProtocolError("MALFORMED", `PROXY v1 ${family} address ${JSON.stringify(a)} is invalid`);
  }
  const port = (p: string) => {
    if (!PORT.test(p) || Number(p) > 65535)
      throw new ProxyProtocolError("MALFORMED", `PROXY v1 port ${JSON.stringify(p)} is invalid`);
    return Number(p);
  };
  // IPv6 text is normalised so that limits and logs see one spelling per address
  const text = (a: string) => (family === "TCP6" ? formatIPv6(ipToBytes(a)!) : a);
  return {
    header: {
      version: 1,
      command: "PROXY",
      family,
      source: { address: text(src), port: port(sport) },
      destination: { address: text(dst), port: port(dport) },
      tlvs: [],
    },
    length,
  };
}
