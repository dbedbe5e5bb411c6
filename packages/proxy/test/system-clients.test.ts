import { afterAll, beforeAll, describe } from "vitest";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";
import { systemClientScenarios } from "./helpers/system-client-scenarios.js";

/*
 * Clients from the system, not written by us: Python's imaplib and curl's IMAP support,
 * against holdfast on the local store over loopback (the scenarios: helpers/
 * system-client-scenarios.ts; apps/proxy runs them against the daemon too).
 */

let local: LocalServer;

beforeAll(async () => {
  local = await startLocalServer({ carol: "pa55 word" });
});
afterAll(() => local.stop());

describe("system IMAP clients", () => {
  systemClientScenarios(() => ({ port: local.port, user: "carol", password: "pa55 word", dir: local.dir }));
});
