import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type IndexFs, MailboxIndex, nodeFs, verify } from "../src/index.js";
import { message, tempFolder } from "./helpers/mailbox.js";

/*
 * Defect 7 of the review: verify takes no lock, so a checkpoint running while it read the
 * three files could make it report differences that were never there (a log read before a
 * rotation beside a snapshot read after it). The file layer given to verify here runs a
 * commit and a checkpoint right after verify's first read of the log.
 */

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempFolder()));
afterEach(() => cleanup());

describe("verify beside a running writer", () => {
  it("a checkpoint between its reads does not make it report a difference", async () => {
    const index = await MailboxIndex.open(dir, { create: true, autoCheckpointBytes: 0 });
    for (let i = 1; i <= 30; i++) await index.transaction().append(message(i)).commit();
    await index.checkpoint();
    await index.transaction().store("1:10", "add", ["\\Seen"]).commit();
    await index.checkpoint();
    await index.transaction().expunge("3:5").commit();

    // The log is read first; the checkpoint runs right after; snapshot and backup are read
    // only after it, whatever order verify asks for them in.
    let checkpointDone!: () => void;
    const checkpointed = new Promise<void>((resolve) => (checkpointDone = resolve));
    let hooked = false;
    const fs: IndexFs = {
      ...nodeFs,
      async readFile(path) {
        if (path.endsWith("/log") && !hooked) {
          hooked = true;
          const data = await nodeFs.readFile(path);
          await index.transaction().store("20:25", "add", ["\\Flagged"]).commit();
          await index.checkpoint();
          checkpointDone();
          return data;
        }
        await checkpointed;
        return nodeFs.readFile(path);
      },
    };
    const report = await verify(dir, { fs });
    expect(hooked).toBe(true);
    expect(report.differences).toEqual([]);
    expect(report.ok).toBe(true);
    await index.close();
  });
});
