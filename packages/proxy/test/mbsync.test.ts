import { afterAll, beforeAll, describe } from "vitest";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";
import { mbsyncScenarios } from "./helpers/mbsync-scenarios.js";

/*
 * isync's mbsync (Debian) syncing a mailbox both ways with holdfast on the local store (the
 * scenarios: helpers/mbsync-scenarios.ts; apps/proxy runs them against the daemon too).
 */

let local: LocalServer;

beforeAll(async () => {
  local = await startLocalServer({ carol: "pa55 word" });
});
afterAll(() => local.stop());

describe("mbsync (isync)", () => {
  mbsyncScenarios(() => ({ port: local.port, user: "carol", password: "pa55 word", dir: local.dir }));
});
