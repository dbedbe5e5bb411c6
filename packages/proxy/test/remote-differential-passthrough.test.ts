import { type DovecotServer, findDovecot, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript } from "./helpers/differential.js";
import { compare, DOVECOT_NAMESPACE_CONFIG, SCRIPT, SCRIPT2 } from "./helpers/differential-scripts.js";
import { startPassthroughProxy } from "./helpers/passthrough-proxy.js";
import type { ProxyInFront } from "./helpers/proxy-in-front.js";

/*
 * The differential sessions (helpers/differential-scripts.ts) against Dovecot directly and
 * through holdfast in passthrough mode in front of the same Dovecot (two users with the same
 * fresh mail, so both runs start from the same state). After LOGIN the proxy splices bytes:
 * every response must be Dovecot's own, so no difference is allowed at all.
 */

const available = findDovecot() !== undefined;
let dovecot: DovecotServer;
let proxy: ProxyInFront;
const direct: string[][][] = [];
const proxied: string[][][] = [];

beforeAll(async () => {
  if (!available) throw new Error("dovecot-imapd is not installed (CI installs it; apt-get install dovecot-imapd)");
  dovecot = await startDovecot({
    users: [
      { name: "diffa", password: "pw" },
      { name: "diffb", password: "pw" },
    ],
    extraConfig: DOVECOT_NAMESPACE_CONFIG,
  });
  proxy = await startPassthroughProxy([dovecot]);
  for (const script of [SCRIPT, SCRIPT2]) {
    direct.push(await runScript(dovecot.port, "diffa", "pw", script));
    proxied.push(await runScript(proxy.port, "diffb", "pw", script));
  }
});
afterAll(async () => {
  await proxy?.stop();
  await dovecot?.stop();
});

describe("differential: Dovecot direct vs holdfast (passthrough) in front of Dovecot", () => {
  it(`session 1: ${SCRIPT.length} commands answer exactly as Dovecot does`, () => {
    const differences = compare(SCRIPT, direct[0]!, proxied[0]!, {}, ["direct", "proxied"]);
    expect(differences, differences.join("\n\n")).toEqual([]);
  });
  it(`session 2: ${SCRIPT2.length} commands answer exactly as Dovecot does`, () => {
    const differences = compare(SCRIPT2, direct[1]!, proxied[1]!, {}, ["direct", "proxied"]);
    expect(differences, differences.join("\n\n")).toEqual([]);
  });
});
