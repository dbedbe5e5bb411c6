import type { ImapServerOptions } from "../../src/index.js";
import { createRemoteBackend, type RemoteBackendOptions } from "../../src/remote/index.js";
import { type Listening, type ProxyInFront, startProxyInFront } from "./proxy-in-front.js";

/** holdfast in stateful mode (createRemoteBackend, with failover) in front of Dovecot instances. */
export type RemoteProxy = ProxyInFront<ReturnType<typeof createRemoteBackend>["backend"]>;

export function startRemoteProxy(
  servers: Listening[],
  options: Partial<RemoteBackendOptions> = {},
  serverOptions: Partial<ImapServerOptions> = {},
): Promise<RemoteProxy> {
  return startProxyInFront(servers, createRemoteBackend, options, serverOptions);
}
