import { createServer, type Server, type Socket } from "node:net";
import { type SecureContext, TLSSocket } from "node:tls";
import type { Limits } from "@holdfast/imap-codec";
import { AuthThrottle, type AuthThrottleOptions } from "./auth-throttle.js";
import type { Authenticator, Backend } from "./backend.js";
import { DEFAULT_TIMEOUTS, type FrontEndOptions, ImapConnection, type Timeouts } from "./connection.js";
import { dispatch } from "./handlers/dispatch.js";
import { type Logger, silentLogger } from "./logger.js";
import { nullObserver, type ServerObserver } from "./observer.js";
import { ProxyProtocolError, readProxyHeader, TrustedNetworks } from "./proxy-protocol/index.js";

export interface ImapServerOptions {
  backend: Backend;
  authenticator: Authenticator;
  /** TLS for implicit-TLS listeners and STARTTLS. */
  tlsContext?: SecureContext;
  /** Allow LOGIN/AUTHENTICATE over plain TCP. Only for localhost development. */
  plaintextAuth?: boolean;
  /** Most connections at once; more are greeted with `* BYE` and closed. Default 10,000. */
  maxConnections?: number;
  /** Most connections from one address. Default 100. */
  maxConnectionsPerAddress?: number;
  limits?: Partial<Limits>;
  timeouts?: Partial<Timeouts>;
  throttle?: AuthThrottleOptions;
  logger?: Logger;
  serverName?: string;
  /** Metrics hooks (see ServerObserver). */
  observer?: ServerObserver;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** Implicit TLS (port 993 style). Needs `tlsContext`. */
  tls?: boolean;
  /**
   * HAProxy PROXY protocol v1/v2 from load balancers: peers in `trusted` (CIDRs, IPv4 or
   * IPv6) must start with a header (before TLS on an implicit-TLS listener), and the client
   * address it announces is used for logs, limits, the auth throttle and AuthContext. A
   * missing or malformed header from them closes the connection. Other peers are served as
   * usual and a header from them is not consumed (it is IMAP garbage then).
   */
  proxyProtocol?: { trusted: string[]; timeoutMs?: number; maxHeaderBytes?: number };
}

/** The client address a connection is accounted to (the socket's, or a trusted PROXY header's). */
interface Peer {
  address: string;
  port: number;
}

/**
 * The IMAP front end: listeners (plain with STARTTLS, implicit TLS), connection limits, and
 * a clean shutdown that tells every client `* BYE` before closing.
 */
export class ImapServer {
  private readonly options: FrontEndOptions;
  private readonly maxConnections: number;
  private readonly maxPerAddress: number;
  private readonly servers: Server[] = [];
  readonly connections = new Set<ImapConnection>();
  private readonly perAddress = new Map<string, number>();
  /** Sockets of trusted peers whose PROXY header is still arriving. */
  private readonly awaitingHeader = new Set<Socket>();
  private stopping = false;

  constructor(options: ImapServerOptions) {
    this.options = {
      backend: options.backend,
      authenticator: options.authenticator,
      tlsContext: options.tlsContext,
      plaintextAuth: options.plaintextAuth ?? false,
      limits: options.limits,
      timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
      throttle: new AuthThrottle(options.throttle),
      logger: options.logger ?? silentLogger,
      serverName: options.serverName ?? "Holdfast",
      observer: options.observer ?? nullObserver,
    };
    this.maxConnections = options.maxConnections ?? 10_000;
    this.maxPerAddress = options.maxConnectionsPerAddress ?? 100;
  }

