import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MailboxIndex, systemFlagNames, verify } from "../src/index.js";
import { prng, tempFolder } from "./helpers/mailbox.js";

/*
 * Crash test 1: a child process commits random transactions and says which are
 * acknowledged; the parent kills it with SIGKILL at random moments, reopens the mailbox and
 * checks that every acknowledged transaction is there, that the state is exactly the one
 * after some prefix of the transactions the child started, and that verify is clean.
 *
 * The child runs the package's TypeScript sources, transpiled once (typescript's
 * transpileModule) into node_modules/.crash-build so that "@holdfast/checksum" resolves.
 */

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const build = join(root, "node_modules", ".crash-build");
const KILLS = Number(process.env.HOLDFAST_KILLS ?? 200);

async function transpile(fromDir: string, toDir: string): Promise<void> {
  await mkdir(toDir, { recursive: true });
  for (const name of await readdir(fromDir)) {
    if (!name.endsWith(".ts") || name.endsWith(".test.ts")) continue;
    const source = await readFile(join(fromDir, name), "utf8");
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(join(toDir, name.replace(/\.ts$/, ".js")), out.outputText);
  }
}

let folder: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  await transpile(join(root, "src"), join(build, "src"));
  await transpile(join(root, "test", "helpers"), join(build, "test", "helpers"));
  await writeFile(join(build, "package.json"), JSON.stringify({ type: "module" }));
  ({ dir: folder, cleanup } = await tempFolder("holdfast-kill-"));
});
afterAll(() => cleanup());

interface Run {
  txns: Map<number, { present: [number, string[]][]; gone: number[] }>;
  acked: number;
}

/** Start the child, let it work for `ms` after it is ready, SIGKILL it, collect its lines. */
function runAndKill(seed: number, ms: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build, "test", "helpers", "crash-child.js"), folder, String(seed)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const run: Run = { txns: new Map(), acked: 0 };
    let buffer = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === "READY") timer = setTimeout(() => child.kill("SIGKILL"), ms);
        else if (line.startsWith("T ")) {
          const space = line.indexOf(" ", 2);
          run.txns.set(Number(line.slice(2, space)), JSON.parse(line.slice(space + 1)));
        } else if (line.startsWith("A ")) run.acked = Math.max(run.acked, Number(line.slice(2)));
        nl = buffer.indexOf("\n");
      }
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const guard = setTimeout(() => child.kill("SIGKILL"), 10_000);
    // "close", not "exit": it comes after stdout is drained, so no printed line is missed
    // (on a loaded machine "exit" can come before the last lines were read).
    child.on("close", (_code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== "SIGKILL") reject(new Error(`child exited without being killed: ${stderr}`));
      else resolve(run);
    });
  });
}

function flagsAt(index: MailboxIndex, i: number): string[] {
  const t = index.state.messages;
  return [...systemFlagNames(t.flags[i]!), ...index.state.keywords.namesOf(t.keywordsAt(i))].sort();
}

describe("crash: SIGKILL of a committing process", () => {
  it(`keeps every acknowledged transaction over ${KILLS} kills`, async () => {
    const random = prng(4242);
    /** Expected flags of every message after the last verified state. */
    let expected = new Map<number, string[]>();
    let totalAcked = 0;
    for (let k = 0; k < KILLS; k++) {
      const run = await runAndKill(k + 1, Math.floor(random() * 40));
      const index = await MailboxIndex.open(folder);
      try {
        expect(index.readOnly, JSON.stringify(index.recovery)).toBe(false);
        const seq = index.status().seq;
        expect(seq, `kill ${k}`).toBeGreaterThanOrEqual(run.acked);
        // Apply the child's transactions up to the recovered sequence number.
        for (const [s, txn] of [...run.txns].sort((a, b) => a[0] - b[0])) {
          if (s > seq) break;
          for (const u of txn.gone) expected.delete(u);
          for (const [u, flags] of txn.present) expected.set(u, flags);
        }
        const t = index.state.messages;
        const actual = new Map<number, string[]>();
        for (let i = 0; i < t.count; i++) actual.set(t.uids[i]!, flagsAt(index, i));
        expect(actual, `kill ${k}, recovered sequence ${seq}`).toEqual(expected);
        totalAcked += run.txns.size;
      } finally {
        await index.close();
      }
      if (k % 20 === 19) {
        const report = await verify(folder);
        expect(report.ok, JSON.stringify(report)).toBe(true);
      }
      expected = new Map(expected);
    }
    const report = await verify(folder);
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect(totalAcked).toBeGreaterThan(KILLS);
  }, 170_000);
});
