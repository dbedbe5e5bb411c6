/**
 * Live comparison with Dovecot: start a private dovecot-imapd on 127.0.0.1 (random port,
 * generated config in a temp folder), APPEND every corpus message, FETCH BODYSTRUCTURE,
 * BODY, ENVELOPE, RFC822.SIZE and, for every part, BODY[n], BODY[n.MIME], BINARY[n],
 * BINARY.SIZE[n] (plus HEADER/TEXT/HEADER.FIELDS for message/rfc822 parts, partial ranges
 * and a few sections that name nothing) over a raw socket, and compare the bytes Dovecot
 * sends with ours. The only allowed differences are in helpers/dovecot-quirks.ts.
 *
 * HOLDFAST_DOVECOT_DUMP=<folder> writes both answers of every difference there.
 *
 * CI installs dovecot-imapd. Without it this test fails, unless HOLDFAST_SKIP_DOVECOT=1
 * says to skip it (loudly).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DovecotServer, findDovecot, startDovecot } from "@holdfast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "../src/index.js";
import { type CorpusMessage, loadCorpus } from "./helpers/corpus.js";
import { quirkFor, STORED_DIFFERENTLY } from "./helpers/dovecot-quirks.js";
import { answerOrError } from "./helpers/fetch-items.js";
import { RawImapClient } from "./helpers/raw-imap-client.js";
import { namedParts } from "./helpers/section-paths.js";

const skip = process.env.HOLDFAST_SKIP_DOVECOT === "1";
const binary = findDovecot();
if (skip) {
  console.warn("\n*** HOLDFAST_SKIP_DOVECOT=1: the live Dovecot comparison is SKIPPED ***\n");
}

/** At most this many parts per message get per-part FETCHes (deep test messages have hundreds). */
const MAX_PARTS = 150;

/** FETCH items for one message, with the name the response carries. */
function itemsFor(m: CorpusMessage, bytes: Buffer): [string, string][] {
  const msg = parseMessage(bytes);
  const items: [string, string][] = [
    ["BODYSTRUCTURE", "BODYSTRUCTURE"],
    ["BODY", "BODY"],
    ["ENVELOPE", "ENVELOPE"],
    ["RFC822.SIZE", "RFC822.SIZE"],
    ["BODY.PEEK[]", "BODY[]"],
    ["BODY.PEEK[HEADER]", "BODY[HEADER]"],
    ["BODY.PEEK[TEXT]", "BODY[TEXT]"],
    [
      "BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT CONTENT-TYPE X-NONE)]",
      "BODY[HEADER.FIELDS (FROM TO SUBJECT CONTENT-TYPE X-NONE)]",
    ],
    ["BODY.PEEK[HEADER.FIELDS.NOT (FROM TO SUBJECT)]", "BODY[HEADER.FIELDS.NOT (FROM TO SUBJECT)]"],
    ["BODY.PEEK[]<7.33>", "BODY[]<7>"],
    ["BODY.PEEK[TEXT]<3.10>", "BODY[TEXT]<3>"],
    ["BODY.PEEK[99]", "BODY[99]"],
    ["BINARY.PEEK[]", "BINARY[]"],
  ];
  for (const { path, part } of namedParts(msg.root).slice(0, MAX_PARTS)) {
    items.push([`BODY.PEEK[${path}]`, `BODY[${path}]`]);
    items.push([`BODY.PEEK[${path}.MIME]`, `BODY[${path}.MIME]`]);
    items.push([`BINARY.PEEK[${path}]`, `BINARY[${path}]`]);
    items.push([`BINARY.SIZE[${path}]`, `BINARY.SIZE[${path}]`]);
    items.push([`BINARY.PEEK[${path}]<2.7>`, `BINARY[${path}]<2>`]);
    items.push([`BODY.PEEK[${path}.MIME]<1.9>`, `BODY[${path}.MIME]<1>`]);
    if (part.kind === "message") {
      items.push([`BODY.PEEK[${path}.HEADER]`, `BODY[${path}.HEADER]`]);
      items.push([`BODY.PEEK[${path}.TEXT]`, `BODY[${path}.TEXT]`]);
      items.push([`BODY.PEEK[${path}.HEADER.FIELDS (SUBJECT)]`, `BODY[${path}.HEADER.FIELDS (SUBJECT)]`]);
    } else if (part.kind === "single") {
      items.push([`BODY.PEEK[${path}.1]`, `BODY[${path}.1]`]);
      items.push([`BODY.PEEK[${path}.HEADER]`, `BODY[${path}.HEADER]`]);
    }
  }
  void m;
  return items;
}

