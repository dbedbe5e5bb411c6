import type { Backend, ImapServerOptions } from "../../src/index.js";
import { createPassthroughBackend } from "../../src/passthrough/index.js";
import type { RemoteBackendOptions } from "../../src/remote/index.js";
import { type Listening, type ProxyInFront, startProxyInFront } from "./proxy-in-front.js";

/** holdfast in passthrough mode (createPassthroughBackend: login, then a byte splice) in front of Dovecot. */
export function startPassthroughProxy(
  servers: Listening[],
  options: Partial<RemoteBackendOptions> = {},
  serverOptions: Partial<ImapServerOptions> = {},
): Promise<ProxyInFront<Backend>> {
  return startProxyInFront(servers, createPassthroughBackend, options, serverOptions);
}
