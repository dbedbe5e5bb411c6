import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
export const corpusDir = join(fixturesDir, "corpus");

export interface CorpusMessage {
  name: string;
  bytes: Buffer;
}

/** The committed corpus, in file-name order (the order the Dovecot test APPENDs them). */
export function loadCorpus(): CorpusMessage[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith(".eml"))
    .sort()
    .map((f) => ({ name: f.replace(/\.eml$/, ""), bytes: readFileSync(join(corpusDir, f)) }));
}