  /** Start a listener; resolves with the bound port (useful with port 0). */
  async listen(listen: ListenOptions): Promise<number> {
    if (listen.tls && !this.options.tlsContext) throw new Error("an implicit-TLS listener needs a tlsContext");
    const proxied = listen.proxyProtocol;
    // PROXY headers come before TLS, so such a listener is plain TCP and wraps TLS itself
    const trusted = proxied ? new TrustedNetworks(proxied.trusted) : null;
    // Implicit TLS is a plain TCP listener whose sockets are wrapped here (acceptTls), as
    // behind a PROXY header: tls.createServer given only a `secureContext` option (Node
    // 20) answered every handshake with "no suitable signature algorithm", and acceptTls also bounds the handshake by the pre-auth timeout.
    const onSocket = trusted
      ? (socket: Socket) => this.acceptProxied(socket, trusted, listen)
      : listen.tls
        ? (socket: Socket) => this.acceptTls(socket)
        : (socket: Socket) => this.accept(socket);
    const server = createServer(onSocket);
    server.on("error", (error) => this.options.logger.error({ err: error.message }, "listener error"));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(listen.port, listen.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.servers.push(server);
    const address = server.address();
    return typeof address === "object" && address ? address.port : listen.port;
  }

  /** A listener with PROXY protocol: read the header from trusted peers, then accept. */
  private acceptProxied(socket: Socket, trusted: TrustedNetworks, listen: ListenOptions): void {
    const next = (peer?: Peer) => (listen.tls ? this.acceptTls(socket, peer) : this.accept(socket, peer));
    if (!trusted.contains(socket.remoteAddress)) {
      next();
      return;
    }
    const log = this.options.logger;
    this.awaitingHeader.add(socket);
    socket.on("error", () => {}); // reported through readProxyHeader's rejection
    readProxyHeader(socket, {
      timeoutMs: listen.proxyProtocol?.timeoutMs,
      maxBytes: listen.proxyProtocol?.maxHeaderBytes,
    })
      .then((header) => {
        this.awaitingHeader.delete(socket);
        if (socket.destroyed) return;
        // LOCAL (the balancer's own health check), UNKNOWN, UNIX: the socket's address stands
        const peer = header.command === "PROXY" ? header.source : undefined;
        log.debug({ remote: peer?.address, via: socket.remoteAddress, version: header.version }, "PROXY header");
        next(peer);
      })
      .catch((error: unknown) => {
        this.awaitingHeader.delete(socket);
        const code = error instanceof ProxyProtocolError ? error.code : "MALFORMED";
        log.warn({ via: socket.remoteAddress, code, err: (error as Error).message }, "PROXY header refused; closing");
        socket.destroy();
      });
  }

  /** Implicit TLS: the handshake (after the PROXY header, when there is one), then accept. */
  private acceptTls(socket: Socket, peer?: Peer): void {
    const secure = new TLSSocket(socket, { isServer: true, secureContext: this.options.tlsContext! });
    secure.on("error", (error) => {
      this.options.logger.debug({ err: error.message, remote: peer?.address ?? socket.remoteAddress }, "TLS error");
      secure.destroy();
    });
    const handshakeTimeout = () => secure.destroy();
    secure.setTimeout(this.options.timeouts.preAuthMs, handshakeTimeout);
    secure.once("secure", () => {
      secure.off("timeout", handshakeTimeout); // the connection sets its own timeouts
      this.accept(secure, peer);
    });
  }

  private accept(socket: Socket, peer?: Peer): void {
    const address = peer?.address ?? socket.remoteAddress ?? "unknown";
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (this.stopping || this.connections.size >= this.maxConnections || fromAddress >= this.maxPerAddress) {
      socket.end("* BYE Too many connections, try again later.\r\n");
      socket.on("error", () => {});
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    socket.setNoDelay(true);
    this.perAddress.set(address, fromAddress + 1);
    const conn = new ImapConnection(
      socket,
      this.options,
      dispatch,
      (closed) => {
        this.connections.delete(closed);
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left <= 0) this.perAddress.delete(address);
        else this.perAddress.set(address, left);
      },
      peer,
    );
    this.connections.add(conn);
    conn.start();
    // a socket that went through readProxyHeader is paused, the bytes after the header unshifted
    socket.resume();
  }

  /** Connections by state (for metrics): not-authenticated, authenticated, selected, idle. */
  connectionsByState(): Record<string, number> {
    const counts: Record<string, number> = { "not-authenticated": 0, authenticated: 0, selected: 0, idle: 0 };
    for (const c of this.connections) {
      const state = c.idling ? "idle" : c.state;
      if (state in counts) counts[state]!++;
    }
    return counts;
  }

  /**
   * Admin kick: end every logged-in session of `user` (compared case-insensitively) with
   * `* BYE reason`; returns how many. Sessions still logging in are not counted. A
   * passthrough session (spliced bytes) is closed without BYE: a line injected into the
   * backend's stream could land inside a literal.
   */
  kick(user: string, reason: string): number {
    // The reason becomes response text: no line breaks or other controls, bounded length.
    const text =
      reason
        .replace(/[\u0000-\u001f\u007f]+/g, " ")
        .trim()
        .slice(0, 200) || "Disconnected.";
    const wanted = user.toLowerCase();
    let kicked = 0;
    for (const c of this.connections) {
      if (c.session && c.session.user.toLowerCase() === wanted) {
        kicked++;
        c.log.info({ user: c.session.user, reason: text }, "kicked");
        void c.bye(text).catch((error: Error) => c.log.warn({ err: error.message }, "kick failed"));
      }
    }
    return kicked;
  }

  /** Stop listening, say `* BYE` to every client, and wait (bounded) for them to go. */
  async close(graceMs = 5000): Promise<void> {
    this.stopping = true;
    // net.Server.close() calls back only once every connection is gone: stop accepting
    // first, then say goodbye, then wait for both.
    const listenersClosed = Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
    for (const s of this.awaitingHeader) s.destroy();
    await Promise.all([...this.connections].map((c) => c.bye("Server shutting down.")));
    const deadline = Date.now() + graceMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.connections) c.socket.destroy();
    await listenersClosed;
  }
}
