/**
 * Developer tool, not a check: with HOLDFAST_RECORD_DOVECOT=1 it APPENDs the corpus to a
 * private Dovecot and writes what Dovecot answers for a fixed list of FETCH items to
 * test/fixtures/dovecot-recorded/<name>.txt, to study Dovecot's behaviour while developing.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findDovecot, startDovecot } from "@holdfast/testkit";
import { describe, it } from "vitest";
import { fixturesDir, loadCorpus } from "./helpers/corpus.js";
import { RawImapClient } from "./helpers/raw-imap-client.js";

const record = process.env.HOLDFAST_RECORD_DOVECOT === "1";

const items: [string, string][] = [
  ["BODYSTRUCTURE", "BODYSTRUCTURE"],
  ["BODY", "BODY"],
  ["ENVELOPE", "ENVELOPE"],
  ["RFC822.SIZE", "RFC822.SIZE"],
  ["BODY.PEEK[HEADER]", "BODY[HEADER]"],
  ["BODY.PEEK[TEXT]", "BODY[TEXT]"],
  ["BODY.PEEK[1]", "BODY[1]"],
  ["BODY.PEEK[1.MIME]", "BODY[1.MIME]"],
  ["BODY.PEEK[2]", "BODY[2]"],
  ["BODY.PEEK[2.MIME]", "BODY[2.MIME]"],
  ["BODY.PEEK[1.1]", "BODY[1.1]"],
  ["BODY.PEEK[2.HEADER]", "BODY[2.HEADER]"],
  ["BODY.PEEK[2.TEXT]", "BODY[2.TEXT]"],
  ["BODY.PEEK[1.HEADER]", "BODY[1.HEADER]"],
  ["BODY.PEEK[HEADER.FIELDS (SUBJECT FROM CONTENT-TYPE)]", "BODY[HEADER.FIELDS (SUBJECT FROM CONTENT-TYPE)]"],
  ["BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM)]", "BODY[HEADER.FIELDS.NOT (SUBJECT FROM)]"],
  ["BINARY.PEEK[1]", "BINARY[1]"],
  ["BINARY.SIZE[1]", "BINARY.SIZE[1]"],
  ["BINARY.PEEK[2]", "BINARY[2]"],
  ["BODY.PEEK[]<5.20>", "BODY[]<5>"],
];

describe.runIf(record)("record Dovecot answers", () => {
  it("records", async () => {
    const bin = findDovecot();
    if (!bin) throw new Error("dovecot not installed");
    const server = await startDovecot({ binary: bin });
    const out = join(fixturesDir, "dovecot-recorded");
    mkdirSync(out, { recursive: true });
    let client = new RawImapClient();
    const reconnect = async () => {
      client = new RawImapClient();
      await client.connect(server.port);
      await client.command(`LOGIN ${server.user} ${server.password}`);
      await client.command("EXAMINE INBOX");
    };
    try {
      await client.connect(server.port);
      await client.command(`LOGIN ${server.user} ${server.password}`);
      const corpus = loadCorpus();
      for (const m of corpus) await client.command("APPEND INBOX", m.bytes);
      await client.command("EXAMINE INBOX");
      for (let i = 0; i < corpus.length; i++) {
        const parts: Buffer[] = [];
        for (const [item, name] of items) {
          let value: Buffer;
          try {
            value = await client.fetchItem(i + 1, item, name);
          } catch (e) {
            value = Buffer.from(`ERROR ${(e as Error).message}`);
            if ((e as Error).message.includes("closed")) await reconnect();
          }
          parts.push(Buffer.from(`=== ${item}\n`), value, Buffer.from("\n"));
        }
        writeFileSync(join(out, `${corpus[i]!.name}.txt`), Buffer.concat(parts));
      }
    } finally {
      await client.close();
      await server.stop();
    }
  }, 120_000);
});
