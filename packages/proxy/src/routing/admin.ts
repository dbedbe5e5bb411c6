import { type Logger, silentLogger } from "../logger.js";
import { RoutingError } from "./errors.js";
import type { Router } from "./router.js";

/*
 * Admin actions on users: kick (close every session of a user with `* BYE`) and move (send
 * the user to another host of the pool from now on, and get the open sessions there).
 *
 * A move reconnects the user's sessions when the backend can (the stateful remote backend's
 * reconnectUser: the sessions fail over to the new host and the clients see at most some
 * notifications) and kicks them otherwise (passthrough, or a backend without it): clients
 * reconnect and land on the new host.
 */

/** What kick needs from the front end (ImapServer implements it). */
export interface KickTarget {
  /** Close every session of `user` with `* BYE reason`; returns how many. */
  kick(user: string, reason: string): number;
}

/** A backend that can move a user's open sessions itself (stateful remote backend). */
export interface ReconnectTarget {
  reconnectUser(user: string): number;
}

export interface AdminOptions {
  server: KickTarget;
  /** The pool's router; absent with the embedded local store (nothing to move). */
  router?: Router;
  backend?: object;
  logger?: Logger;
}

export interface MoveResult {
  user: string;
  host: string;
  /** Sessions switched to the new host in place. */
  reconnected: number;
  /** Sessions closed (clients reconnect to the new host). */
  kicked: number;
}

export const KICK_REASON = "Disconnected by the administrator.";
export const MOVE_REASON = "Your mailbox is moving to another server; please reconnect.";

export class RoutingAdmin {
  private readonly log: Logger;

  constructor(private readonly options: AdminOptions) {
    this.log = options.logger ?? silentLogger;
  }

  kick(user: string, reason = KICK_REASON): { user: string; kicked: number } {
    checkUser(user);
    const kicked = this.options.server.kick(user, reason);
    this.log.info({ user, kicked }, "admin kick");
    return { user, kicked };
  }

  move(user: string, hostId: string): MoveResult {
    checkUser(user);
    const router = this.options.router;
    if (!router) throw new RoutingError("the backend is the local store: there is no pool to move users in");
    router.move(user, hostId);
    const backend = this.options.backend as Partial<ReconnectTarget> | undefined;
    let reconnected = 0;
    let kicked = 0;
    if (typeof backend?.reconnectUser === "function") reconnected = backend.reconnectUser(user);
    else kicked = this.options.server.kick(user, MOVE_REASON);
    this.log.info({ user, host: hostId, reconnected, kicked }, "admin move");
    return { user, host: hostId, reconnected, kicked };
  }
}

function checkUser(user: string): void {
  if (user.length === 0 || user.length > 255) throw new RoutingError("user must be 1 to 255 characters");
}
