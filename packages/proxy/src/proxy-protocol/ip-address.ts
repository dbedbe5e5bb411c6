import { isIPv4, isIPv6 } from "node:net";

/*
 * IP addresses as bytes and back: 4 bytes for IPv4, 16 for IPv6. Used by the v2 codec and
 * the trusted-network matcher; IPv4-mapped IPv6 (::ffff:a.b.c.d) is recognised so that a
 * dual-stack listener's peers match IPv4 networks.
 */

/** Bytes of an IPv4 or IPv6 address in text form; null when it is neither. */
export function ipToBytes(text: string): Uint8Array | null {
  if (isIPv4(text)) return Uint8Array.from(text.split(".").map(Number));
  if (!isIPv6(text)) return null;
  const zone = text.indexOf("%");
  let rest = zone >= 0 ? text.slice(0, zone) : text;
  const out = new Uint8Array(16);
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes the last two groups
  const lastColon = rest.lastIndexOf(":");
  const tail = rest.slice(lastColon + 1);
  let tailBytes: Uint8Array | null = null;
  if (tail.includes(".")) {
    tailBytes = Uint8Array.from(tail.split(".").map(Number));
    rest = `${rest.slice(0, lastColon + 1)}0:0`;
  }
  const [head = "", back] = rest.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const front = groups(head);
  const end = back === undefined ? [] : groups(back);
  const all = back === undefined ? front : [...front, ...new Array(8 - front.length - end.length).fill(0), ...end];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = (all[i]! >> 8) & 0xff;
    out[2 * i + 1] = all[i]! & 0xff;
  }
  if (tailBytes) out.set(tailBytes, 12);
  return out;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:0:0/96), else null. */
export function unmapIPv4(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length !== 16) return null;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return null;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return null;
  return bytes.slice(12);
}

export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** RFC 5952 text: lower case, longest run (≥ 2) of zero groups compressed, the first one on ties. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(":");
  // IPv4-mapped addresses keep their dotted tail (the form Node reports for dual-stack peers)
  const mapped = unmapIPv4(bytes);
  if (mapped) return `::ffff:${formatIPv4(mapped)}`;
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
