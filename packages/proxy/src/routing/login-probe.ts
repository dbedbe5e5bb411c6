import { encodeProxyV2 } from "../proxy-protocol/encode-v2.js";
import { ImapClient } from "../remote/imap-client.js";
import type { BackendLogin, ImapClientOptions } from "../remote/types.js";
import type { HealthProbe } from "./health-probe.js";

/*
 * The deep health check: connect with the remote backend's ImapClient (so TLS, STARTTLS,
 * certificate checks and the PROXY v2 preamble are exactly what sessions get), LOGIN as a
 * configured check user, LOGOUT. Catches a backend that greets but cannot authenticate or
 * open mail (auth service down, storage unmounted).
 */

export interface LoginProbeOptions {
  user: string;
  password: string;
  /** How the proxy logs in to this pool (master/authzid use the check user as the target). */
  login?: BackendLogin;
  /** Client options (preamble for PROXY v2 hosts, timeouts). */
  client?: ImapClientOptions | ((host: Parameters<HealthProbe>[0]) => ImapClientOptions);
}

export function loginProbe(options: LoginProbeOptions): HealthProbe {
  return async (host, signal) => {
    const clientOptions = { ...(typeof options.client === "function" ? options.client(host) : (options.client ?? {})) };
    if (host.sendProxyProtocol && !clientOptions.preamble) {
      clientOptions.preamble = encodeProxyV2({ command: "LOCAL" });
    }
    let client: ImapClient | undefined;
    let aborted = false;
    const abortion = new Promise<never>((_, reject) => {
      const onAbort = () => {
        aborted = true;
        client?.destroy(new Error("health check timed out"));
        reject(new Error("timed out"));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    abortion.catch(() => {});
    const check = (async () => {
      client = await ImapClient.connect(host, clientOptions);
      if (aborted) {
        client.destroy();
        return;
      }
      try {
        await client.login(options.user, options.password, options.login);
        await client.logout();
      } finally {
        client.destroy();
      }
    })();
    check.catch(() => {});
    await Promise.race([check, abortion]);
  };
}
