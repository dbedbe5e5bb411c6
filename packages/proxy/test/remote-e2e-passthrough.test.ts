import { type DovecotServer, findDovecot, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe } from "vitest";
import { DOVECOT_NAMESPACE_CONFIG } from "./helpers/differential-scripts.js";
import { e2eScenarios } from "./helpers/e2e-scenarios.js";
import { startPassthroughProxy } from "./helpers/passthrough-proxy.js";
import type { ProxyInFront } from "./helpers/proxy-in-front.js";

/*
 * The imapflow end-to-end scenarios of e2e-local.test.ts, through holdfast in passthrough
 * mode (login at the proxy, then a byte splice) in front of Dovecot with the same default
 * mailboxes as holdfast's local store.
 */

const available = findDovecot() !== undefined;
let dovecot: DovecotServer;
let proxy: ProxyInFront;

beforeAll(async () => {
  if (!available) throw new Error("dovecot-imapd is not installed (CI installs it; apt-get install dovecot-imapd)");
  dovecot = await startDovecot({
    users: [{ name: "alice", password: "open sesame" }],
    extraConfig: `${DOVECOT_NAMESPACE_CONFIG}\nprotocol imap {\n  mail_max_userip_connections = 100\n}\n`,
  });
  proxy = await startPassthroughProxy([dovecot]);
});
afterAll(async () => {
  await proxy?.stop();
  await dovecot?.stop();
});

describe("imapflow through holdfast (passthrough) in front of Dovecot", () => {
  e2eScenarios(() => ({ port: proxy.port, user: "alice", password: "open sesame" }));
});
