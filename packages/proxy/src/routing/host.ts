/*
 * The hosts routing deals in. `BackendHost` is the remote backend's type (remote/types.ts);
 * a pool adds a weight to each host, and a route result may carry the user name the backend
 * login must use (`user`, from an HTTP lookup's `destuser`).
 */

import type { BackendHost } from "../remote/types.js";

export type { BackendHost };

/** A host as declared in a pool: a backend plus its share of the users. */
export interface PoolHost extends BackendHost {
  /** Relative share of users under consistent hashing (default 1; > 0). */
  weight?: number;
}

/**
 * One entry of a route: the host to try, and, when the routing source said so (HTTP
 * lookup `destuser`), the user name to log in to it with instead of the client's. The
 * remote backend defines it (remote/open-connection.ts); the Router produces it.
 */
export type { RoutedHost } from "../remote/open-connection.js";
