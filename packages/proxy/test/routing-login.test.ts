import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type DovecotServer, findDovecot, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPassthroughBackend, createRemoteBackend, ImapServer, Router } from "../src/index.js";
import { RawClient } from "./helpers/raw-client.js";

/*
 * Routing at LOGIN, end to end: a client logs in to ImapServer, the remote backend asks the
 * Router, the Router asks an HTTP lookup service; Dovecot is the backend. The lookup's
 * destuser is the name used to log in to Dovecot; a failing or unknown lookup is a tagged
 * NO [UNAVAILABLE] and the connection stays usable.
 */

const dovecotAvailable = findDovecot() !== undefined;

describe.skipIf(!dovecotAvailable)("routing at login", () => {
  let dovecot: DovecotServer;
  let lookupServer: Server;
  let lookupUrl: string;
  let failing = false;
  const servers: ImapServer[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot({
      users: [{ name: "store7-alice", password: "alice-pw" }],
      extraConfig: "auth_failure_delay = 0\n",
    });
    lookupServer = createServer((req, res) => {
      const user = new URL(req.url ?? "/", "http://x").searchParams.get("user");
      if (failing) res.writeHead(503).end();
      else if (user === "alice") {
        res.writeHead(200).end(JSON.stringify({ host: "127.0.0.1", port: dovecot.port, destuser: "store7-alice" }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => lookupServer.listen(0, "127.0.0.1", r));
    lookupUrl = `http://127.0.0.1:${(lookupServer.address() as AddressInfo).port}/route?user={user}`;
  });

  afterAll(async () => {
    for (const s of servers) await s.close(500);
    lookupServer?.closeAllConnections();
    await new Promise<void>((r) => (lookupServer ? lookupServer.close(() => r()) : r()));
    await dovecot?.stop();
  });

  for (const mode of ["stateful", "passthrough"] as const) {
    it(`${mode}: destuser is used for the backend login; unknown users and lookup errors get NO [UNAVAILABLE]`, async () => {
      failing = false;
      const router = new Router({ name: "lookup", strategy: "lookup", hosts: [], lookup: { url: lookupUrl } });
      const options = { route: (user: string) => router.route(user) };
      const pair = mode === "stateful" ? createRemoteBackend(options) : createPassthroughBackend(options);
      const server = new ImapServer({ ...pair, plaintextAuth: true, throttle: { failureDelayMs: 10 } });
      servers.push(server);
      const port = await server.listen({ host: "127.0.0.1", port: 0 });

      const unknown = await RawClient.open(port);
      await unknown.line();
      expect((await unknown.command("a", "LOGIN bob whatever")).at(-1)).toMatch(/^a NO \[UNAVAILABLE\]/);
      failing = true;
      expect((await unknown.command("b", "LOGIN carol whatever")).at(-1)).toMatch(/^b NO \[UNAVAILABLE\]/);
      failing = false;
      // Still usable after both refusals.
      expect((await unknown.command("c", "CAPABILITY")).at(-1)).toMatch(/^c OK/);
      expect((await unknown.command("d", "LOGIN alice alice-pw")).at(-1)).toMatch(/^d OK/);
      const select = await unknown.command("e", "SELECT INBOX");
      expect(select.at(-1)).toMatch(/^e OK/);
      unknown.close();
    });
  }
});
