import { type DovecotServer, findDovecot, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe } from "vitest";
import { DOVECOT_NAMESPACE_CONFIG } from "./helpers/differential-scripts.js";
import { e2eScenarios } from "./helpers/e2e-scenarios.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";

/*
 * The imapflow end-to-end scenarios of e2e-local.test.ts, through holdfast in stateful mode
 * (its own session state, Dovecot spoken to in UIDs only) in front of Dovecot with the same
 * default mailboxes as holdfast's local store.
 */

const available = findDovecot() !== undefined;
let dovecot: DovecotServer;
let proxy: RemoteProxy;

beforeAll(async () => {
  if (!available) throw new Error("dovecot-imapd is not installed (CI installs it; apt-get install dovecot-imapd)");
  dovecot = await startDovecot({
    users: [{ name: "alice", password: "open sesame" }],
    extraConfig: `${DOVECOT_NAMESPACE_CONFIG}\nprotocol imap {\n  mail_max_userip_connections = 100\n}\n`,
  });
  proxy = await startRemoteProxy([dovecot]);
});
afterAll(async () => {
  await proxy?.stop();
  await dovecot?.stop();
});

describe("imapflow through holdfast (stateful) in front of Dovecot", () => {
  e2eScenarios(() => ({ port: proxy.port, user: "alice", password: "open sesame" }));
});
