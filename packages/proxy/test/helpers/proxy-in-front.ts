import type { DovecotServer } from "@holdfast/testkit";
import { type Authenticator, type Backend, ImapServer, type ImapServerOptions } from "../../src/index.js";
import type { BackendHost, RemoteBackendOptions } from "../../src/remote/index.js";

/*
 * holdfast on loopback in front of Dovecot instances (testkit), with a backend made by
 * `factory` from RemoteBackendOptions (createRemoteBackend: stateful; createPassthroughBackend:
 * passthrough). Every user is routed to the given instances in that order: the first is
 * preferred, the others are where failover goes.
 */

export type BackendFactory<B extends Backend> = (options: RemoteBackendOptions) => {
  authenticator: Authenticator;
  backend: B;
};

export interface ProxyInFront<B extends Backend = Backend> {
  server: ImapServer;
  port: number;
  backend: B;
  /** Change where users go (the next login or reconnect uses it). */
  setRoute(servers: Listening[]): void;
  stop(): Promise<void>;
}

/** Where a backend listens (a DovecotServer, or a relay in front of one). */
export type Listening = Pick<DovecotServer, "host" | "port">;

/** A stable id per instance (its port stays the same across restarts). */
export function hostOf(server: Listening): BackendHost {
  return { id: `dovecot-${server.port}`, host: server.host, port: server.port };
}

export async function startProxyInFront<B extends Backend>(
  servers: Listening[],
  factory: BackendFactory<B>,
  options: Partial<RemoteBackendOptions> = {},
  serverOptions: Partial<ImapServerOptions> = {},
): Promise<ProxyInFront<B>> {
  let hosts = servers.map((s) => hostOf(s));
  const { authenticator, backend } = factory({ route: async () => hosts, ...options });
  const server = new ImapServer({
    backend,
    authenticator,
    plaintextAuth: true,
    throttle: { failureDelayMs: 10 },
    ...serverOptions,
  });
  const port = await server.listen({ host: "127.0.0.1", port: 0 });
  return {
    server,
    port,
    backend,
    setRoute(next) {
      hosts = next.map((s) => hostOf(s));
    },
    stop: () => server.close(500),
  };
}
