import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { TrustedNetworks } from "@holdfast/proxy";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";

/*
 * holdfast-proxy configuration: a TOML file, validated strictly (an unknown or misspelled
 * key is an error that names it). Every key has a default, so no file at all gives the
 * embedded default: the local store under ./var, IMAP on 127.0.0.1:1143 (plain + STARTTLS)
 * and 127.0.0.1:1993 (implicit TLS) with a self-signed certificate made on first start.
 * Relative paths are relative to the folder the process starts in.
 */

const listener = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535),
    /** Implicit TLS; otherwise plain TCP with STARTTLS. */
    tls: z.boolean().default(false),
    /**
     * Networks (CIDR) whose connections start with a HAProxy PROXY v1/v2 header (a load
     * balancer): the client address it announces is then used. Others send no header.
     */
    proxy_protocol_trusted: z
      .array(z.string().refine(isCidr, { message: "not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8)" }))
      .optional(),
  })
  .strict();

/** `10.0.0.0/8`, `fd00::/8`, or a single address: exactly what the listener will accept. */
function isCidr(text: string): boolean {
  try {
    new TrustedNetworks([text]);
    return true;
  } catch {
    return false;
  }
}

/*
 * Backend pools (issue #8): `backend = "local"` (the default) serves the embedded store;
 * `backend = "<pool name>"` sends every user to a host of that pool.
 */

const tlsMode = z.enum(["none", "starttls", "implicit"]);

const poolHost = z
  .object({
    /** Stable name: hashing, health, logs and `holdfast-proxy move` use it. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: "letters, digits, '.', '_', '-' (at most 63)" }),
    host: z.string().min(1),
    /** Default 143, or 993 with tls = "implicit". */
    port: z.number().int().min(1).max(65535).optional(),
    /** Share of users under consistent hashing. */
    weight: z.number().positive().max(1_000_000).default(1),
    tls: tlsMode.default("none"),
    /** PEM file of the CA that signed the backend's certificate (default: the system store). */
    ca_file: z.string().min(1).optional(),
    /** SHA-256 of the backend's leaf certificate (hex, colons allowed): pinning. */
    fingerprint: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, { message: "64 hex digits (colons allowed)" })
      .optional(),
    /** Skip certificate verification. Never implied. */
    insecure: z.boolean().default(false),
    /** SNI and the name the certificate must carry (default: host). */
    servername: z.string().min(1).optional(),
    /** Send a PROXY v2 header to this backend (Dovecot: haproxy_trusted_networks). */
    proxy_protocol: z.boolean().default(false),
  })
  .strict();

/** A secret given inline or, better, in a file (first line, trimmed). */
const secretFields = {
  password: z.string().min(1).optional(),
  password_file: z.string().min(1).optional(),
};

const poolLogin = z
  .object({
    /** "user": the client's own credentials; "master": `user*master`; "authzid": SASL PLAIN with authzid. */
    mode: z.enum(["user", "master", "authzid"]).default("user"),
    /** The master / authorizing user (mode master or authzid). */
    user: z.string().min(1).optional(),
    ...secretFields,
    /** Master user separator (mode master; Dovecot's auth_master_user_separator). */
    separator: z.string().min(1).max(4).default("*"),
    /**
     * Who checks the client's password when the backend cannot (modes master and authzid log
     * in with the pool's credentials, so the backend never sees it): "local" = holdfast's own
     * user database in data_dir (`holdfast-proxy passwd USER`). Required for those modes.
     */
    verify: z.enum(["local"]).optional(),
  })
  .strict();

const poolHealth = z
  .object({
    enabled: z.boolean().default(true),
    interval_ms: z.number().int().min(100).default(5_000),
    timeout_ms: z.number().int().min(50).default(3_000),
    /** Consecutive failures that mark a host down. */
    fall: z.number().int().min(1).max(100).default(3),
    /** Consecutive successes that bring a down host back. */
    rise: z.number().int().min(1).max(100).default(2),
    /**
     * Also LOGIN as this user (a deep check); otherwise connect + greeting. With a master or
     * authzid login the pool's credentials are used and no check password is needed.
     */
    check_user: z.string().min(1).optional(),
    check_password: z.string().min(1).optional(),
    check_password_file: z.string().min(1).optional(),
  })
  .strict();

const poolLookup = z
  .object({
    /** GET this URL; `{user}` is replaced by the URL-encoded user name. */
    url: z.string().min(1),
    ttl_seconds: z.number().min(0).default(60),
    negative_ttl_seconds: z.number().min(0).default(10),
    timeout_ms: z.number().int().min(1).default(2_000),
    max_entries: z.number().int().min(1).default(10_000),
    /** Connection settings for looked-up hosts that are not in `hosts`. */
    host_tls: tlsMode.default("none"),
    host_ca_file: z.string().min(1).optional(),
    host_insecure: z.boolean().default(false),
  })
  .strict();

