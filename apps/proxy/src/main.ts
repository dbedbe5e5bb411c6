#!/usr/bin/env node
import { randomBytes } from "node:crypto";
import { ImapServer, type ImapServerOptions, LocalBackend, RoutingAdmin } from "@holdfast/proxy";
import { Store } from "@holdfast/store";
import pino from "pino";
import { AdminCallError, callAdmin } from "./admin-client.js";
import { handleAdmin } from "./admin-http.js";
import { ConfigError, loadConfig, metricsEnabled, plaintextAllowed, resolvePath } from "./config.js";
import { ProxyMetrics } from "./metrics.js";
import { type PoolRuntime, startPool } from "./pool-runtime.js";
import { selectedPool } from "./pools.js";
import { loadTls } from "./tls-material.js";

/*
 * holdfast-proxy: the daemon. `holdfast-proxy [--config FILE]` serves IMAP on the
 * configured listeners; `holdfast-proxy passwd USER [--config FILE]` sets a user's password
 * (read from standard input, or generated and printed) while the daemon is stopped — the
 * store's data folder has one owner at a time. `holdfast-proxy kick USER` and
 * `holdfast-proxy move USER HOST` ask the running daemon (its admin endpoint on the metrics
 * listener) to end a user's sessions or to send the user to another host of the pool.
 *
 * Exit codes: 0 clean stop, 1 configuration or start-up error, 2 bad usage.
 *
 * File-system thread pool: every fs call of the local store (blob reads, fsyncs of blobs and
 * indexes) runs on libuv's pool, 4 threads unless UV_THREADPOOL_SIZE says otherwise. Under
 * concurrent APPEND and STORE the fsyncs hold those threads and reads queue behind them, so
 * a larger pool (16) is recommended. It must come from the environment the daemon is started
 * with: this file cannot set it for itself, because it is an ES module and Node's ESM loader
 * reads it with fs.promises — which starts the pool at its fixed size — before its first line
 * runs (measured: the 4 pool threads exist before any code here). The size in effect is logged.
 */

const USAGE = [
  "usage: holdfast-proxy [--config FILE]",
  "       holdfast-proxy passwd USER [--config FILE]",
  "       holdfast-proxy kick USER [--reason TEXT] [--config FILE]",
  "       holdfast-proxy move USER HOST [--config FILE]",
].join("\n");

interface Args {
  command: "serve" | "passwd" | "kick" | "move";
  user?: string;
  host?: string;
  reason?: string;
  config?: string;
}

function parseArgs(argv: string[]): Args {
  const rest: string[] = [];
  let config: string | undefined;
  let reason: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--config") config = argv[++i];
    else if (a.startsWith("--config=")) config = a.slice("--config=".length);
    else if (a === "--reason") reason = argv[++i];
    else if (a.startsWith("--reason=")) reason = a.slice("--reason=".length);
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else rest.push(a);
  }
  if (rest.length === 0 && reason === undefined) return { command: "serve", config };
  if (rest[0] === "passwd" && rest.length === 2 && reason === undefined) {
    return { command: "passwd", user: rest[1], config };
  }
  if (rest[0] === "kick" && rest.length === 2) return { command: "kick", user: rest[1], reason, config };
  if (rest[0] === "move" && rest.length === 3 && reason === undefined) {
    return { command: "move", user: rest[1], host: rest[2], config };
  }
  console.error(USAGE);
  process.exit(2);
}

