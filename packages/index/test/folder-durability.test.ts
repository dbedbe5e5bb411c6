import { initChecksum } from "@holdfast/checksum";
import { beforeAll, describe, expect, it } from "vitest";
import { MailboxIndex } from "../src/index.js";
import { FaultFs } from "./helpers/fault-fs.js";
import { message } from "./helpers/mailbox.js";

/*
 * Defect 6 of the review: creating a mailbox made its files durable (fsync of the mailbox
 * folder) but not the folder itself, whose name lives in its parent: a power cut could take
 * the whole mailbox, acknowledged commits included. The fault layer keeps a folder's new
 * names only when that very folder is fsynced.
 */

beforeAll(() => initChecksum());

describe("creating a mailbox folder", () => {
  it("makes the new folders durable: a power cut right after the first commit keeps it", async () => {
    const fs = new FaultFs();
    const index = await MailboxIndex.open("/data/alice/mbox", { fs, create: true, uidValidity: 4 });
    await index
      .transaction()
      .append(message(1, ["\\Seen"]))
      .commit();
    // The harshest cut: nothing that was not made durable survives.
    const image = fs.crashImage(() => 0);
    expect([...image.files.keys()]).toContain("/data/alice/mbox/log");
    const after = await MailboxIndex.open("/data/alice/mbox", { fs: new FaultFs(image) });
    expect(after.status()).toMatchObject({ uidValidity: 4, messages: 1 });
    await after.close();
  });
});
