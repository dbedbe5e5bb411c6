import { xxh64 } from "@holdfast/checksum";
import type { PoolHost } from "./host.js";

/*
 * Weighted rendezvous (highest random weight) hashing.
 *
 * Every host gets a score for a user: -weight / ln(u), u in (0, 1) derived from
 * xxh64(user) seeded with xxh64(host id). The host with the highest score is the user's
 * host; sorting all hosts by score gives the fallback order.
 *
 * Why this and not a ring: the result depends only on (host ids, weights, user), so every
 * proxy instance computes the same order without shared state; adding a host moves only
 * the users for which the new host now scores highest (in expectation its weight share,
 * ~1/N for equal weights), and removing one moves only its own users, each to the host that
 * was already their first fallback. -w/ln(u) makes the probability of winning exactly
 * proportional to the weight (the scores are exponential variates with rate 1/w).
 * Cost: one xxh64 per host per lookup, which is nothing for pools of tens of hosts.
 *
 * Invariant: callers must have awaited initChecksum() (xxh64 is synchronous after it).
 */

const TWO_POW_53 = 2 ** 53;

/** A host prepared for scoring: its hash seed is computed once. */
export interface ScoredHost<H extends PoolHost = PoolHost> {
  host: H;
  seed: bigint;
  weight: number;
}

const encoder = new TextEncoder();

export function prepareHosts<H extends PoolHost>(hosts: readonly H[]): ScoredHost<H>[] {
  return hosts.map((host) => ({ host, seed: xxh64(encoder.encode(host.id)), weight: host.weight ?? 1 }));
}

/** The score of one host for a user key (higher wins). */
export function score(entry: ScoredHost, key: Uint8Array): number {
  const h = xxh64(key, entry.seed);
  // Top 53 bits as a uniform in (0, 1): +0.5 keeps it away from 0 and 1 (ln would be ±inf/0).
  const u = (Number(h >> 11n) + 0.5) / TWO_POW_53;
  return -entry.weight / Math.log(u);
}

/** Hosts in preference order for `key` (highest score first; ties broken by id for determinism). */
export function rendezvousOrder<H extends PoolHost>(hosts: readonly ScoredHost<H>[], key: string): H[] {
  const bytes = encoder.encode(key);
  return hosts
    .map((entry) => ({ host: entry.host, s: score(entry, bytes) }))
    .sort((a, b) => b.s - a.s || (a.host.id < b.host.id ? -1 : a.host.id > b.host.id ? 1 : 0))
    .map((x) => x.host);
}
