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
/**
 * Children started ahead of their turn. Start-up (Node, module loading, the checksum WASM)
 * took ~300 ms of each turn on a loaded machine, against ~40 ms of work and ~50 ms of
 * checking; with a few started ahead it is off the critical path.
 */
const AHEAD = 2;

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
/** Children started for the next turns (killed if the test ends before their turn). */
const waiting: WaitingChild[] = [];
afterAll(async () => {
  for (const child of waiting) child.kill();
  await cleanup();
});

interface Run {
  txns: Map<number, { present: [number, string[]][]; gone: number[] }>;
  acked: number;
}

/**
 * A child process, started ahead of its turn: Node's start-up and the module loading run
 * while the previous child works and the parent checks what it left. It touches nothing in
 * the folder until `go` (it waits for a line on its stdin), so the mailbox it opens is the
 * one the parent has just checked and closed. `go(ms)`: let it open the mailbox, work for
 * `ms` after it is ready, SIGKILL it; resolves with the lines it printed.
 */
interface WaitingChild {
  go(ms: number): Promise<Run>;
  kill(): void;
}

function startChild(seed: number): WaitingChild {
  const child = spawn(process.execPath, [join(build, "test", "helpers", "crash-child.js"), folder, String(seed)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const run: Run = { txns: new Map(), acked: 0 };
  let buffer = "";
  let stderr = "";
  let killAfter = 0;
  let timer: NodeJS.Timeout | undefined;
  let guard: NodeJS.Timeout | undefined;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line === "READY") timer = setTimeout(() => child.kill("SIGKILL"), killAfter);
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
  child.stdin.on("error", () => undefined); // a child that died early: its close reports it
  // "close", not "exit": it comes after stdout is drained, so no printed line is missed
  // (on a loaded machine "exit" can come before the last lines were read).
  const closed = new Promise<Run>((resolve, reject) => {
    child.on("close", (_code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      if (signal !== "SIGKILL") reject(new Error(`child exited without being killed: ${stderr}`));
      else resolve(run);
    });
  });
  closed.catch(() => undefined); // observed through go(); a child never let go is just killed
  return {
    go(ms) {
      killAfter = ms;
      guard = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.stdin.write("GO\n");
      return closed;
    },
    kill() {
      child.kill("SIGKILL");
    },
  };
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
    let started = 0;
    const refill = () => {
      while (waiting.length < AHEAD && started < KILLS) waiting.push(startChild(++started));
    };
    refill();
    for (let k = 0; k < KILLS; k++) {
      const child = waiting.shift()!; // started with seed k + 1
      refill();
      const run = await child.go(Math.floor(random() * 40));
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
