import { initChecksum } from "@holdfast/checksum";
import { RoutingConfigError, RoutingError } from "./errors.js";
import type { HealthChecker } from "./health-checker.js";
import type { BackendHost, PoolHost, RoutedHost } from "./host.js";
import { HttpLookup, type LookupAnswer, type LookupOptions } from "./http-lookup.js";
import { prepareHosts, rendezvousOrder, type ScoredHost } from "./rendezvous.js";

/*
 * The Router of one pool: for a user, the backend hosts to try, in preference order.
 *
 *   1. an admin override (move), else
 *   2. the strategy's choice: "hash" (weighted rendezvous hashing over the pool), "static"
 *      (a user → host id map; unmapped users hashed, or refused), "lookup" (HTTP lookup,
 *      which may also name the backend login user: `destuser`);
 *   3. then every other host of the pool in hashing order (the fallbacks failover walks).
 *
 * Hosts the HealthChecker has marked down are left out; if that leaves nothing, the whole
 * list is returned anyway (a login should still try rather than fail without trying).
 *
 * Every proxy instance built from the same configuration computes the same order for a
 * user (no shared state). Admin overrides are the exception: they live in this process.
 */

export interface RoutingConfig {
  /** Pool name (logs, errors). */
  name?: string;
  strategy: "hash" | "static" | "lookup";
  /** The pool's hosts (may be empty only for "lookup"). */
  hosts: readonly PoolHost[];
  /** "static": user → host id. */
  map?: Readonly<Record<string, string>>;
  /** "static": users missing from the map are hashed over the pool (default) or refused. */
  unmapped?: "hash" | "reject";
  /** "lookup": the HTTP lookup service. */
  lookup?: LookupOptions & {
    /** Connection settings for looked-up hosts that are not in the pool (tls, ca, ...). */
    hostDefaults?: Omit<BackendHost, "id" | "host" | "port">;
  };
  /**
   * How user names are compared for hashing, the static map, overrides and lookups:
   * "lower" (default: Dovecot's `%Lu` default, so `Alice` and `alice` go to one backend)
   * or "exact".
   */
  userCase?: "lower" | "exact";
}

export class Router {
  readonly name: string;
  private readonly hosts: ScoredHost[] = [];
  private readonly byId = new Map<string, PoolHost>();
  private readonly overrides = new Map<string, string>();
  private readonly map = new Map<string, string>();
  private readonly lookup: HttpLookup | undefined;
  private ready: Promise<void> | undefined;
  private prepared = false;

  constructor(
    private readonly config: RoutingConfig,
    private readonly health?: HealthChecker,
  ) {
    this.name = config.name ?? "default";
    const where = `pool ${this.name}`;
    for (const host of config.hosts) {
      if (!host.id) throw new RoutingConfigError(`${where}: a host has an empty id`);
      if (this.byId.has(host.id)) throw new RoutingConfigError(`${where}: duplicate host id "${host.id}"`);
      const weight = host.weight ?? 1;
      if (!Number.isFinite(weight) || weight <= 0) {
        throw new RoutingConfigError(`${where}: host "${host.id}" weight must be > 0`);
      }
      this.byId.set(host.id, host);
    }
    if (config.strategy !== "lookup" && config.hosts.length === 0) {
      throw new RoutingConfigError(`${where}: strategy "${config.strategy}" needs at least one host`);
    }
    if (config.strategy === "static") {
      for (const [user, id] of Object.entries(config.map ?? {})) {
        if (!this.byId.has(id))
          throw new RoutingConfigError(`${where}: map entry "${user}" names unknown host "${id}"`);
        this.map.set(this.key(user), id);
      }
    }
    if (config.strategy === "lookup") {
      if (!config.lookup) throw new RoutingConfigError(`${where}: strategy "lookup" needs lookup settings`);
      try {
        this.lookup = new HttpLookup(config.lookup);
      } catch (error) {
        throw new RoutingConfigError(`${where}: ${(error as Error).message}`);
      }
    }
  }

  /** The hosts to try for `user`, best first. Throws RoutingError (→ NO [UNAVAILABLE]). */
  async route(user: string): Promise<RoutedHost[]> {
    await this.prepare();
    const key = this.key(user);
    const ordered = rendezvousOrder(this.hosts, key);
    let first: BackendHost | undefined;
    let destuser: string | undefined;
    const override = this.overrides.get(key);
    if (this.lookup) {
      // Asked even for a moved user: the lookup's destuser is still the backend login name.
      const answer = await this.lookup.resolve(key);
      if (!answer) throw new RoutingError(`no backend is known for ${user}`);
      first = override !== undefined ? this.byId.get(override) : this.hostFor(answer);
      destuser = answer.destuser;
    } else if (override !== undefined) first = this.byId.get(override);
    else if (this.config.strategy === "static") {
      const id = this.map.get(key);
      if (id !== undefined) first = this.byId.get(id);
      else if (this.config.unmapped === "reject") throw new RoutingError(`no backend is configured for ${user}`);
    }
    const order: BackendHost[] = first ? [first, ...ordered.filter((h) => h.id !== first.id)] : ordered;
    const up = this.health ? order.filter((h) => this.health!.isUp(h.id)) : order;
    return (up.length > 0 ? up : order).map((h) => routed(h, destuser));
  }

  /**
   * Admin override: send `user` to `hostId` (a host of this pool) from now on, in this
   * process. Sessions already open are not touched here (the admin command reconnects or
   * kicks them).
   */
  move(user: string, hostId: string): void {
    if (!this.byId.has(hostId)) {
      throw new RoutingError(`pool ${this.name} has no host "${hostId}" (hosts: ${[...this.byId.keys()].join(", ")})`);
    }
    const key = this.key(user);
    this.overrides.set(key, hostId);
    this.lookup?.forget(key);
  }

  /** Drop an override; returns whether there was one. */
  clearMove(user: string): boolean {
    return this.overrides.delete(this.key(user));
  }

  /** Current overrides (user key → host id). */
  moves(): ReadonlyMap<string, string> {
    return this.overrides;
  }

  /** The pool's hosts. */
  poolHosts(): readonly PoolHost[] {
    return this.config.hosts;
  }

  hasHost(hostId: string): boolean {
    return this.byId.has(hostId);
  }

  private key(user: string): string {
    return this.config.userCase === "exact" ? user : user.toLowerCase();
  }

  private prepare(): Promise<void> {
    if (this.prepared) return Promise.resolve();
    this.ready ??= initChecksum().then(() => {
      this.hosts.push(...prepareHosts(this.config.hosts));
      this.prepared = true;
    });
    return this.ready;
  }

  /** A pool host when the lookup named one (by host and port), else an ad-hoc host. */
  private hostFor(answer: LookupAnswer): BackendHost {
    for (const host of this.byId.values()) {
      if (host.host === answer.host && host.port === answer.port) return host;
    }
    const id = `${answer.host.includes(":") ? `[${answer.host}]` : answer.host}:${answer.port}`;
    return { ...this.config.lookup?.hostDefaults, id, host: answer.host, port: answer.port };
  }
}

/** A copy without pool-only fields, with the login user when one was given. */
function routed(host: BackendHost, user: string | undefined): RoutedHost {
  const { weight: _weight, ...rest } = host as PoolHost;
  return user === undefined ? { ...rest } : { ...rest, user };
}
