import { rm } from "node:fs/promises";
import { expect, it } from "vitest";
import { Store } from "../src/index.js";
import { TEST_SCRYPT, tempDir } from "./helpers/store.js";

// The README example, as written there (with a temp folder and cheap scrypt).
it("runs the README example", async () => {
  const dir = await tempDir();
  const logged: unknown[] = [];
  const console = { log: (...args: unknown[]) => logged.push(args) };

  const store = await Store.open(dir, { scrypt: TEST_SCRYPT });
  await store.users.add("alice@example.org", "correct horse battery staple");
  if (!(await store.users.authenticate("Alice@Example.org", "correct horse battery staple"))) throw new Error("no");

  const mail = await store.mailboxes("alice@example.org"); // INBOX, Sent, Drafts, Trash, Junk, Archive
  const { uid, uidValidity } = await mail.append("INBOX", "Subject: hi\r\n\r\nHello\r\n", { flags: ["\\Seen"] });

  const inbox = await mail.select("INBOX"); // a session: view + change feed
  inbox.subscribe((changes) => console.log("EXISTS/EXPUNGE/FETCH material", changes));
  await mail.storeFlags("INBOX", [uid], "add", ["\\Flagged"]); // reaches every session of INBOX
  const hits = await inbox.search({
    type: "and",
    keys: [
      { type: "flag", flag: "flagged", set: true },
      { type: "body", value: "hello" },
    ],
  });
  const bytes = await inbox.readMessage(uid); // verified against its hash
  const { bodystructure, envelope } = await inbox.structure(uid); // from the structure cache
  await mail.move("INBOX", hits.uids, "Archive");
  console.log(await mail.status("Archive"), uidValidity, bytes.length, bodystructure, envelope);
  await store.close();

  expect(hits.uids).toEqual([uid]);
  expect(logged.length).toBeGreaterThanOrEqual(2);
  const last = logged[logged.length - 1] as unknown[];
  expect(last[0]).toMatchObject({ messages: 1 });
  expect(last[3]).toBe('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL)');
  await rm(dir, { recursive: true, force: true });
});
