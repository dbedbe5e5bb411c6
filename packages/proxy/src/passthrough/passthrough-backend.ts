import type { Socket } from "node:net";
import { isIPv6 } from "node:net";
import { type AuthContext, type Authenticator, type Backend, BackendError, type BackendSession } from "../backend.js";
import { silentLogger } from "../logger.js";
import { encodeProxyV2 } from "../proxy-protocol/index.js";
import {
  type BackendHost,
  ImapClient,
  ImapCommandError,
  LoginRefusedError,
  type RemoteBackendOptions,
} from "../remote/index.js";
import { ParkedLogins } from "./parked-logins.js";
import { splice } from "./splice.js";

/*
 * Passthrough mode (`mode = "passthrough"` of a pool): the proxy authenticates the client
 * against the backend itself — LOGIN/AUTHENTICATE at the proxy become a backend login with
 * ImapClient, on the first host of route(user) that answers — then answers the client's
 * tagged OK with the backend's post-login capabilities and splices the two sockets. No
 * session state, no failover: the baseline the stateful mode is measured against.
 *
 * - Wrong credentials (a backend NO that is not UNAVAILABLE): authenticate() returns null,
 *   the front end answers NO [AUTHENTICATIONFAILED] after its throttle delay, and the client
 *   may try again on the same connection.
 * - No host reachable (or every one temporarily unable): BackendError UNAVAILABLE, the
 *   client gets NO [UNAVAILABLE].
 * - ID to the backend before login (when it offers ID): x-originating-ip/-port (the client
 *   address, after PROXY protocol), x-session-id, x-proxy-ttl; Dovecot honours them from
 *   its login_trusted_networks. Hosts with `sendProxyProtocol` get a PROXY v2 header first.
 * - With a master-user or authzid backend login the backend never sees the client's
 *   password, so it cannot check it: `verify` (an Authenticator, e.g. the site's user
 *   database) must then be given, and is asked first. Without it the function refuses to
 *   build a backend that would let any password in.
 */

export interface PassthroughBackendOptions extends RemoteBackendOptions {
  /** Checks the client's credentials when the backend login does not (login mode master or authzid). */
  verify?: Authenticator;
}

/** The configuration cannot give a safe passthrough backend. */
export class PassthroughConfigError extends Error {
  override name = "PassthroughConfigError";
}

const DEFAULT_PARK_MS = 30_000;
const DEFAULT_PROXY_TTL = 5;

/** A Backend + Authenticator pair whose sessions take the client connection over. */
export function createPassthroughBackend(options: PassthroughBackendOptions): {
  authenticator: Authenticator;
  backend: Backend;
} {
  const log = options.logger ?? silentLogger;
  const backendChecksPassword = (options.login?.mode ?? "user") === "user";
  if (!backendChecksPassword && !options.verify) {
    throw new PassthroughConfigError(
      `passthrough with a ${options.login?.mode} backend login needs \`verify\` to check client passwords (the backend does not see them)`,
    );
  }
  const parked = new ParkedLogins(options.parkMs ?? DEFAULT_PARK_MS);

  const authenticator: Authenticator = {
    async authenticate(given, password, context) {
      let user = given;
      if (!backendChecksPassword) {
        const canonical = await options.verify!.authenticate(given, password, context);
        if (canonical === null) return null;
        user = canonical;
      }
      const hosts = await options.route(user);
      if (hosts.length === 0) throw new BackendError("UNAVAILABLE", "No backend server is configured for this user.");
      for (const host of hosts) {
        let client: ImapClient | undefined;
        try {
          client = await ImapClient.connect(host, { ...options.client, preamble: preamble(options, host, context) });
          await sendId(client, context, options.proxyTtl ?? DEFAULT_PROXY_TTL);
          // a lookup may name the user on that backend (destuser); the client's name otherwise
          const backendUser = (host as BackendHost & { user?: string }).user ?? user;
          await client.login(backendUser, password, options.login);
          parked.park(context.sessionId, client);
          return user;
        } catch (error) {
          client?.destroy();
          if (error instanceof LoginRefusedError && !error.temporary) {
            log.info({ session: context.sessionId, host: host.id, user }, "backend refused the login");
            return null;
          }
          log.warn(
            { session: context.sessionId, host: host.id, err: (error as Error).message },
            "backend unusable for login",
          );
        }
      }
      throw new BackendError("UNAVAILABLE", "No backend server is available; try again later.");
    },
  };

  const backend: Backend = {
    takesOverConnections: true,
    async open(user, context) {
      const client = parked.take(context.sessionId);
      if (!client || client.closed) {
        client?.destroy();
        throw new BackendError("UNAVAILABLE", "The backend connection was lost after login; try again.");
      }
      return passthroughSession(user, client, log.child({ session: context.sessionId, host: client.host.id }));
    },
  };
  return { authenticator, backend };
}

/** The client-side half of the proxy header a host configured for it expects. */
function preamble(options: RemoteBackendOptions, host: BackendHost, context: AuthContext): Buffer | undefined {
  if (!host.sendProxyProtocol) return undefined;
  const client = { address: context.remoteAddress, port: context.remotePort };
  if (options.proxyHeader) return options.proxyHeader(host, client);
  // the address the client reached is not known here; an unspecified one of its family
  const destination = { address: isIPv6(client.address) ? "::" : "0.0.0.0", port: host.port };
  return encodeProxyV2({ source: client, destination });
}

async function sendId(client: ImapClient, context: AuthContext, ttl: number): Promise<void> {
  try {
    await client.id({
      "x-originating-ip": context.remoteAddress,
      "x-originating-port": String(context.remotePort),
      "x-session-id": context.sessionId,
      "x-proxy-ttl": String(ttl),
    });
  } catch (error) {
    // a backend that refuses ID still serves the login
    if (!(error instanceof ImapCommandError)) throw error;
  }
}

/** Every mailbox operation: never called, the front end hands the connection over first. */
async function notInPassthrough(): Promise<never> {
  throw new BackendError("CANNOT", "Not available on a passthrough session.");
}

function passthroughSession(user: string, loggedIn: ImapClient, log: typeof silentLogger): BackendSession {
  // after the splice only the socket is kept: the client object (parser, buffers) is let go
  let client: ImapClient | null = loggedIn;
  let backendSocket: Socket | null = null;
  return {
    user,
    appendLimit: null,
    list: notInPassthrough,
    status: notInPassthrough,
    create: notInPassthrough,
    delete: notInPassthrough,
    rename: notInPassthrough,
    subscribe: notInPassthrough,
    unsubscribe: notInPassthrough,
    select: notInPassthrough,
    beginAppend: notInPassthrough,
    takeover: {
      capabilities: [...loggedIn.capabilities],
      takeover(clientSocket, buffered) {
        let detached: { socket: Socket; buffered: Buffer };
        try {
          if (!client) throw new Error("session already closed");
          detached = client.detach();
          client = null;
        } catch (error) {
          log.warn({ err: (error as Error).message }, "backend connection lost before the splice");
          clientSocket.destroy();
          return;
        }
        backendSocket = detached.socket;
        splice(clientSocket, detached.socket, { toBackend: buffered, toClient: detached.buffered }, log);
      },
    },
    async close() {
      backendSocket?.destroy();
      client?.destroy();
      client = null;
    },
  };
}
