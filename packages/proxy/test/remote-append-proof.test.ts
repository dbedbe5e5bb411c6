import { type DovecotServer, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImapServer } from "../src/index.js";
import { createRemoteBackend, ImapClient } from "../src/remote/index.js";
import { RawClient } from "./helpers/raw-client.js";
import { type RelayHandlers, startTamperingRelay, type TamperingRelay } from "./helpers/tampering-relay.js";
import { MESSAGE } from "./remote-fixtures.js";

/*
 * The outcome of an APPEND whose backend connection broke. A TCP relay between the proxy
 * and Dovecot injects the fault once, at a chosen point: right after Dovecot committed the
 * message (its tagged OK [APPENDUID] is swallowed and the connection reset), or in the
 * middle of the upload (Dovecot never gets the whole message). The proxy must answer OK
 * in the first case (the message is there: found by Message-ID and size) and
 * NO [UNAVAILABLE] in the second, and never store the message twice.
 */

type Fault = "after-commit" | "mid-upload" | null;

let dovecot: DovecotServer;
let relay: TamperingRelay;
let fault: Fault = null;
let server: ImapServer;
let port: number;

/** Injects `fault` once, then relays as it is. */
const injectFault = (): RelayHandlers => ({
  toServer(d, { upstream, kill }) {
    if (fault === "mid-upload" && / APPEND /.test(d.toString("latin1"))) {
      fault = null;
      upstream.write(d.subarray(0, Math.floor(d.length / 2)), kill);
      return;
    }
    upstream.write(d);
  },
  toClient(d, { client, kill }) {
    const at = d.toString("latin1").search(/(^|\r\n)H\d+ OK \[APPENDUID/);
    if (fault === "after-commit" && at >= 0) {
      fault = null;
      client.write(d.subarray(0, at), kill);
      return;
    }
    client.write(d);
  },
});

beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ name: "alice", password: "alice-pw" }] });
  relay = await startTamperingRelay(dovecot, injectFault);
  const remote = createRemoteBackend({
    route: async () => [{ id: "relay", host: "127.0.0.1", port: relay.port }],
    reconnect: { budgetMs: 10_000, initialDelayMs: 20, spreadMs: 50 },
  });
  server = new ImapServer({ backend: remote.backend, authenticator: remote.authenticator, plaintextAuth: true });
  port = await server.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await server?.close(200);
  relay?.close();
  await dovecot?.stop();
});

async function countOf(messageId: string): Promise<number> {
  const c = await ImapClient.connect({ id: "direct", host: dovecot.host, port: dovecot.port });
  await c.login("alice", "alice-pw");
  await c.command({ name: "EXAMINE", mailbox: "INBOX", condstore: false });
  const r = await c.command({
    name: "SEARCH",
    uid: true,
    criteria: [{ type: "HEADER", field: "Message-ID", value: messageId }],
  });
  await c.logout();
  return r.untagged.flatMap((u) => (u.type === "SEARCH" ? u.numbers : [])).length;
}

async function appendThroughProxy(message: Buffer): Promise<string> {
  const raw = await RawClient.open(port);
  await raw.line();
  await raw.command("a", "LOGIN alice alice-pw");
  raw.write(`b APPEND INBOX {${message.length}+}\r\n`);
  raw.write(message);
  raw.write("\r\n");
  const lines = await raw.untilTagged("b", 15_000);
  raw.close();
  return lines[lines.length - 1]!;
}

describe("APPEND across a broken backend connection", () => {
  it("committed by the backend but unanswered: found by Message-ID and size, the client gets OK [APPENDUID]", async () => {
    fault = "after-commit";
    const answer = await appendThroughProxy(MESSAGE("proof one", "body\r\n", "proof-1@example.org"));
    expect(fault).toBe(null); // the fault was injected
    expect(answer).toMatch(/^b OK \[APPENDUID \d+ \d+\]/);
    expect(await countOf("<proof-1@example.org>")).toBe(1);
  });

  it("cut during the upload: not there, the client gets NO [UNAVAILABLE] and nothing was stored", async () => {
    fault = "mid-upload";
    const answer = await appendThroughProxy(MESSAGE("proof two", "x".repeat(200_000), "proof-2@example.org"));
    expect(fault).toBe(null);
    expect(answer).toMatch(/^b NO \[UNAVAILABLE\]/);
    expect(await countOf("<proof-2@example.org>")).toBe(0);
  });
});
