import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "@holdfast/store";
import { ImapServer, type ImapServerOptions, LocalBackend } from "../../src/index.js";

/** holdfast on a fresh local store in a temp folder, on a free loopback port. */
export interface LocalServer {
  server: ImapServer;
  store: Store;
  port: number;
  /** A scratch folder of the test's own (the store lives in dir/data). */
  dir: string;
  stop(): Promise<void>;
}

export async function startLocalServer(
  users: Record<string, string>,
  options: Partial<ImapServerOptions> = {},
): Promise<LocalServer> {
  const dir = await mkdtemp(join(tmpdir(), "holdfast-proxy-test-"));
  const store = await Store.open(join(dir, "data"));
  for (const [user, password] of Object.entries(users)) await store.users.add(user, password);
  const backend = new LocalBackend(store);
  const server = new ImapServer({
    backend,
    authenticator: backend,
    plaintextAuth: true,
    throttle: { failureDelayMs: 10 },
    ...options,
  });
  const port = await server.listen({ host: "127.0.0.1", port: 0 });
  return {
    server,
    store,
    port,
    dir,
    async stop() {
      await server.close(500);
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
