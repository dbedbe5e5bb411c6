import { ipToBytes, unmapIPv4 } from "./ip-address.js";

/** A configured CIDR that does not parse. */
export class TrustedNetworkError extends Error {
  override name = "TrustedNetworkError";
}

interface Network {
  bytes: Uint8Array;
  prefix: number;
}

/**
 * The networks a PROXY header is accepted from ("10.0.0.0/8", "2001:db8::/32", "127.0.0.1"
 * for one host). IPv4-mapped IPv6 peers (::ffff:10.1.2.3, what a dual-stack listener
 * reports) match IPv4 networks, and an IPv4-mapped network (::ffff:10.0.0.0/104) matches
 * IPv4 peers: both are compared as IPv4.
 */
export class TrustedNetworks {
  private readonly v4: Network[] = [];
  private readonly v6: Network[] = [];

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [text = "", prefixText, extra] = cidr.trim().split("/");
      let bytes = ipToBytes(text);
      if (!bytes || extra !== undefined)
        throw new TrustedNetworkError(`trusted network ${JSON.stringify(cidr)} is not an address or CIDR`);
      const max = bytes.length * 8;
      let prefix = max;
      if (prefixText !== undefined) {
        if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > max) {
          throw new TrustedNetworkError(`trusted network ${JSON.stringify(cidr)} has an invalid prefix length`);
        }
        prefix = Number(prefixText);
      }
      const mapped = unmapIPv4(bytes);
      if (mapped && prefix >= 96) {
        bytes = mapped;
        prefix -= 96;
      }
      (bytes.length === 4 ? this.v4 : this.v6).push({ bytes, prefix });
    }
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** Whether `address` (as a socket reports it) lies in one of the networks. */
  contains(address: string | undefined): boolean {
    if (!address) return false;
    let bytes = ipToBytes(address);
    if (!bytes) return false;
    bytes = unmapIPv4(bytes) ?? bytes;
    const list = bytes.length === 4 ? this.v4 : this.v6;
    return list.some((n) => inPrefix(bytes!, n));
  }
}

function inPrefix(bytes: Uint8Array, network: Network): boolean {
  const full = network.prefix >> 3;
  for (let i = 0; i < full; i++) if (bytes[i] !== network.bytes[i]) return false;
  const rest = network.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[full]! & mask) === (network.bytes[full]! & mask);
}
