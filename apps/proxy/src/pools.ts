import { readFile } from "node:fs/promises";
import type { BackendLogin, HealthOptions, PoolHost, RoutingConfig } from "@holdfast/proxy";
import { type Config, ConfigError, type PoolConfig, resolvePath } from "./config.js";

/*
 * A `[[pools]]` entry turned into what the proxy library takes: the RoutingConfig for the
 * Router, the backend login, health-check settings. Files named in the configuration (CA
 * certificates, password files) are read here, once, at start-up; a missing or unreadable
 * file is a ConfigError naming the key.
 */

/** The backend login. */
export type PoolLogin = BackendLogin;

export interface ResolvedPool {
  name: string;
  mode: "stateful" | "passthrough";
  routing: RoutingConfig;
  login: PoolLogin;
  /** Who checks client passwords the backend never sees (master/authzid logins). */
  verify?: "local";
  /** Absent when health checks are disabled. */
  health?: Omit<HealthOptions, "probe" | "logger"> & { checkUser?: string; checkPassword?: string };
  reconnectBudgetMs: number;
  proxyTtl: number;
}

/** The pool named by `backend`, or undefined for the local store. */
export function selectedPool(config: Config): PoolConfig | undefined {
  if (config.backend === "local") return undefined;
  const pool = config.pools.find((p) => p.name === config.backend);
  if (!pool) throw new ConfigError(`backend: "${config.backend}" is not a pool name`);
  return pool;
}

async function readText(base: string, file: string, key: string): Promise<string> {
  try {
    return await readFile(resolvePath(base, file), "utf8");
  } catch (error) {
    throw new ConfigError(
      `${key}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** A secret from a file: its first line, without the line end. */
async function readSecret(base: string, file: string, key: string): Promise<string> {
  const secret = (await readText(base, file, key)).split(/\r?\n/)[0] ?? "";
  if (secret.length === 0) throw new ConfigError(`${key}: ${file} is empty`);
  return secret;
}

export async function resolvePool(config: Config, pool: PoolConfig, base: string): Promise<ResolvedPool> {
  const index = config.pools.indexOf(pool);
  const at = `pools[${index}]`;
  const hosts: PoolHost[] = [];
  for (const [j, h] of pool.hosts.entries()) {
    const port = h.port ?? (h.tls === "implicit" ? 993 : 143);
    const host: PoolHost = { id: h.id, host: h.host, port, weight: h.weight, tls: h.tls };
    if (h.ca_file) host.ca = await readText(base, h.ca_file, `${at}.hosts[${j}].ca_file`);
    if (h.fingerprint) host.fingerprint = h.fingerprint.replaceAll(":", "").toLowerCase();
    if (h.insecure) host.insecure = true;
    if (h.servername) host.servername = h.servername;
    if (h.proxy_protocol) host.sendProxyProtocol = true;
    hosts.push(host);
  }
  const routing: RoutingConfig = { name: pool.name, strategy: pool.strategy, hosts, userCase: pool.user_case };
  if (pool.map) {
    routing.map = pool.map;
    routing.unmapped = pool.unmapped;
  }
  if (pool.lookup) {
    const l = pool.lookup;
    routing.lookup = {
      url: l.url,
      ttlMs: l.ttl_seconds * 1000,
      negativeTtlMs: l.negative_ttl_seconds * 1000,
      timeoutMs: l.timeout_ms,
      maxEntries: l.max_entries,
      hostDefaults: { tls: l.host_tls },
    };
    if (l.host_ca_file)
      routing.lookup.hostDefaults!.ca = await readText(base, l.host_ca_file, `${at}.lookup.host_ca_file`);
    if (l.host_insecure) routing.lookup.hostDefaults!.insecure = true;
  }

  let login: PoolLogin = { mode: "user" };
  const l = pool.login;
  if (l.mode !== "user") {
    const password = l.password ?? (await readSecret(base, l.password_file!, `${at}.login.password_file`));
    login =
      l.mode === "master"
        ? { mode: "master", user: l.user!, password, separator: l.separator }
        : { mode: "authzid", user: l.user!, password };
  }

  let health: ResolvedPool["health"];
  const hc = pool.health;
  if (hc.enabled) {
    health = { intervalMs: hc.interval_ms, timeoutMs: hc.timeout_ms, fall: hc.fall, rise: hc.rise };
    if (hc.check_user) {
      health.checkUser = hc.check_user;
      health.checkPassword =
        hc.check_password ??
        (hc.check_password_file
          ? await readSecret(base, hc.check_password_file, `${at}.health.check_password_file`)
          : undefined);
    }
  }
  return {
    name: pool.name,
    mode: pool.mode,
    routing,
    login,
    verify: l.verify,
    health,
    reconnectBudgetMs: pool.reconnect_budget_ms,
    proxyTtl: pool.proxy_ttl,
  };
}