const pool = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: "letters, digits, '.', '_', '-' (at most 63)" }),
    /** "stateful": sessions live in the proxy (failover); "passthrough": bytes spliced after login. */
    mode: z.enum(["stateful", "passthrough"]).default("stateful"),
    /** "hash": consistent hashing by weight; "static": `map`; "lookup": HTTP lookup. */
    strategy: z.enum(["hash", "static", "lookup"]).default("hash"),
    hosts: z.array(poolHost).default([]),
    /** strategy "static": user → host id. */
    map: z.record(z.string(), z.string()).optional(),
    /** strategy "static": users not in `map` are hashed over the pool, or refused. */
    unmapped: z.enum(["hash", "reject"]).default("hash"),
    /** User names compared in lower case (Dovecot's %Lu default) or exactly. */
    user_case: z.enum(["lower", "exact"]).default("lower"),
    login: poolLogin.default({ mode: "user", separator: "*" }),
    health: poolHealth.default({ enabled: true, interval_ms: 5_000, timeout_ms: 3_000, fall: 3, rise: 2 }),
    lookup: poolLookup.optional(),
    /** Time a session may spend reconnecting before the client gets BYE [UNAVAILABLE]. */
    reconnect_budget_ms: z.number().int().min(0).default(30_000),
    /** x-proxy-ttl sent in ID (loop protection between proxies). */
    proxy_ttl: z.number().int().min(1).max(100).default(5),
  })
  .strict();

export type PoolConfig = z.infer<typeof pool>;

