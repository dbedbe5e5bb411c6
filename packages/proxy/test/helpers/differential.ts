import { RawClient } from "./raw-client.js";

/*
 * Runs one scripted IMAP session against a server and returns each command's response
 * lines, normalised so that two correct servers give the same text: values each server
 * picks for itself (UIDVALIDITY, MODSEQ, dates), human-readable text after a status, and
 * capability lists are replaced by placeholders. Nothing else is touched.
 */

export interface Step {
  /** The command after its tag; literals in LITERAL+ form ({n+}\r\n...). */
  command: string;
  /** Why the step is there (shown with a difference). */
  note?: string;
}

export function normalise(line: string): string {
  return (
    line
      // status text after the (optional) response code is free-form
      .replace(
        /^((?:\*|\w+) (?:OK|NO|BAD|BYE|PREAUTH))( \[[^\]]*\])?.*$/,
        (_, head: string, code?: string) => `${head}${code ?? ""}`,
      )
      .replace(/\[CAPABILITY [^\]]*\]/, "[CAPABILITY]")
      .replace(/^\* CAPABILITY .*/, "* CAPABILITY")
      .replace(/^\* ID .*/, "* ID")
      .replace(/\[UIDVALIDITY \d+\]/, "[UIDVALIDITY #]")
      .replace(/UIDVALIDITY \d+/g, "UIDVALIDITY #")
      .replace(/\[(APPENDUID|COPYUID) \d+/, "[$1 #")
      .replace(/\[HIGHESTMODSEQ \d+\]/, "[HIGHESTMODSEQ #]")
      .replace(/HIGHESTMODSEQ \d+/g, "HIGHESTMODSEQ #")
      .replace(/MODSEQ \(\d+\)/g, "MODSEQ (#)")
      .replace(/\(MODSEQ \d+\)/g, "(MODSEQ #)")
      .replace(/INTERNALDATE "[^"]*"/g, 'INTERNALDATE "#"')
  );
}

/** Sort a parenthesised list of atoms (flags, attributes): their order carries no meaning. */
function sortAtoms(list: string): string {
  return list
    .split(" ")
    .filter(Boolean)
    .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))
    .join(" ");
}

/**
 * What RFC 9051 leaves unordered is put in one order: the LIST/LSUB responses of one
 * command, the attributes of a LIST entry, the flags of FLAGS lists, STATUS items.
 */
export function canonicalOrder(lines: string[]): string[] {
  const fixed = lines.map((l) =>
    l
      .replace(/FLAGS \(([^)]*)\)/g, (_, f: string) => `FLAGS (${sortAtoms(f)})`)
      .replace(/^\* (LIST|LSUB) \(([^)]*)\)/, (_, kind: string, a: string) => `* ${kind} (${sortAtoms(a)})`)
      .replace(/^(\* STATUS \S+ )\(([^)]*)\)$/, (_, head: string, items: string) => {
        const pairs = items.match(/\S+ \S+/g) ?? [];
        return `${head}(${pairs.sort().join(" ")})`;
      }),
  );
  const listed = fixed.filter((l) => /^\* (LIST|LSUB) /.test(l)).sort();
  let i = 0;
  return fixed.map((l) => (/^\* (LIST|LSUB) /.test(l) ? listed[i++]! : l));
}

export async function runScript(port: number, user: string, password: string, steps: Step[]): Promise<string[][]> {
  const c = await RawClient.open(port);
  await c.line();
  const out: string[][] = [];
  try {
    await c.command("login", `LOGIN ${user} ${password}`);
    for (const [i, step] of steps.entries()) {
      const tag = `T${i}`;
      c.write(`${tag} ${step.command}\r\n`);
      const lines = await c.untilTagged(tag, 15_000);
      out.push(canonicalOrder(lines.map(normalise)));
    }
  } finally {
    c.close();
  }
  return out;
}
