import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@holdfast/proxy";
import { Store } from "@holdfast/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../src/config.js";
import { startPool } from "../src/pool-runtime.js";

/*
 * A master-user pool logs in to the backend with the pool's credentials, so the backend
 * never checks the client's password: `verify = "local"` makes the proxy check it against
 * its own user database first. A wrong password must be refused before any backend is asked.
 */

let dir: string;
let backend: Server;
let backendConnections = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "holdfast-pool-verify-"));
  const store = await Store.open(join(dir, "data"), { scrypt: { N: 1024, r: 8, p: 1, keyLength: 32 } });
  await store.users.add("alice", "right-password");
  await store.close();
  // A "backend" that counts connections and answers nothing useful.
  backend = createServer((socket) => {
    backendConnections++;
    socket.end("* BYE not a real backend\r\n");
  });
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  await new Promise((resolve) => backend.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("master-user pool with verify = local", () => {
  it("refuses a wrong password without contacting the backend", async () => {
    const port = (backend.address() as { port: number }).port;
    const config = validateConfig({
      backend: "p",
      data_dir: join(dir, "data"),
      pools: [
        {
          name: "p",
          hosts: [{ id: "h", host: "127.0.0.1", port }],
          health: { enabled: false },
          login: { mode: "master", user: "proxy", password: "master-secret", verify: "local" },
        },
      ],
    });
    const pool = await startPool(config, config.pools[0]!, dir, silentLogger, join(dir, "data"));
    try {
      const context = { remoteAddress: "127.0.0.1", remotePort: 1, secure: false, sessionId: "t1" };
      expect(await pool.authenticator.authenticate("alice", "wrong-password", context)).toBeNull();
      expect(await pool.authenticator.authenticate("mallory", "anything", context)).toBeNull();
      expect(backendConnections).toBe(0);
      // The right password passes the proxy's check and only then goes to the backend
      // (which here refuses: the login fails, but it was asked).
      await pool.authenticator.authenticate("alice", "right-password", context).catch(() => null);
      expect(backendConnections).toBeGreaterThan(0);
    } finally {
      await pool.stop();
    }
  });
});
