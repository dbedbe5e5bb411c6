import { isIP } from "node:net";
import {
  type Authenticator,
  type Backend,
  createPassthroughBackend,
  createRemoteBackend,
  encodeProxyV2,
  greetingProbe,
  HealthChecker,
  type Logger,
  loginProbe,
  type RemoteBackendOptions,
  Router,
  RoutingConfigError,
} from "@holdfast/proxy";
import { canonicalUsername, Store } from "@holdfast/store";
import { type Config, ConfigError, type PoolConfig } from "./config.js";
import { resolvePool } from "./pools.js";

/*
 * A running backend pool: Router + HealthChecker + the backend for the pool's mode
 * (stateful: the remote backend with failover; passthrough: splice after login).
 */

export interface PoolRuntime {
  name: string;
  router: Router;
  health?: HealthChecker;
  authenticator: Authenticator;
  backend: Backend;
  stop(): Promise<void>;
}

export async function startPool(
  config: Config,
  poolConfig: PoolConfig,
  base: string,
  log: Logger,
  dataDir: string,
): Promise<PoolRuntime> {
  const resolved = await resolvePool(config, poolConfig, base);
  const poolLog = log.child({ pool: resolved.name });
  let health: HealthChecker | undefined;
  if (resolved.health) {
    const { checkUser, checkPassword, ...timing } = resolved.health;
    const probe = checkUser
      ? loginProbe({ user: checkUser, password: checkPassword ?? "", login: resolved.login })
      : greetingProbe;
    health = new HealthChecker(resolved.routing.hosts, { ...timing, probe, logger: poolLog });
  }
  if (resolved.routing.lookup) resolved.routing.lookup.logger = poolLog;
  let router: Router;
  try {
    router = new Router(resolved.routing, health);
  } catch (error) {
    if (error instanceof RoutingConfigError) throw new ConfigError(error.message);
    throw error;
  }
  const options: RemoteBackendOptions = {
    route: (user) => router.route(user),
    login: resolved.login,
    reconnect: { budgetMs: resolved.reconnectBudgetMs },
    logger: poolLog,
    proxyTtl: resolved.proxyTtl,
    // The client's address as seen by this proxy (after a trusted PROXY header) goes on to
    // backends configured for PROXY protocol.
    proxyHeader: (host, client) => proxyHeaderFor(host, client),
  };
  // A master/authzid backend login never shows the client's password to the backend, so
  // the proxy checks it itself (config validation makes `verify` mandatory then).
  let users: Store | undefined;
  if (resolved.verify === "local") {
    users = await Store.open(dataDir, { readOnly: true });
    options.verify = localVerifier(users);
  }
  // stateful: sessions live here and fail over; passthrough: bytes spliced after login.
  const { authenticator, backend } =
    resolved.mode === "stateful" ? createRemoteBackend(options) : createPassthroughBackend(options);
  health?.start();
  return {
    name: resolved.name,
    router,
    health,
    authenticator,
    backend,
    async stop() {
      await health?.stop();
      await users?.close();
    },
  };
}

/** Client passwords checked against holdfast's user database (read-only: no writer lock). */
function localVerifier(store: Store): Authenticator {
  return {
    async authenticate(user, password) {
      let canonical: string;
      try {
        canonical = canonicalUsername(user);
      } catch {
        return null;
      }
      return (await store.users.authenticate(canonical, password)) ? canonical : null;
    },
  };
}

/**
 * PROXY v2 header for a backend connection: the client as source; as destination the
 * backend's address when it is an IP (the proxy's own listener address is not known
 * here), else the unspecified address. A client address that is not an IP (a UNIX
 * socket, "unknown") gets a LOCAL header: the backend then uses the connection's own.
 */
export function proxyHeaderFor(
  host: { host: string; port: number },
  client: { address: string; port: number },
): Buffer {
  const family = isIP(client.address);
  if (family === 0) return encodeProxyV2({ command: "LOCAL" });
  const destination = isIP(host.host)
    ? { address: host.host, port: host.port }
    : { address: family === 4 ? "0.0.0.0" : "::", port: host.port };
  try {
    return encodeProxyV2({ source: client, destination });
  } catch {
    return encodeProxyV2({ command: "LOCAL" });
  }
}