describe.skipIf(skip)("byte-for-byte equal to a live Dovecot", () => {
  let server: DovecotServer | undefined;
  let client: RawImapClient;
  const corpus = loadCorpus();

  const connect = async () => {
    client = new RawImapClient();
    await client.connect(server!.port);
    await client.command(`LOGIN ${server!.user} ${server!.password}`);
  };

  beforeAll(async () => {
    if (!binary) {
      throw new Error(
        "dovecot is not installed: install it (apt-get install -y --no-install-recommends dovecot-imapd) or set HOLDFAST_SKIP_DOVECOT=1 to skip this comparison",
      );
    }
    server = await startDovecot({ binary });
    await connect();
    for (const m of corpus) await client.command("APPEND INBOX", m.bytes);
    await client.command("EXAMINE INBOX");
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it("compares every corpus message", async () => {
    const failures: string[] = [];
    let compared = 0;
    let quirks = 0;
    for (let i = 0; i < corpus.length; i++) {
      const m = corpus[i]!;
      const seq = i + 1;
      const stored = await client.fetchItem(seq, "BODY.PEEK[]", "BODY[]");
      let bytes = m.bytes;
      const ours = parseMessage(bytes);
      if (answerOrError(ours, "BODY.PEEK[]").compare(stored) !== 0) {
        if (!STORED_DIFFERENTLY[m.name]) {
          failures.push(
            `${m.name}: Dovecot stored different bytes than APPENDed: ${JSON.stringify(stored.toString("latin1"))} vs ${JSON.stringify(answerOrError(ours, "BODY.PEEK[]").toString("latin1"))}`,
          );
          continue;
        }
        // compare against what Dovecot stored (the literal's content)
        bytes = stored.subarray(stored.indexOf("\r\n") + 2);
      }
      const msg = parseMessage(bytes);
      for (const [item, name] of itemsFor(m, bytes)) {
        let theirs: string;
        try {
          theirs = (await client.fetchItem(seq, item, name)).toString("latin1");
        } catch (e) {
          const text = (e as Error).message;
          theirs = /NO \[[A-Z-]+\]/.exec(text)?.[0] ?? `ERROR ${text}`;
          if (text.includes("closed")) {
            await connect();
            await client.command("EXAMINE INBOX");
          }
        }
        const mine = answerOrError(msg, item).toString("latin1");
        if (mine === theirs) {
          compared++;
        } else if (quirkFor(m.name, item)) {
          quirks++;
        } else {
          const dump = process.env.HOLDFAST_DOVECOT_DUMP;
          if (dump) {
            const base = join(dump, `${m.name}-${item.replace(/[^A-Za-z0-9.]+/g, "_")}`);
            writeFileSync(`${base}.dovecot`, theirs, "latin1");
            writeFileSync(`${base}.ours`, mine, "latin1");
          }
          let at = 0;
          while (at < mine.length && mine[at] === theirs[at]) at++;
          const around = (s: string) => JSON.stringify(s.slice(Math.max(0, at - 60), at + 60));
          failures.push(
            `${m.name} ${item} (sizes ${theirs.length}/${mine.length}, first difference at ${at})\n  dovecot: ${around(theirs)}\n  ours:    ${around(mine)}`,
          );
        }
      }
    }
    console.log(`compared ${compared} FETCH answers byte for byte; ${quirks} differ by a listed Dovecot quirk`);
    expect(failures, failures.join("\n")).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
  }, 170_000);
});
