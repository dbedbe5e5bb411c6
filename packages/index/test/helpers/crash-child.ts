/*
 * Child process of the SIGKILL crash test. Once the parent writes a line to its stdin, opens
 * the mailbox in argv[2] and commits random transactions until it is killed. Before each
 * commit's I/O starts it prints
 *   T <seq> <json>   the transaction's intended result (appended, changed, expunged UIDs)
 * and once the commit has resolved (durable)
 *   A <seq>
 * stdout is a pipe, and pipe writes are synchronous in Node on Linux, so a printed line
 * survives the kill.
 */
import { initChecksum } from "@holdfast/checksum";
import { MailboxIndex, systemFlagNames } from "../../src/index.js";
import { message, prng } from "./mailbox.js";
import { FLAG_POOL } from "./model.js";

const folder = process.argv[2]!;
const random = prng(Number(process.argv[3] ?? 1));

function flagsOf(index: MailboxIndex, uid: number): string[] {
  const t = index.state.messages;
  const i = t.indexOf(uid);
  return [...systemFlagNames(t.flags[i]!), ...index.state.keywords.namesOf(t.keywordsAt(i))].sort();
}

/**
 * Resolves when the parent writes a line to stdin: it starts this process ahead of its turn
 * and lets it open the mailbox only once the previous child is killed and checked. Exits
 * when stdin ends first (the parent is gone or gave up on this child).
 */
function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => {
      if (chunk.includes("\n")) resolve();
    });
    process.stdin.on("end", () => process.exit(0));
  });
}

await initChecksum();
await waitForGo();
const index = await MailboxIndex.open(folder, { create: true, uidValidity: 99, autoCheckpointBytes: 16 * 1024 });
process.stdout.write("READY\n");
const t = index.state.messages;
for (;;) {
  const concurrent = random() < 0.3 ? 4 : 1;
  const commits: Promise<unknown>[] = [];
  for (let c = 0; c < concurrent; c++) {
    const tx = index.transaction();
    const uids = Array.from(t.uids.subarray(0, t.count));
    const pick = () => FLAG_POOL.filter(() => random() < 0.3);
    const r = random();
    let touched: number[] = [];
    if (r < 0.4 || uids.length < 5) {
      touched = [index.state.uidNext];
      tx.append(message(index.state.uidNext, pick()));
    } else if (r < 0.9) {
      touched = uids.filter(() => random() < 0.1);
      tx.store(touched, (["add", "remove", "replace"] as const)[Math.floor(random() * 3)]!, pick());
    } else {
      touched = uids.filter(() => random() < 0.05);
      if (touched.length > 0) tx.expunge(touched);
    }
    const before = index.state.seq;
    const done = tx.commit();
    const seq = index.state.seq;
    if (seq !== before) {
      // The result, read from the in-memory state the commit was just applied to.
      const present = touched.filter((u) => t.indexOf(u) >= 0).map((u) => [u, flagsOf(index, u)]);
      const gone = touched.filter((u) => t.indexOf(u) < 0);
      process.stdout.write(`T ${seq} ${JSON.stringify({ present, gone })}\n`);
    }
    commits.push(
      done.then((res) => {
        if (res.seq !== 0) process.stdout.write(`A ${res.seq}\n`);
      }),
    );
  }
  await Promise.all(commits);
}
