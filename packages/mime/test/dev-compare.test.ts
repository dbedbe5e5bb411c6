import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "vitest";
import { body, bodystructure, buildEnvelope, parseMessage, serializeEnvelope } from "../src/index.js";
import { fixturesDir, loadCorpus } from "./helpers/corpus.js";

it.runIf(process.env.HOLDFAST_DEV === "1")("dev compare", () => {
  let bad = 0;
  for (const m of loadCorpus()) {
    const f = join(fixturesDir, "dovecot-recorded", `${m.name}.txt`);
    if (!existsSync(f)) continue;
    const rec = readFileSync(f).toString("latin1");
    const get = (item: string) => {
      const i = rec.indexOf(`=== ${item}\n`);
      const s = i + item.length + 5;
      const e = rec.indexOf("\n=== ", s);
      return rec.slice(s, e);
    };
    const p = parseMessage(m.bytes);
    const mine: Record<string, string> = {
      BODYSTRUCTURE: bodystructure(p.bytes, p.root),
      BODY: body(p.bytes, p.root),
      ENVELOPE: serializeEnvelope(buildEnvelope(p.bytes, p.root.header.fields)),
      "RFC822.SIZE": String(p.size.virtual),
    };
    for (const [k, v] of Object.entries(mine)) {
      if (get(k) !== v) {
        bad++;
        console.log(
          `${m.name} ${k}\n  dovecot: ${JSON.stringify(get(k)).slice(0, 600)}\n  mine:    ${JSON.stringify(v).slice(0, 600)}`,
        );
      }
    }
  }
  console.log("mismatches", bad);
});
