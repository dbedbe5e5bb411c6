/*
 * The hosts routing deals in. `BackendHost` is the contract type shared with the remote
 * backend (packages/proxy/src/remote); a pool adds a weight to each host, and a route
 * result may carry the user name the backend login must use (`user`, from an HTTP lookup's
 * `destuser`).
 */

/** One backend IMAP server (the contract shape; see remote/ for the connection side). */
export interface BackendHost {
  /** Stable name, e.g. "imap1": used by hashing, health checks, logs and admin moves. */
  id: string;
  host: string;
  port: number;
  /** Default "none". */
  tls?: "none" | "starttls" | "implicit";
  /** PEM text of the CA to trust. */
  ca?: string;
  /** sha256 of the leaf certificate's DER, hex (pinning). */
  fingerprint?: string;
  /** Skip certificate verification: only when explicitly configured. */
  insecure?: boolean;
  servername?: string;
  /** Write a PROXY v2 header before anything else. */
  sendProxyProtocol?: boolean;
}

/** A host as declared in a pool: a backend plus its share of the users. */
export interface PoolHost extends BackendHost {
  /** Relative share of users under consistent hashing (default 1; > 0). */
  weight?: number;
}

/**
 * One entry of a route: the host to try, and, when the routing source said so (HTTP
 * lookup `destuser`), the user name to log in to it with instead of the client's.
 */
export type RoutedHost = BackendHost & { user?: string };
