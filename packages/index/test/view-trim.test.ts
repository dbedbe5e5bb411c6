import { afterEach, describe, expect, it } from "vitest";
import { MailboxIndex, type ReadView } from "../src/index.js";
import { ViewPositions } from "../src/view-positions.js";
import { message, prng, tempFolder } from "./helpers/mailbox.js";

let cleanup: (() => Promise<void>) | undefined;
let index: MailboxIndex | undefined;
afterEach(async () => {
  await index?.close();
  await cleanup?.();
  index = undefined;
});

/** The model's view of one open read view: the UIDs it must show after its next sync. */
interface Live {
  view: ReadView;
  uids: number[];
}

describe("journal trimming with many read views", () => {
  it("never trims past an open view's position, and trims up to the lowest one", async () => {
    let dir: string;
    ({ dir, cleanup } = await tempFolder());
    index = await MailboxIndex.open(dir, { create: true, uidValidity: 5, fsync: "never" });
    const random = prng(20261128);
    const live: Live[] = [];
    let present: number[] = [];
    let nextUid = 1;
    for (let step = 0; step < 600; step++) {
      const r = random();
      if (r < 0.25 || live.length === 0) {
        const view = await index.view();
        live.push({ view, uids: [...present] });
      } else if (r < 0.45) {
        // Close a random view: often the one furthest behind, whose position is the minimum.
        const k = random() < 0.5 ? 0 : Math.floor(random() * live.length);
        live.splice(k, 1)[0]!.view.close();
      } else if (r < 0.65) {
        const [l] = live.splice(Math.floor(random() * live.length), 1);
        const result = l!.view.sync(); // throws ViewExpiredError if its changes were trimmed
        const expected = present;
        expect([...l!.view.uids()]).toEqual(expected);
        expect(result.count).toBe(expected.length);
        live.push({ view: l!.view, uids: [...present] });
      } else if (r < 0.85 || present.length === 0) {
        await index.transaction().append(message(nextUid)).commit();
        present = [...present, nextUid++];
      } else {
        const uid = present[Math.floor(random() * present.length)]!;
        await index.transaction().expunge([uid]).commit();
        present = present.filter((u) => u !== uid);
      }
      // Every open view can still be brought up to date ...
      for (const l of live) expect(index.changesSince(l.view.cursor), `view at ${l.view.cursor}`).toBeDefined();
      // ... and nothing before the lowest of them is kept.
      const lowest = Math.min(index.journalEnd(), ...live.map((l) => l.view.cursor));
      if (lowest > 0) expect(index.changesSince(lowest - 1)).toBeUndefined();
    }
    for (const l of live) {
      l.view.sync();
      expect([...l.view.uids()]).toEqual(present);
      l.view.close();
    }
    // With no view open the whole journal is released.
    expect(index.changesSince(index.journalEnd() - 1)).toBeUndefined();
  });

  it("closing views in any order keeps the rest of them working", async () => {
    let dir: string;
    ({ dir, cleanup } = await tempFolder());
    index = await MailboxIndex.open(dir, { create: true, uidValidity: 5, fsync: "never" });
    const views: ReadView[] = [];
    for (let i = 1; i <= 5; i++) {
      views.push(await index.view());
      await index.transaction().append(message(i)).commit();
    }
    // views[k] has seen k messages; close the middle one, then the oldest.
    views[2]!.close();
    views[0]!.close();
    expect(views[1]!.sync().appended).toEqual([2, 3, 4, 5]);
    expect(views[3]!.sync().appended).toEqual([4, 5]);
    expect(views[4]!.sync().appended).toEqual([5]);
  });
});

describe("ViewPositions", () => {
  it("gives the lowest open position as views open, move and close", () => {
    const p = new ViewPositions();
    expect(p.min(7)).toBe(7);
    p.add(3);
    p.add(3);
    p.add(5);
    expect(p.min(9)).toBe(3);
    p.move(3, 9);
    expect(p.min(9)).toBe(3); // one view is still at 3
    p.remove(3);
    expect(p.min(9)).toBe(5);
    p.remove(5);
    expect(p.min(9)).toBe(9);
    expect(p.size).toBe(1);
    p.remove(9);
    expect(p.size).toBe(0);
    expect(p.min(12)).toBe(12);
    p.add(12);
    expect(p.min(20)).toBe(12);
  });
});