/** libuv's file-system thread pool size as the process started (UV_THREADPOOL_SIZE, 1..1024; default 4). */
function threadPoolSize(): number {
  const n = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? "", 10);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
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
  const tls = await loadTls(resolvePath(cwd, config.tls.cert), resolvePath(cwd, config.tls.key), config.tls.generate);
  if (tls.generated) log.warn({ cert: config.tls.cert }, "generated a self-signed certificate");

  // The backend: the embedded store (default) or a pool of remote IMAP servers.
  const poolConfig = selectedPool(config);
  let store: Store | undefined;
  let pool: PoolRuntime | undefined;
  let backendPair: Pick<ImapServerOptions, "backend" | "authenticator">;
  let where: string;
  if (poolConfig) {
    pool = await startPool(config, poolConfig, cwd, log, resolvePath(cwd, config.data_dir));
    backendPair = { backend: pool.backend, authenticator: pool.authenticator };
    where = `pool ${poolConfig.name} (${poolConfig.mode}, ${poolConfig.strategy}, ${poolConfig.hosts.length} hosts)`;
  } else {
    const dataDir = resolvePath(cwd, config.data_dir);
    store = await Store.open(dataDir, { maxMessageSize: config.limits.max_message_size });
    if (config.demo_user && store.users.list().length === 0) {
      const password = randomBytes(12).toString("base64url");
      await store.users.add("demo", password);
      // Printed once, to the terminal, not to the log.
      console.error(
        `\nCreated user "demo" with password: ${password}\n` +
          "Change it with the daemon stopped:  npx holdfast-proxy passwd demo\n",
      );
    }
    const backend = new LocalBackend(store, { appendLimit: config.limits.max_message_size });
    backendPair = { backend, authenticator: backend };
    where = `data in ${dataDir}`;
  }

  let server: ImapServer | undefined;
  const metrics = new ProxyMetrics(() => server);
  server = new ImapServer({
    observer: metrics,
    ...backendPair,
    tlsContext: tls.context,
    plaintextAuth: plaintextAllowed(config),
    maxConnections: config.limits.max_connections,
    maxConnectionsPerAddress: config.limits.max_connections_per_address,
    limits: { maxLineLength: config.limits.max_line_length, maxLiteralSize: config.limits.max_message_size },
    timeouts: { preAuthMs: config.timeouts.pre_auth_seconds * 1000, idleMs: config.timeouts.idle_minutes * 60_000 },
    throttle: { failureDelayMs: config.auth.failure_delay_ms, maxFailures: config.auth.max_failures },
    logger: log,
  });
  const admin = new RoutingAdmin({ server, router: pool?.router, backend: pool?.backend, logger: log });
  if (pool) metrics.watchPool(pool.name, pool.health);
  const bound: string[] = [];
  for (const l of config.listen) {
    const port = await server.listen({
      host: l.host,
      port: l.port,
      tls: l.tls,
      ...(l.proxy_protocol_trusted?.length ? { proxyProtocol: { trusted: l.proxy_protocol_trusted } } : {}),
    });
    bound.push(`${l.host}:${port}${l.tls ? " (TLS)" : " (STARTTLS)"}`);
  }
  let metricsServer: { close(): void } | undefined;
  if (metricsEnabled(config)) {
    const m = await metrics.listen(config.metrics.host, config.metrics.port, (req, res) =>
      handleAdmin(req, res, admin),
    );
    metricsServer = m.server;
    bound.push(`metrics http://${config.metrics.host}:${m.port}/metrics`);
  }
  log.info(
    {
      listen: bound,
      backend: config.backend,
      config: source,
      plaintextAuth: plaintextAllowed(config),
      threadPoolSize: threadPoolSize(),
    },
    "holdfast-proxy ready",
  );
  console.error(`holdfast-proxy listening on ${bound.join(", ")}; ${where}`);

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
    await pool?.stop();
    await store?.close();
    log.info({}, "stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** kick/move: ask the running daemon; print its answer. */
async function adminCommand(args: Args): Promise<void> {
  const { config } = await loadConfig(args.config);
  if (args.command === "kick") {
    const answer = await callAdmin(config, "kick", {
      user: args.user!,
      ...(args.reason ? { reason: args.reason } : {}),
    });
    console.log(`kicked ${answer.kicked} session(s) of ${args.user}`);
  } else {
    const answer = await callAdmin(config, "move", { user: args.user!, host: args.host! });
    console.log(
      `moved ${args.user} to ${answer.host}: ${answer.reconnected} session(s) reconnected, ${answer.kicked} kicked`,
    );
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  try {
    if (args.command === "passwd") {
      const { config } = await loadConfig(args.config);
      await passwd(args.user!, resolvePath(process.cwd(), config.data_dir));
    } else if (args.command === "kick" || args.command === "move") {
      await adminCommand(args);
    } else {
      await serve(args.config);
    }
  } catch (error) {
    const message =
      error instanceof ConfigError || error instanceof AdminCallError
        ? error.message
        : `holdfast-proxy: ${(error as Error).message}`;
    console.error(message);
    if (process.env.HOLDFAST_DEBUG) console.error((error as Error).stack);
    process.exit(1);
  }
}

void main();
