import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
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
  })
  .strict();

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
  })
  .strict();

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
