import type { IncomingMessage, ServerResponse } from "node:http";
import { type RoutingAdmin, RoutingError } from "@holdfast/proxy";

/*
 * The admin endpoints, served on the metrics listener:
 *
 *   POST /admin/kick?user=alice[&reason=...]   → 200 {"user":"alice","kicked":2}
 *   POST /admin/move?user=alice&host=imap2     → 200 {"user":"alice","host":"imap2","reconnected":1,"kicked":0}
 *
 * Only callers on a loopback address are served (403 otherwise), even when the metrics
 * listener is allowed on a public address: these change what users see. A bad request
 * (missing parameter, unknown host, no pool) is 400 with {"error": "..."}.
 */

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
}

/** Serve the request if it is an admin one; returns false for anything else. */
export function handleAdmin(req: IncomingMessage, res: ServerResponse, admin: RoutingAdmin | undefined): boolean {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (!url.pathname.startsWith("/admin/")) return false;
  if (!isLoopback(req.socket.remoteAddress)) {
    reply(res, 403, { error: "admin commands are accepted from loopback addresses only" });
    return true;
  }
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    reply(res, 405, { error: "use POST" });
    return true;
  }
  if (!admin) {
    reply(res, 503, { error: "admin commands are not available" });
    return true;
  }
  const user = url.searchParams.get("user") ?? "";
  try {
    switch (url.pathname) {
      case "/admin/kick": {
        if (!user) throw new RoutingError("missing parameter user");
        reply(res, 200, admin.kick(user, url.searchParams.get("reason") || undefined));
        return true;
      }
      case "/admin/move": {
        const host = url.searchParams.get("host") ?? "";
        if (!user || !host) throw new RoutingError("missing parameter user or host");
        reply(res, 200, admin.move(user, host));
        return true;
      }
      default:
        reply(res, 404, { error: `unknown admin command ${url.pathname}` });
        return true;
    }
  } catch (error) {
    if (error instanceof RoutingError) reply(res, 400, { error: error.message });
    else reply(res, 500, { error: (error as Error).message });
    return true;
  }
}
