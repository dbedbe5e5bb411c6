import { initChecksum } from "@holdfast/checksum";
import { beforeAll, describe, expect, it } from "vitest";
import { IndexClosedError, MailboxIndex, verify } from "../src/index.js";
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
 * state of exactly one transaction prefix. Some cycles also get an fsync failing with EIO;
 * after one, the mailbox is reopened on the same machine (page cache intact) and must hold
 * exactly the acknowledged transactions. The fault layer makes a folder's names durable
 * only by an fsync of that folder, so the mailbox folder itself must be made durable too.
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

/** Stats of the whole run, checked at the end. */
const counts = { syncFailures: 0 };

function isSyncFailure(error: unknown): boolean {
  return error instanceof IndexClosedError || (error as { code?: string } | undefined)?.code === "EIO";
}

async function runUntilCut(fs: FaultFs, ledger: Ledger, model: Model, random: () => number): Promise<boolean> {
  // Some cycles also get an fsync that fails with EIO (as a disk reports a writeback
  // error): the commits it covers must be refused, and a reopen on the same "boot" (the
  // page cache still holding whatever the failed writes left) must show exactly the
  // acknowledged ones — nothing lost, nothing refused brought back.
  if (random() < 0.3) fs.failSyncAfter(1 + Math.floor(random() * 6));
  let afterFailure = false;
  for (;;) {
    let index: MailboxIndex;
    try {
      index = await MailboxIndex.open(DIR, {
        fs,
        create: true,
        uidValidity: 7,
        autoCheckpointBytes: 1500 + Math.floor(random() * 3000),
      });
    } catch (error) {
      if (error instanceof PowerCut || fs.isCut) return true;
      if (isSyncFailure(error)) continue; // the reopen's own rewrite failed: open again
      throw error;
    }
    if (afterFailure) {
      // After a sync failure: the state is exactly the last acknowledged transaction.
      const seq = index.status().seq;
      if (seq !== ledger.acked) expect.fail(`reopen after EIO: seq ${seq}, acknowledged ${ledger.acked}`);
      const key = await indexKey(index);
      expect(key, "reopen after EIO").toBe(ledger.models.get(seq)!.key());
      model.uidNext = index.status().uidNext;
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
      if (!isSyncFailure(error)) throw error;
      // EIO: no commit after the last acknowledged one may count. Close (the index is
      // poisoned and keeps its files as they are) and open again on the same machine.
      counts.syncFailures++;
      afterFailure = true;
      note(`EIO after ack ${ledger.acked}`);
      await index.close().catch(() => undefined);
      for (const k of [...ledger.models.keys()]) if (k > ledger.acked) ledger.models.delete(k);
      const base = ledger.models.get(ledger.acked)!;
      model.messages = base.clone().messages;
      model.uidNext = base.uidNext;
    }
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
        // Nothing survived: only allowed while nothing was acknowledged (the folder itself
        // is made durable before the first commit).
        expect(ledger.acked, "the mailbox folder vanished with acknowledged commits").toBe(0);
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
        // Recovery may move UIDNEXT past a batch it could not read: the model follows.
        model.uidNext = uidNext;
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
    expect(counts.syncFailures).toBeGreaterThan(50);
    // The cuts produced every kind of leftover the recovery has to handle.
    expect([...seen].sort()).toEqual(["clean", "corrupt-tail", "repair", "torn"]);
  }, 170_000);
});
