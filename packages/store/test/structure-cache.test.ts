import { readFile, rm, writeFile } from "node:fs/promises";
import { body, bodystructure, buildEnvelope, parseMessage, serializeEnvelope } from "@holdfast/mime";
import { describe, expect, it } from "vitest";
import { message, withStore } from "./helpers/store.js";

const MULTIPART = [
  "From: a@example.org",
  "Subject: parts",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="xx"',
  "",
  "--xx",
  "Content-Type: text/plain; charset=us-ascii",
  "",
  "hello",
  "--xx",
  "Content-Type: application/octet-stream; name=a.bin",
  "Content-Transfer-Encoding: base64",
  "",
  "AAECAw==",
  "--xx--",
  "",
].join("\r\n");

describe("structure cache", () => {
  it("computes BODYSTRUCTURE, BODY and ENVELOPE once and serves them from memory, then file", async () => {
    await withStore(async (store) => {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      const { guid } = await mb.append("INBOX", MULTIPART);
      const parsed = parseMessage(Buffer.from(MULTIPART, "latin1"));
      const s1 = await mb.structure("INBOX", 1);
      expect(s1.bodystructure).toBe(bodystructure(parsed.bytes, parsed.root));
      expect(s1.body).toBe(body(parsed.bytes, parsed.root));
      expect(s1.envelope).toBe(serializeEnvelope(buildEnvelope(parsed.bytes, parsed.root.header.fields)));
      expect(s1.size).toBe(Buffer.byteLength(MULTIPART));
      expect(mb.structures.stats.computed).toBe(1);
      await mb.structure("INBOX", 1);
      expect(mb.structures.stats.memoryHits).toBe(1);
      mb.structures.clearMemory();
      expect(await mb.structure("INBOX", 1)).toEqual(s1);
      expect(mb.structures.stats.fileHits).toBe(1);
      expect(mb.structures.stats.computed).toBe(1);

      // A damaged entry fails its checksum and is recomputed (and rewritten).
      const path = mb.structures.pathOf(guid);
      const bytes = await readFile(path);
      bytes[20]! ^= 0x20;
      await writeFile(path, bytes);
      mb.structures.clearMemory();
      expect(await mb.structure("INBOX", 1)).toEqual(s1);
      expect(mb.structures.stats.damaged).toBe(1);
      expect(mb.structures.stats.computed).toBe(2);
      mb.structures.clearMemory();
      await mb.structure("INBOX", 1);
      expect(mb.structures.stats.fileHits).toBe(2);

      // The cache is rebuildable: delete it and the answer is the same.
      await rm(mb.structures.dir, { recursive: true });
      mb.structures.clearMemory();
      expect(await mb.structure("INBOX", 1)).toEqual(s1);
    });
  });

  it("counts RFC822.SIZE with bare LF as CRLF and shares entries between copies", async () => {
    await withStore(async (store) => {
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      await mb.append("INBOX", "Subject: lf\n\nline\n");
      expect((await mb.structure("INBOX", 1)).size).toBe("Subject: lf\r\n\r\nline\r\n".length);
      await mb.append("INBOX", message("shared"));
      await mb.copy("INBOX", 2, "Archive");
      const a = await mb.structure("INBOX", 2);
      const b = await mb.structure("Archive", 1);
      expect(b).toEqual(a);
      expect(mb.structures.stats.computed).toBe(2);
    });
  });
});
