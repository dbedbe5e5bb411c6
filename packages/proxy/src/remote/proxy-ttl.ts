/*
 * Loop protection between proxies (Dovecot's x-proxy-ttl convention): every proxy hop sends
 * ID x-proxy-ttl one lower than it received (or its configured start value when the client
 * sent none). A login arriving with x-proxy-ttl ≤ 0 has gone round a loop of proxies
 * (a routing mistake that would otherwise open connections until something breaks): it is
 * refused.
 */

/** The x-proxy-ttl the client sent, or null when it sent none (or garbage). */
export function incomingTtl(clientId: Readonly<Record<string, string | null>> | undefined): number | null {
  if (!clientId) return null;
  for (const [key, value] of Object.entries(clientId)) {
    if (key.toLowerCase() !== "x-proxy-ttl" || value === null) continue;
    if (!/^-?\d{1,9}$/.test(value.trim())) return null;
    return Number(value.trim());
  }
  return null;
}

/** The x-proxy-ttl to send to the backend. */
export function outgoingTtl(clientId: Readonly<Record<string, string | null>> | undefined, start: number): number {
  const incoming = incomingTtl(clientId);
  return incoming === null ? start : Math.min(start, incoming - 1);
}
