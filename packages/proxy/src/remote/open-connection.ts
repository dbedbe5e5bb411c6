import type { AuthContext } from "../backend.js";
import type { Logger } from "../logger.js";
import { ImapClient } from "./imap-client.js";
import { outgoingTtl } from "./proxy-ttl.js";
import type { BackendHost, BackendLogin, ImapClientOptions, RemoteBackendOptions } from "./types.js";

/** A host as a route gives it; `user` (an HTTP lookup's destuser) replaces the login name. */
export type RoutedHost = BackendHost & { user?: string };

/** RemoteBackendOptions with every default filled in. */
export interface ResolvedRemoteOptions {
  route(user: string): Promise<RoutedHost[]>;
  login: BackendLogin;
  reconnect: {
    budgetMs: number;
    initialDelayMs: number;
    sameHostAttempts: number;
    spreadMs: number;
    attemptTimeoutMs: number;
  };
  commandDeadlineMs: number;
  logger: Logger;
  proxyTtl: number;
  client: ImapClientOptions;
  proxyHeader?: RemoteBackendOptions["proxyHeader"];
  parkMs: number;
  pollMs: number;
  idleAfterMs: number;
  newMessagesDelayMs: number;
}

/** Extensions the proxy turns on at every backend that offers them. */
const WANTED = ["CONDSTORE", "QRESYNC"];

/** A bound on openConnection() as a whole (a failover attempt). */
export interface ConnectionLimit {
  /** The TCP connect + TLS + greeting phase gets at most this long. */
  connectTimeoutMs: number;
  /**
   * Called as soon as the client object exists (before login): the caller's timer can then
   * destroy it, which fails whatever command is waiting, so the whole attempt is bounded.
   */
  onClient(client: ImapClient): void;
}

/**
 * Connect to a host and make it ready for the user: ID (before login, so that Dovecot
 * takes the client's address and our session id for its logs and its own limits: it
 * accepts x-originating-* only from login_trusted_networks), login, ENABLE. Used by the
 * authenticator at LOGIN and by failover for every reconnect.
 */
export async function openConnection(
  host: RoutedHost,
  user: string,
  password: string,
  auth: AuthContext,
  options: ResolvedRemoteOptions,
  limit?: ConnectionLimit,
): Promise<ImapClient> {
  const preamble =
    host.sendProxyProtocol && options.proxyHeader
      ? options.proxyHeader(host, { address: auth.remoteAddress, port: auth.remotePort })
      : undefined;
  const connectTimeoutMs = Math.max(
    1,
    Math.min(options.client.connectTimeoutMs ?? 10_000, limit?.connectTimeoutMs ?? Number.POSITIVE_INFINITY),
  );
  const client = await ImapClient.connect(host, {
    ...options.client,
    connectTimeoutMs,
    ...(preamble ? { preamble } : {}),
  });
  limit?.onClient(client);
  try {
    const id = client.id({
      name: "Holdfast",
      "x-originating-ip": auth.remoteAddress,
      "x-originating-port": String(auth.remotePort),
      "x-session-id": auth.sessionId,
      "x-proxy-ttl": String(outgoingTtl(auth.clientId, options.proxyTtl)),
    });
    // The ID answer does not matter; a server refusing it must not stop the login.
    id.catch(() => {});
    await client.login(host.user ?? user, password, options.login);
    await id.catch(() => {});
    await client.enable(WANTED);
    return client;
  } catch (error) {
    client.destroy();
    throw error;
  }
}

export function resolveOptions(options: RemoteBackendOptions): ResolvedRemoteOptions {
  const silent: Logger = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child() {
      return silent;
    },
  };
  return {
    route: options.route,
    login: options.login ?? { mode: "user" },
    reconnect: {
      budgetMs: options.reconnect?.budgetMs ?? 30_000,
      initialDelayMs: options.reconnect?.initialDelayMs ?? 50,
      sameHostAttempts: options.reconnect?.sameHostAttempts ?? 2,
      spreadMs: options.reconnect?.spreadMs ?? 1000,
      attemptTimeoutMs: options.reconnect?.attemptTimeoutMs ?? 10_000,
    },
    commandDeadlineMs: options.commandDeadlineMs ?? 30_000,
    logger: options.logger ?? silent,
    proxyTtl: options.proxyTtl ?? 5,
    client: options.client ?? {},
    ...(options.proxyHeader ? { proxyHeader: options.proxyHeader } : {}),
    parkMs: options.parkMs ?? 30_000,
    pollMs: options.pollMs ?? 5_000,
    idleAfterMs: options.idleAfterMs ?? 150,
    newMessagesDelayMs: options.newMessagesDelayMs ?? 200,
  };
}
