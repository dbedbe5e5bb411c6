import type { AuthContext, Authenticator, Backend, BackendSession } from "../backend.js";
import { BackendError } from "../backend.js";
import { ImapConnectionError, LoginRefusedError } from "./errors.js";
import type { ImapClient } from "./imap-client.js";
import { Link } from "./link.js";
import { MailboxNames } from "./mailbox-names.js";
import { openConnection, type ResolvedRemoteOptions, type RoutedHost, resolveOptions } from "./open-connection.js";
import { incomingTtl } from "./proxy-ttl.js";
import { RemoteSession } from "./remote-session.js";
import type { RemoteBackendOptions } from "./types.js";

/*
 * createRemoteBackend: the Authenticator + Backend pair for a pool of IMAP backends.
 *
 * LOGIN: the authenticator asks route(user) for the hosts and logs in to the first one
 * that answers, with the client's credentials (or the configured master user / authzid).
 * A refusal of the credentials is final (the client gets NO; other hosts are not asked,
 * they share the user database); an unreachable host or a temporary refusal moves on to
 * the next host; no host at all is UNAVAILABLE. The logged-in connection is parked under
 * the front-end session id for the backend.open() that follows (expires after parkMs).
 *
 * The session keeps the user's password in memory for its lifetime when logging in with
 * the user's own credentials: failover must log in again on the next backend.
 */

interface Parked {
  client: ImapClient;
  host: RoutedHost;
  user: string;
  password: string;
  timer: NodeJS.Timeout;
}

/** The options cannot give a safe remote backend (e.g. master login without `verify`). */
export class RemoteBackendConfigError extends Error {
  override name = "RemoteBackendConfigError";
}

export interface RemoteBackend extends Backend {
  /** Force every session of `user` to reconnect now, on route(user)'s first host (admin move). */
  reconnectUser(user: string): number;
  /** Live sessions of a user (tests, admin). */
  sessionsOf(user: string): RemoteSession[];
}

export function createRemoteBackend(options: RemoteBackendOptions): {
  authenticator: Authenticator;
  backend: RemoteBackend;
} {
  const resolved: ResolvedRemoteOptions = resolveOptions(options);
  // With a master or authzid login the backend never sees the client's password: someone
  // else must check it, or any password would open any mailbox.
  const backendChecksPassword = resolved.login.mode === "user";
  if (!backendChecksPassword && !options.verify) {
    throw new RemoteBackendConfigError(
      `a ${resolved.login.mode} backend login needs \`verify\` to check client passwords (the backend does not see them)`,
    );
  }
  const log = resolved.logger.child({ component: "remote-backend" });
  const parked = new Map<string, Parked>();
  const sessions = new Map<string, Set<RemoteSession>>();
  const links = new WeakMap<RemoteSession, Link>();
  const streamThreshold = resolved.client.streamThreshold ?? 64 * 1024;

  const park = (sessionId: string, entry: Omit<Parked, "timer">) => {
    parked.get(sessionId)?.client.destroy();
    const timer = setTimeout(() => {
      if (parked.get(sessionId)?.client === entry.client) parked.delete(sessionId);
      void entry.client.logout();
    }, resolved.parkMs);
    timer.unref();
    parked.set(sessionId, { ...entry, timer });
  };

  const authenticator: Authenticator = {
    async authenticate(user: string, password: string, context: AuthContext): Promise<string | null> {
      const ttl = incomingTtl(context.clientId);
      if (ttl !== null && ttl <= 0) {
        log.warn({ user, remote: context.remoteAddress }, "proxy loop: x-proxy-ttl exhausted");
        throw new BackendError("UNAVAILABLE", "Proxy loop detected (x-proxy-ttl exhausted).");
      }
      if (!backendChecksPassword) {
        const canonical = await options.verify!.authenticate(user, password, context);
        if (canonical === null) return null;
        user = canonical;
      }
      let hosts: RoutedHost[];
      try {
        hosts = await resolved.route(user);
      } catch (error) {
        throw new BackendError("UNAVAILABLE", `No backend for this user right now (${(error as Error).message}).`);
      }
      let lastError = "no backend host configured for this user";
      for (const host of hosts) {
        try {
          const client = await openConnection(host, user, password, context, resolved);
          park(context.sessionId, { client, host, user, password });
          return user;
        } catch (error) {
          if (error instanceof LoginRefusedError && !error.temporary) {
            log.info({ host: host.id, user }, "backend refused the credentials");
            return null;
          }
          lastError = `${host.id}: ${(error as Error).message}`;
          log.warn({ host: host.id, user, err: lastError }, "backend not usable for login");
        }
      }
      throw new BackendError("UNAVAILABLE", `No mail server is reachable right now (${lastError}).`);
    },
  };

  async function open(user: string, context: AuthContext): Promise<BackendSession> {
    let entry = parked.get(context.sessionId);
    parked.delete(context.sessionId);
    if (entry) clearTimeout(entry.timer);
    if (entry && (entry.user !== user || entry.client.closed)) {
      entry.client.destroy();
      entry = undefined;
    }
    if (!entry) {
      // Without a parked connection only a master/authzid login can connect on its own.
      if (resolved.login.mode === "user") {
        throw new BackendError("UNAVAILABLE", "The backend connection made at login is gone; please log in again.");
      }
      const hosts = await resolved.route(user);
      let lastError: unknown = new ImapConnectionError("CONNECT", "no host");
      for (const host of hosts) {
        try {
          const client = await openConnection(host, user, "", context, resolved);
          entry = { client, host, user, password: "", timer: setTimeout(() => {}, 0) };
          break;
        } catch (error) {
          lastError = error;
        }
      }
      if (!entry)
        throw new BackendError(
          "UNAVAILABLE",
          `No mail server is reachable right now (${(lastError as Error).message}).`,
        );
    }
    const sessionLog = log.child({ user, session: context.sessionId });
    const link = new Link(entry.client, entry.host, user, entry.password, context, resolved, sessionLog);
    const names = new MailboxNames(await delimiterOf(link));
    const session = new RemoteSession(user, link, names, streamThreshold);
    links.set(session, link);
    let set = sessions.get(user);
    if (!set) {
      set = new Set();
      sessions.set(user, set);
    }
    set.add(session);
    const close = session.close.bind(session);
    session.close = async () => {
      sessions.get(user)?.delete(session);
      if (sessions.get(user)?.size === 0) sessions.delete(user);
      await close();
    };
    return session;
  }

  const backend: RemoteBackend = {
    open,
    reconnectUser(user: string): number {
      const set = sessions.get(user);
      if (!set) return 0;
      for (const session of set) links.get(session)?.switchHost();
      return set.size;
    },
    sessionsOf(user: string): RemoteSession[] {
      return [...(sessions.get(user) ?? [])];
    },
  };
  return { authenticator, backend };
}

/** The backend's hierarchy delimiter (`LIST "" ""`). */
async function delimiterOf(link: Link): Promise<string | null> {
  const untagged = await link.run(
    (c) =>
      c.command({ name: "LIST", reference: "", patterns: [""], selection: [], returnOptions: {}, extended: false }),
    true,
  );
  for (const u of untagged.untagged) if (u.type === "LIST") return u.delimiter;
  return null;
}
