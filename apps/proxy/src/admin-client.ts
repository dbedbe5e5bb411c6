import { request } from "node:http";
import type { Config } from "./config.js";

/*
 * `holdfast-proxy kick` / `move`: call the running daemon's admin endpoint on its metrics
 * listener (which must be enabled). A wildcard listen address is reached on loopback.
 */

export class AdminCallError extends Error {
  override name = "AdminCallError";
}

export function adminAddress(config: Config): { host: string; port: number } {
  if (!config.metrics.enabled) {
    throw new AdminCallError("metrics.enabled is false: the admin endpoint lives on the metrics listener");
  }
  const host = config.metrics.host;
  return { host: host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host, port: config.metrics.port };
}

export function callAdmin(
  config: Config,
  command: "kick" | "move",
  params: Record<string, string>,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  const { host, port } = adminAddress(config);
  const query = new URLSearchParams(params).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port, method: "POST", path: `/admin/${command}?${query}`, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          let body: Record<string, unknown>;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
          } catch {
            reject(new AdminCallError(`unexpected answer from ${host}:${port} (HTTP ${res.statusCode})`));
            return;
          }
          if (res.statusCode === 200) resolve(body);
          else reject(new AdminCallError(String(body.error ?? `HTTP ${res.statusCode}`)));
        });
      },
    );
    req.on("timeout", () => req.destroy(new AdminCallError(`no answer from ${host}:${port} in ${timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNREFUSED") {
        reject(
          new AdminCallError(`holdfast-proxy is not running with metrics on ${host}:${port} (connection refused)`),
        );
      } else reject(error instanceof AdminCallError ? error : new AdminCallError(error.message));
    });
    req.end();
  });
}
