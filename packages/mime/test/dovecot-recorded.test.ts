/**
 * Offline half of the Dovecot comparison: test/fixtures/dovecot-recorded/ holds what
 * Dovecot 2.3.19 answered for a fixed list of FETCH items on every corpus message
 * (recorded with HOLDFAST_RECORD_DOVECOT=1, see dovecot-record.test.ts). Our answers must
 * be byte-identical except for the listed Dovecot quirks. The live test
 * (dovecot-live.test.ts) checks many more items against a running Dovecot.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMessage } from "../src/index.js";
import { fixturesDir, loadCorpus } from "./helpers/corpus.js";
import { quirkFor, STORED_DIFFERENTLY } from "./helpers/dovecot-quirks.js";
import { answerOrError } from "./helpers/fetch-items.js";

function recorded(name: string): [string, string][] {
  const file = join(fixturesDir, "dovecot-recorded", `${name}.txt`);
  if (!existsSync(file)) return [];
  const text = readFileSync(file).toString("latin1");
  return text
    .split(/^=== /m)
    .slice(1)
    .map((block) => {
      const nl = block.indexOf("\n");
      let want = block.slice(nl + 1, -1);
      if (want.startsWith("ERROR")) want = /NO \[[A-Z-]+\]/.exec(want)?.[0] ?? want;
      return [block.slice(0, nl), want];
    });
}

describe("answers equal Dovecot's recorded answers", () => {
  const corpus = loadCorpus();
  it("has a recording for every corpus message", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    for (const m of corpus) expect(recorded(m.name).length, m.name).toBeGreaterThan(0);
  });
  for (const m of corpus) {
    it(m.name, () => {
      const msg = parseMessage(m.bytes);
      let compared = 0;
      for (const [item, want] of recorded(m.name)) {
        if (STORED_DIFFERENTLY[m.name] || quirkFor(m.name, item)) continue;
        expect(answerOrError(msg, item).toString("latin1"), `${m.name} ${item}`).toBe(want);
        compared++;
      }
      if (!STORED_DIFFERENTLY[m.name]) expect(compared).toBeGreaterThan(15);
    });
  }
});
