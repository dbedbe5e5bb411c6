import { findDovecot, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript } from "./helpers/differential.js";
import { compare, DOVECOT_NAMESPACE_CONFIG, SCRIPT, SCRIPT2 } from "./helpers/differential-scripts.js";
import { type LocalServer, startLocalServer } from "./helpers/local-server.js";

/*
 * Differential test: the same scripted session against Dovecot (Debian's dovecot-imapd,
 * started here on loopback) and against holdfast on the local store; responses compared
 * after normalising only what may differ (see helpers/differential.ts). Every remaining
 * difference must be fixed or listed in KNOWN_DIFFERENCES with its reason.
 */

const dovecotAvailable = findDovecot() !== undefined;
let dovecotLines: string[][];
let holdfastLines: string[][];
let dovecotLines2: string[][];
let holdfastLines2: string[][];
let local: LocalServer;

beforeAll(async () => {
  if (!dovecotAvailable)
    throw new Error("dovecot-imapd is not installed (CI installs it; apt-get install dovecot-imapd)");
  const dovecot = await startDovecot({
    users: [{ name: "diff", password: "pw" }],
    extraConfig: DOVECOT_NAMESPACE_CONFIG,
  });
  try {
    dovecotLines = await runScript(dovecot.port, "diff", "pw", SCRIPT);
    dovecotLines2 = await runScript(dovecot.port, "diff", "pw", SCRIPT2);
  } finally {
    await dovecot.stop();
  }
  local = await startLocalServer({ diff: "pw" });
  holdfastLines = await runScript(local.port, "diff", "pw", SCRIPT);
  holdfastLines2 = await runScript(local.port, "diff", "pw", SCRIPT2);
});
afterAll(() => local?.stop());

describe("differential against Dovecot", () => {
  it(`session 1: ${SCRIPT.length} commands answer as Dovecot does, except the listed differences`, () => {
    const differences = compare(SCRIPT, dovecotLines, holdfastLines);
    expect(differences, differences.join("\n\n")).toEqual([]);
  });

  it(`session 2: ${SCRIPT2.length} commands answer as Dovecot does, except the listed differences`, () => {
    const differences = compare(SCRIPT2, dovecotLines2, holdfastLines2);
    expect(differences, differences.join("\n\n")).toEqual([]);
  });
});
