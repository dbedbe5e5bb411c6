import { initChecksum } from "@holdfast/checksum";
import { beforeAll, describe, expect, it } from "vitest";
import { MailboxIndex, verify } from "../src/index.js";
import { FaultFs, type FaultFsImage, PowerCut } from "./helpers/fault-fs.js";
import { prng } from "./helpers/mailbox.js";
import { indexKey, Model, randomTransaction } from "./helpers/model.js";

/*
 * Crash test 2: the real index over a file layer that loses power. Each cycle opens the
 * mailbox (recovering from the previous cut), commits random transactions — sequentially
 * and several at once — with small checkpoints mixed in, until the power is cut at a random
 * operation. The disk image that survives keeps a random part of everything not synced.
 * Every few cycles the power is cut again during the recovery itself. After each cut the
 * mailbox must open writable, hold every acknowledged transaction, and equal the model
 * state of exactly one transaction prefix.
 */

const DIR = "/mbox";
/** Recent events, printed when an assertion fails. */
const events: string[] = [];
function note(event: string): void {
  events.push(event);
  if (events.length > 200) events.splice(0, 100);
}
const CUTS = Number(process.env.HOLDFAST_POWER_CUTS ?? 1000);

beforeAll(() => initChecksum());

interface Ledger {
  /** Model state after each transaction sequence number. */
  models: Map<number, Model>;
  /** Highest acknowledged sequence number. */
  acked: number;
  uidNextAt: Map<number, number>;
}

async function runUntilCut(fs: FaultFs, ledger: Ledger, model: Model, random: () => number): Promise<boolean> {
  let index: MailboxIndex;
  try {
    index = await MailboxIndex.open(DIR, {
      fs,
      create: true,
      uidValidity: 7,
      autoCheckpointBytes: 1500 + Math.floor(random() * 3000),
    });
  } catch (error) {
    if (error instanceof PowerCut) return true;
    throw error;
  }
  try {
    for (let round = 0; round < 40; round++) {
      const concurrent = random() < 0.3 ? 2 + Math.floor(random() * 5) : 1;
      const commits: Promise<unknown>[] = [];
      for (let c = 0; c < concurrent; c++) {
        const tx = randomTransaction(index, model, random);
        const before = index.status().seq;
        const promise = tx.commit();
        const seq = index.status().seq;
        // A new sequence number means the transaction was applied; a refused commit (power
        // already off) or a no-op leaves the number, and the ledger, as they were.
        if (seq !== before) {
          ledger.models.set(seq, model.clone());
          ledger.uidNextAt.set(seq, index.status().uidNext);
        }
        commits.push(
          promise.then(() => {
            note(`ack ${seq} (before ${before})`);
            ledger.acked = Math.max(ledger.acked, seq);
          }),
        );
      }
      const results = await Promise.allSettled(commits);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
      if (random() < 0.05) {
        note("checkpoint");
        await index.checkpoint();
      }
    }
    await index.close();
    return false;
  } catch (error) {
    if (error instanceof PowerCut || fs.isCut) return true;
    throw error;
  }
}

describe("power cut (fault-injecting file layer)", () => {
  it(`loses no acknowledged transaction over ${CUTS} cuts, including cuts during recovery`, async () => {
    const random = prng(20261128);
    let image: FaultFsImage = { files: new Map() };
    const ledger: Ledger = { models: new Map([[0, new Model()]]), acked: 0, uidNextAt: new Map([[0, 1]]) };
    let cuts = 0;
    let recoveryCuts = 0;
    let cycles = 0;
    let lastUidNext = 1;
    const seen = new Set<string>();
    while (cuts < CUTS) {
      cycles++;
      // The state after recovery decides which model prefix the next cycle continues from.
      let fs = new FaultFs(image);
      if (cycles > 1 && random() < 0.35) {
        // Cut the power in the middle of recovery, then recover again.
        fs.cutAfter(1 + Math.floor(random() * 14));
        try {
          const during = await MailboxIndex.open(DIR, { fs });
          await during.close();
        } catch (error) {
          if (!(error instanceof PowerCut)) throw error;
        }
        if (fs.isCut) {
          recoveryCuts++;
          cuts++;
          image = fs.crashImage(random);
          fs = new FaultFs(image);
        } else {
          image = fs.cleanImage();
          fs = new FaultFs(image);
        }
      }
      let model: Model;
      if (image.files.size === 0) {
        model = new Model();
      } else {
        const index = await MailboxIndex.open(DIR, { fs });
        expect(index.readOnly, JSON.stringify(index.recovery)).toBe(false);
        const seq = index.status().seq;
        seen.add(index.recovery.log.tail.kind);
        if (index.recovery.actions.length > 0) seen.add("repair");
        expect(
          seq,
          `cycle ${cycles}: ${JSON.stringify(index.recovery)} ${events.slice(-40).join("; ")}`,
        ).toBeGreaterThanOrEqual(ledger.acked);
        const expected = ledger.models.get(seq);
        expect(expected, `no model for sequence ${seq}`).toBeDefined();
        const actualKey = await indexKey(index);
        if (actualKey !== expected!.key()) {
          const a = new Set(actualKey.split(","));
          const b = new Set(expected!.key().split(","));
          const onlyIndex = [...a].filter((x) => !b.has(x));
          const onlyModel = [...b].filter((x) => !a.has(x));
          expect.fail(
            `cycle ${cycles} seq ${seq} acked ${ledger.acked}: index has ${onlyIndex.join(" | ")}; model has ${onlyModel.join(" | ")}; recovery ${JSON.stringify(index.recovery)}`,
          );
        }
        const uidNext = index.status().uidNext;
        expect(uidNext).toBeGreaterThanOrEqual(lastUidNext);
        lastUidNext = uidNext;
        await index.close();
        image = fs.cleanImage();
        if (cycles % 50 === 0) {
          const report = await verify(DIR, { fs: new FaultFs(image) });
          expect(report.ok, JSON.stringify(report)).toBe(true);
        }
        model = expected!.clone();
        // Transactions after `seq` did not survive: forget them (their numbers get reused).
        for (const k of [...ledger.models.keys()]) if (k > seq) ledger.models.delete(k);
        ledger.acked = seq;
      }
      fs = new FaultFs(image);
      const cutAt = 1 + Math.floor(random() * 80);
      fs.cutAfter(cutAt);
      note(`cycle ${cycles} run, cut after ${cutAt}`);
      const cut = await runUntilCut(fs, ledger, model, random);
      note(`cut ${cut} at op ${fs.operations}`);
      image = cut ? fs.crashImage(random) : fs.cleanImage();
      if (cut) cuts++;
    }
    expect(recoveryCuts).toBeGreaterThan(100);
    // The cuts produced every kind of leftover the recovery has to handle.
    expect([...seen].sort()).toEqual(["clean", "corrupt-tail", "repair", "torn"]);
  }, 170_000);
});