/** Rules that span keys; each issue names the key. */
function checkPools(config: { backend: string; pools: PoolConfig[] }, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const names = new Set<string>();
  config.pools.forEach((p, i) => {
    if (p.name === "local") issue(["pools", i, "name"], '"local" is reserved for the embedded store');
    if (names.has(p.name)) issue(["pools", i, "name"], `duplicate pool name "${p.name}"`);
    names.add(p.name);
    const ids = new Set<string>();
    p.hosts.forEach((h, j) => {
      if (ids.has(h.id)) issue(["pools", i, "hosts", j, "id"], `duplicate host id "${h.id}"`);
      ids.add(h.id);
      if (h.insecure && (h.ca_file || h.fingerprint)) {
        issue(["pools", i, "hosts", j, "insecure"], "insecure = true contradicts ca_file/fingerprint");
      }
      if (h.tls === "none" && (h.ca_file || h.fingerprint || h.insecure)) {
        issue(["pools", i, "hosts", j, "tls"], 'ca_file/fingerprint/insecure need tls = "starttls" or "implicit"');
      }
    });
    if (p.strategy !== "lookup" && p.hosts.length === 0) {
      issue(["pools", i, "hosts"], `strategy "${p.strategy}" needs at least one host`);
    }
    if (p.strategy === "lookup" && !p.lookup)
      issue(["pools", i, "lookup"], 'strategy "lookup" needs a [pools.lookup] url');
    if (p.strategy !== "lookup" && p.lookup) issue(["pools", i, "lookup"], 'only used with strategy = "lookup"');
    if (p.lookup && !p.lookup.url.includes("{user}")) issue(["pools", i, "lookup", "url"], "must contain {user}");
    if (p.lookup && !/^https?:\/\//.test(p.lookup.url))
      issue(["pools", i, "lookup", "url"], "must be an http:// or https:// URL");
    if (p.strategy === "static" && !p.map) issue(["pools", i, "map"], 'strategy "static" needs a [pools.map] table');
    if (p.strategy !== "static" && p.map) issue(["pools", i, "map"], 'only used with strategy = "static"');
    for (const [user, id] of Object.entries(p.map ?? {})) {
      if (!ids.has(id)) issue(["pools", i, "map", user], `names unknown host "${id}"`);
    }
    const l = p.login;
    if (l.mode === "user") {
      if (l.user || l.password || l.password_file)
        issue(["pools", i, "login"], 'user/password need mode "master" or "authzid"');
      if (l.verify) issue(["pools", i, "login", "verify"], 'only used with mode "master" or "authzid"');
    } else {
      if (!l.verify)
        issue(
          ["pools", i, "login", "verify"],
          `mode "${l.mode}" logs in with the pool's credentials, so the backend never checks the client's password: set verify = "local" (holdfast's user database in data_dir)`,
        );
      if (!l.user) issue(["pools", i, "login", "user"], `mode "${l.mode}" needs the ${l.mode} user`);
      if (!l.password === !l.password_file) issue(["pools", i, "login"], "give exactly one of password, password_file");
    }
    const hc = p.health;
    if (hc.check_password && hc.check_password_file) {
      issue(["pools", i, "health"], "give only one of check_password, check_password_file");
    }
    // With a master/authzid login the check user is logged in with the pool's credentials.
    if (hc.check_user && l.mode === "user" && !hc.check_password && !hc.check_password_file) {
      issue(["pools", i, "health"], "check_user needs check_password or check_password_file");
    }
    if (!hc.check_user && (hc.check_password || hc.check_password_file)) {
      issue(["pools", i, "health", "check_user"], "a check password needs check_user");
    }
  });
  if (config.backend !== "local" && !names.has(config.backend)) {
    const known = ["local", ...names].map((n) => `"${n}"`).join(", ");
    issue(["backend"], `"${config.backend}" is neither "local" nor a pool name (${known})`);
  }
}

export const configSchema = z
  .object({
    data_dir: z.string().min(1).default("./var/data"),
    listen: z
      .array(listener)
      .min(1)
      .default([
        { host: "127.0.0.1", port: 1143, tls: false },
        { host: "127.0.0.1", port: 1993, tls: true },
      ]),
    tls: z
      .object({
        cert: z.string().min(1).default("./var/tls/cert.pem"),
        key: z.string().min(1).default("./var/tls/key.pem"),
        /** Make a self-signed certificate when cert and key are missing. */
        generate: z.boolean().default(true),
      })
      .strict()
      .default({ cert: "./var/tls/cert.pem", key: "./var/tls/key.pem", generate: true }),
    auth: z
      .object({
        /**
         * LOGIN/AUTHENTICATE without TLS: "never", "always", or "loopback" (allowed only when
         * every listener is on a loopback address: local development).
         */
        plaintext: z.enum(["never", "loopback", "always"]).default("loopback"),
        failure_delay_ms: z.number().int().min(0).max(60_000).default(1000),
        max_failures: z.number().int().min(1).default(10),
      })
      .strict()
      .default({ plaintext: "loopback", failure_delay_ms: 1000, max_failures: 10 }),
    limits: z
      .object({
        max_connections: z.number().int().min(1).default(10_000),
        max_connections_per_address: z.number().int().min(1).default(100),
        /** Largest message APPEND accepts (APPENDLIMIT). */
        max_message_size: z
          .number()
          .int()
          .min(1024)
          .default(64 * 1024 * 1024),
        max_line_length: z
          .number()
          .int()
          .min(1024)
          .default(64 * 1024),
      })
      .strict()
      .default({
        max_connections: 10_000,
        max_connections_per_address: 100,
        max_message_size: 64 * 1024 * 1024,
        max_line_length: 64 * 1024,
      }),
    timeouts: z
      .object({
        pre_auth_seconds: z.number().int().min(1).default(60),
        /** RFC 9051 §5.4: at least 30 minutes. */
        idle_minutes: z.number().int().min(30).default(30),
      })
      .strict()
      .default({ pre_auth_seconds: 60, idle_minutes: 30 }),
    log: z
      .object({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info") })
      .strict()
      .default({ level: "info" }),
    /** Prometheus metrics (GET /metrics). Off unless on loopback or explicitly allowed remote. */
    metrics: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(9143),
        /** Needed to serve metrics on a non-loopback address. */
        allow_remote: z.boolean().default(false),
      })
      .strict()
      .default({ enabled: true, host: "127.0.0.1", port: 9143, allow_remote: false }),
    /** On first start (no users yet) create a user `demo` with a random password, printed once. */
    demo_user: z.boolean().default(true),
    /** "local": the embedded store (default); or the name of one of `pools`. */
    backend: z.string().min(1).default("local"),
    /** Remote backend pools (`[[pools]]`). */
    pools: z.array(pool).default([]),
  })
  .strict()
  .superRefine(checkPools);

export type Config = z.infer<typeof configSchema>;

/** A configuration problem, phrased for the operator (one line, names the key). */
export class ConfigError extends Error {
  override name = "ConfigError";
}

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .replace(/^\./, "");
  if (issue.code === "unrecognized_keys") {
    const where = path ? ` in ${path}` : "";
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}${where}`;
  }
  return `${path || "(top level)"}: ${issue.message}`;
}

/** Validate parsed TOML (or any object) into a full configuration. */
export function validateConfig(raw: unknown, source = "configuration"): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(`${source}: ${result.error.issues.map(describe).join("; ")}`);
  }
  return result.data;
}

/**
 * Load the configuration: `path` if given (it must exist), else the file named by
 * HOLDFAST_CONFIG, else ./holdfast.toml when present, else the defaults.
 */
export async function loadConfig(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ config: Config; source: string }> {
  const explicit = path ?? env.HOLDFAST_CONFIG;
  const file = explicit ?? "holdfast.toml";
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && explicit === undefined) {
      return { config: validateConfig({}), source: "defaults" };
    }
    throw new ConfigError(`cannot read configuration ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid TOML: ${(error as Error).message.split("\n")[0]}`);
  }
  return { config: validateConfig(raw, file), source: file };
}

/** Paths in the configuration, resolved against `base`. */
export function resolvePath(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Whether LOGIN without TLS is allowed under this configuration. */
export function plaintextAllowed(config: Config): boolean {
  if (config.auth.plaintext === "always") return true;
  if (config.auth.plaintext === "never") return false;
  return config.listen.every((l) => LOOPBACK.test(l.host));
}

/** Whether the metrics endpoint is to be served (refused on a public address unless allowed). */
export function metricsEnabled(config: Config): boolean {
  if (!config.metrics.enabled) return false;
  if (LOOPBACK.test(config.metrics.host)) return true;
  if (config.metrics.allow_remote) return true;
  throw new ConfigError(
    `metrics.host ${config.metrics.host} is not a loopback address: set metrics.allow_remote = true to serve metrics there`,
  );
}
