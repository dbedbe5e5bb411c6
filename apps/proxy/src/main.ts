#!/usr/bin/env node
import { randomBytes } from "node:crypto";
import { ImapServer, LocalBackend } from "@holdfast/proxy";
import { Store } from "@holdfast/store";
import pino from "pino";
import { ConfigError, loadConfig, metricsEnabled, plaintextAllowed, resolvePath } from "./config.js";
import { ProxyMetrics } from "./metrics.js";
import { loadTls } from "./tls-material.js";

/*
 * holdfast-proxy: the daemon. `holdfast-proxy [--config FILE]` serves IMAP on the
 * configured listeners; `holdfast-proxy passwd USER [--config FILE]` sets a user's password
 * (read from standard input, or generated and printed) while the daemon is stopped — the
 * store's data folder has one owner at a time.
 *
 * Exit codes: 0 clean stop, 1 configuration or start-up error, 2 bad usage.
 */

const USAGE = "usage: holdfast-proxy [--config FILE]\n       holdfast-proxy passwd USER [--config FILE]";

function parseArgs(argv: string[]): { command: "serve" | "passwd"; user?: string; config?: string } {
  const rest: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--config") config = argv[++i];
    else if (a.startsWith("--config=")) config = a.slice("--config=".length);
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else rest.push(a);
  }
  if (rest.length === 0) return { command: "serve", config };
  if (rest[0] === "passwd" && rest.length === 2) return { command: "passwd", user: rest[1], config };
  console.error(USAGE);
  process.exit(2);
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

async function passwd(user: string, dataDir: string): Promise<void> {
  const store = await Store.open(dataDir);
  try {
    const given = await readStdin();
    const password = given || randomBytes(12).toString("base64url");
    await store.users.passwd(user, password);
    console.log(given ? `password of ${user} changed` : `new password of ${user}: ${password}`);
  } finally {
    await store.close();
  }
}

async function serve(configFile: string | undefined): Promise<void> {
  const { config, source } = await loadConfig(configFile);
  const log = pino({ level: config.log.level, base: { service: "holdfast-proxy" } });
  const cwd = process.cwd();
  const dataDir = resolvePath(cwd, config.data_dir);
  const store = await Store.open(dataDir, { maxMessageSize: config.limits.max_message_size });
  if (config.demo_user && store.users.list().length === 0) {
    const password = randomBytes(12).toString("base64url");
    await store.users.add("demo", password);
    // Printed once, to the terminal, not to the log.
    console.error(
      `\nCreated user "demo" with password: ${password}\n` +
        "Change it with the daemon stopped:  npx holdfast-proxy passwd demo\n",
    );
  }
  const tls = await loadTls(resolvePath(cwd, config.tls.cert), resolvePath(cwd, config.tls.key), config.tls.generate);
  if (tls.generated) log.warn({ cert: config.tls.cert }, "generated a self-signed certificate");
  const backend = new LocalBackend(store, { appendLimit: config.limits.max_message_size });
  let server: ImapServer | undefined;
  const metrics = new ProxyMetrics(() => server);
  server = new ImapServer({
    observer: metrics,
    backend,
    authenticator: backend,
    tlsContext: tls.context,
    plaintextAuth: plaintextAllowed(config),
    maxConnections: config.limits.max_connections,
    maxConnectionsPerAddress: config.limits.max_connections_per_address,
    limits: { maxLineLength: config.limits.max_line_length, maxLiteralSize: config.limits.max_message_size },
    timeouts: { preAuthMs: config.timeouts.pre_auth_seconds * 1000, idleMs: config.timeouts.idle_minutes * 60_000 },
    throttle: { failureDelayMs: config.auth.failure_delay_ms, maxFailures: config.auth.max_failures },
    logger: log,
  });
  const bound: string[] = [];
  for (const l of config.listen) {
    const port = await server.listen(l);
    bound.push(`${l.host}:${port}${l.tls ? " (TLS)" : " (STARTTLS)"}`);
  }
  let metricsServer: { close(): void } | undefined;
  if (metricsEnabled(config)) {
    const m = await metrics.listen(config.metrics.host, config.metrics.port);
    metricsServer = m.server;
    bound.push(`metrics http://${config.metrics.host}:${m.port}/metrics`);
  }
  log.info({ listen: bound, dataDir, config: source, plaintextAuth: plaintextAllowed(config) }, "holdfast-proxy ready");
  console.error(`holdfast-proxy listening on ${bound.join(", ")}; data in ${dataDir}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, connections: server!.connections.size }, "draining");
    metricsServer?.close();
    await server!.close(5000);
    await store.close();
    log.info({}, "stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  try {
    if (args.command === "passwd") {
      const { config } = await loadConfig(args.config);
      await passwd(args.user!, resolvePath(process.cwd(), config.data_dir));
    } else {
      await serve(args.config);
    }
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `holdfast-proxy: ${(error as Error).message}`;
    console.error(message);
    if (process.env.HOLDFAST_DEBUG) console.error((error as Error).stack);
    process.exit(1);
  }
}

void main();
