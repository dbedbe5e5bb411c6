import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MailboxIndex, verify } from "../src/index.js";
import { message, tempFolder } from "./helpers/mailbox.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempFolder()));
afterEach(() => cleanup());

describe("smoke", () => {
  it("creates, appends, stores, expunges, checkpoints and reopens", async () => {
    const index = await MailboxIndex.open(dir, { create: true, uidValidity: 42 });
    const r1 = await index
      .transaction()
      .append(message(1))
      .append(message(2, ["\\Seen", "$Junk"]))
      .commit();
    expect(r1.appended).toEqual([1, 2]);
    const r2 = await index.transaction().store("1:*", "add", ["\\Flagged"]).commit();
    expect(r2.modified.map((m) => m.uid)).toEqual([1, 2]);
    await index.checkpoint();
    await index.transaction().expunge([1]).commit();
    const before = index.status();
    await index.close();
    const again = await MailboxIndex.open(dir);
    expect(again.status()).toEqual(before);
    expect(again.recovery.clean).toBe(true);
    await again.close();
    const report = await verify(dir);
    expect(report.ok).toBe(true);
  });
});
