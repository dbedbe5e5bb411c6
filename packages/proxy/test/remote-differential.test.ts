import { type DovecotServer, findDovecot, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Step } from "./helpers/differential.js";
import { runScript } from "./helpers/differential.js";
import {
  compare,
  DOVECOT_NAMESPACE_CONFIG,
  KNOWN_DIFFERENCES,
  SCRIPT,
  SCRIPT2,
} from "./helpers/differential-scripts.js";
import { type RemoteProxy, startRemoteProxy } from "./helpers/remote-proxy.js";

/*
 * The differential sessions (helpers/differential-scripts.ts) against Dovecot directly and
 * through holdfast in stateful mode in front of the same Dovecot (two users with the same
 * fresh mail). In stateful mode holdfast's own front end answers (sequence numbers, the
 * notifications, the response codes it adds), Dovecot is spoken to in UIDs: the differences
 * that remain are listed below with their reasons.
 */

/** Holdfast's own front end, the same as on the local store (reasons in differential-scripts.ts). */
const FRONT_END = [
  "SELECT INBOX",
  "SELECT Projects",
  "EXAMINE Projects",
  "SELECT Lab",
  "MOVE 2 Projects/2026",
  "EXPUNGE",
  "COPY 2 Lab",
  "UID MOVE 4 INBOX",
  "STORE 1 +FLAGS (\\Seen)",
  "DELETE INBOX",
  "SEARCH CHARSET KOI8-X ALL",
  "ENABLE CONDSTORE",
  'SELECT "nosuch"',
  "NOOP extra",
  "FETCH 2 (RFC822.TEXT)",
  // Holdfast knows STATUS DELETED (IMAP4rev2, computed on Dovecot 2.3) and answers a missing
  // mailbox NO [NONEXISTENT], as on the local store.
  "STATUS Lab (MESSAGES UIDNEXT UNSEEN DELETED SIZE)",
  "STATUS Old-Inbox (MESSAGES)",
];
const REMOTE_KNOWN_DIFFERENCES: Record<string, string> = Object.fromEntries(
  FRONT_END.map((command) => [command, KNOWN_DIFFERENCES[command]!]),
);

/**
 * Open defects of the remote backend (packages/proxy/src/remote) found by this test, each a
 * real bug to fix, not accepted behaviour. The test fails if one of them no longer shows (so
 * a fix removes its line) as well as on any new difference.
 */
const REMOTE_DEFECTS: Record<string, string> = {};

const available = findDovecot() !== undefined;
let dovecot: DovecotServer;
let proxy: RemoteProxy;
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
  proxy = await startRemoteProxy([dovecot]);
  for (const script of [SCRIPT, SCRIPT2]) {
    direct.push(await runScript(dovecot.port, "diffa", "pw", script));
    proxied.push(await runScript(proxy.port, "diffb", "pw", script));
  }
});
afterAll(async () => {
  await proxy?.stop();
  await dovecot?.stop();
});

/** Differences not explained, and listed defects that no longer show. */
function check(script: Step[], a: string[][], b: string[][]): string[] {
  const known = { ...REMOTE_KNOWN_DIFFERENCES, ...REMOTE_DEFECTS };
  const problems = compare(script, a, b, known, ["direct", "proxied"]);
  for (const [i, step] of script.entries()) {
    if (REMOTE_DEFECTS[step.command] && a[i]!.join("\n") === b[i]!.join("\n"))
      problems.push(
        `#${i} ${step.command}: listed in REMOTE_DEFECTS but answers as Dovecot does now (fixed? remove it)`,
      );
  }
  return problems;
}

describe("differential: Dovecot direct vs holdfast (stateful) in front of Dovecot", () => {
  it(`session 1: ${SCRIPT.length} commands answer as Dovecot does, except the listed differences and defects`, () => {
    const problems = check(SCRIPT, direct[0]!, proxied[0]!);
    expect(problems, problems.join("\n\n")).toEqual([]);
  });
  it(`session 2: ${SCRIPT2.length} commands answer as Dovecot does, except the listed differences and defects`, () => {
    const problems = check(SCRIPT2, direct[1]!, proxied[1]!);
    expect(problems, problems.join("\n\n")).toEqual([]);
  });
});
