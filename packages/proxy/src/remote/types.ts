import type { Authenticator } from "../backend.js";
import type { Logger } from "../logger.js";

/** One backend IMAP server (Dovecot, typically). */
export interface BackendHost {
  /** Stable name, e.g. "imap1" (used by hashing, health checks and logs). */
  id: string;
  host: string;
  port: number;
  /** Default "none". */
  tls?: "none" | "starttls" | "implicit";
  /** PEM text of the CA to trust (instead of the system store). */
  ca?: string;
  /** SHA-256 of the leaf certificate's DER, hex (colons allowed): pinning. */
  fingerprint?: string;
  /** Skip certificate verification. Only when explicitly set. */
  insecure?: boolean;
  /** SNI and the name the certificate must carry (default: `host`). */
  servername?: string;
  /** Write a PROXY v2 header before anything else (the caller supplies it as `preamble`). */
  sendProxyProtocol?: boolean;
}

/** How the proxy logs in to the backend on the user's behalf. */
export type BackendLogin =
  /** The client's own credentials, passed through. */
  | { mode: "user" }
  /** A master user: `LOGIN "<user><separator><master>" <password>` (Dovecot's `user*master`). */
  | { mode: "master"; user: string; password: string; separator?: string }
  /** SASL PLAIN with an authorization identity: authzid = the user, authcid = this user. */
  | { mode: "authzid"; user: string; password: string };

export interface ImapClientOptions {
  /** TCP connect + TLS handshake + greeting. Default 10 s. */
  connectTimeoutMs?: number;
  /** Longest silence from the server while a command is in flight. Default 60 s. */
  commandTimeoutMs?: number;
  /** Bytes written first, before TLS (a PROXY v2 header). */
  preamble?: Buffer;
  /** FETCH body literals of at least this many bytes are streamed. Default 64 KiB. */
  streamThreshold?: number;
}

export interface RemoteBackendOptions {
  /** Hosts to try for this user, in preference order (the Router implements this). */
  route(user: string): Promise<Array<BackendHost & { user?: string }>>;
  /** Default { mode: "user" }. */
  login?: BackendLogin;
  /**
   * Checks the client's password when the backend login does not see it (login mode
   * master or authzid): required then, asked first. With mode "user" the backend checks it.
   */
  verify?: Authenticator;
  reconnect?: {
    /** How long one session may spend reconnecting before it gives up (BYE). Default 30 s. */
    budgetMs?: number;
    /** First delay before retrying the same host. Default 50 ms (grows ×2 per attempt, jittered). */
    initialDelayMs?: number;
    /** Attempts on the same host before moving to the next one. Default 2. */
    sameHostAttempts?: number;
    /**
     * A session nobody is waiting on (client idle or in IDLE) starts reconnecting at a random
     * moment within this many ms, spreading the reconnects of many sessions. Default 1000.
     */
    spreadMs?: number;
    /**
     * The longest one reconnect attempt on one host may take, from connect to a re-selected
     * mailbox (connect, greeting, login, ID, ENABLE, SELECT, resync listing), whatever the
     * host sends meanwhile: a host that accepts connections but does not get through (Dovecot
     * waiting on a lock of shared storage sends `* NO Mailbox is locked` every 30 s, which a
     * silence timeout never catches) is left for the next one. Also bounds the APPEND
     * outcome check. Clipped to what is left of the budget. Default 10 s.
     */
    attemptTimeoutMs?: number;
  };
  /**
   * The longest one backend exchange of a client command (STORE, SEARCH, APPEND, NOOP, …;
   * not a streamed FETCH body, which the client's reading speed paces) may take in total,
   * whatever the backend sends meanwhile. Past it the connection counts as broken: the
   * command is re-issued on a new connection when that is safe, else NO [UNAVAILABLE].
   * A streamed body is bounded only until its literal starts (then the client sets the
   * pace). Also bounds the wait for the backend to accept IDLE and side connections. Generous on purpose (a slow SEARCH is not a failure); `client.commandTimeoutMs`
   * (silence) applies as well. Default 30 s.
   */
  commandDeadlineMs?: number;
  logger?: Logger;
  /** Sent in ID to the backend as x-proxy-ttl (loop protection). Default 5. */
  proxyTtl?: number;
  client?: ImapClientOptions;
  /** Build the PROXY v2 header for a host with `sendProxyProtocol` (worker C's encoder). */
  proxyHeader?(host: BackendHost, client: { address: string; port: number }): Buffer;
  /** How long a connection made at LOGIN waits for backend.open(). Default 30 s. */
  parkMs?: number;
  /** Without IDLE on the backend: NOOP every this many ms while nothing else happens. Default 5 s. */
  pollMs?: number;
  /** Enter backend IDLE after this much quiet time in the selected state. Default 150 ms. */
  idleAfterMs?: number;
  /**
   * How long the fetch of new messages (after an EXISTS from the backend) may wait while the
   * client is busy with FETCH and STORE, so that several EXISTS cost one fetch. NOOP, APPEND,
   * COPY/MOVE and backend IDLE fetch at once. Default 200 ms; 0: always at once.
   */
  newMessagesDelayMs?: number;
}
