import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "@holdfast/store";
import { afterAll, beforeAll, describe } from "vitest";
import { ImapServer, LocalBackend } from "../src/index.js";
import { e2eScenarios } from "./helpers/e2e-scenarios.js";

/*
 * End to end: imapflow (a real IMAP client) against the front end on the real local store,
 * over loopback, with fsync on. The scenarios are in helpers/e2e-scenarios.ts (also run
 * through the proxy in front of Dovecot by remote-e2e.test.ts).
 */

let dir: string;
let store: Store;
let server: ImapServer;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "holdfast-e2e-"));
  store = await Store.open(join(dir, "data"));
  await store.users.add("alice", "open sesame");
  const backend = new LocalBackend(store);
  server = new ImapServer({ backend, authenticator: backend, plaintextAuth: true, throttle: { failureDelayMs: 10 } });
  port = await server.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await server.close(500);
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe("imapflow against holdfast on the local store", () => {
  e2eScenarios(() => ({ port, user: "alice", password: "open sesame" }));
});
