import { parseV1 } from "./parse-v1.js";
import { parseV2 } from "./parse-v2.js";
import { type ProxyHeader, ProxyProtocolError, V1_SIGNATURE, V2_SIGNATURE } from "./types.js";

/** Default bound on a header: v1 is ≤ 107 bytes; v2 TLVs from HAProxy (SSL, unique id) stay well under this. */
export const DEFAULT_MAX_HEADER_BYTES = 4096;

export interface ParseProxyHeaderOptions {
  /** Largest v2 header accepted (signature included). Default 4096. */
  maxBytes?: number;
}

/** Whether `input` is `signature` or a prefix of it, or starts with it. */
function matchesSignature(input: Buffer, signature: Buffer): boolean {
  const n = Math.min(input.length, signature.length);
  return input.subarray(0, n).equals(signature.subarray(0, n));
}

/**
 * Parse a PROXY v1 or v2 header at the start of `input` (the first bytes of a connection).
 * Returns null while more bytes are needed, else the header and how many bytes it took
 * (what follows belongs to the application protocol). Throws ProxyProtocolError when the
 * bytes are not a PROXY header or a malformed one; never reads past `maxBytes`.
 */
export function parseProxyHeader(
  input: Buffer,
  options: ParseProxyHeaderOptions = {},
): { header: ProxyHeader; length: number } | null {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (input.length === 0) return null;
  if (matchesSignature(input, V2_SIGNATURE)) {
    return input.length < V2_SIGNATURE.length ? null : parseV2(input, maxBytes);
  }
  if (matchesSignature(input, V1_SIGNATURE)) {
    return input.length < V1_SIGNATURE.length ? null : parseV1(input);
  }
  throw new ProxyProtocolError("NOT_PROXY", "connection does not start with a PROXY protocol header");
}
