import { describe, expect, it } from "vitest";
import { compileSearch, type SearchKey, StoreInputError, type UserStore } from "../src/index.js";
import { withStore } from "./helpers/store.js";

const MESSAGES = [
  {
    text: [
      "From: Alice Example <alice@example.org>",
      "To: bob@example.org",
      "Cc: carol@example.org",
      "Subject: =?UTF-8?B?R3LDvMOfZQ==?= from Alice",
      "Date: Tue, 3 Jan 2023 10:00:00 +0100",
      "X-Tag: alpha",
      "",
      "Plain body mentions Zebra.",
      "",
    ].join("\r\n"),
    flags: ["\\Seen", "$Work"],
    date: Date.UTC(2023, 0, 3, 12),
  },
  {
    text: [
      "From: bob@example.org",
      "To: alice@example.org",
      "Bcc: hidden@example.org",
      "Subject: invoice",
      "Date: 15 Mar 2024 08:00:00 -0500",
      "MIME-Version: 1.0",
      'Content-Type: multipart/alternative; boundary="b1"',
      "",
      "--b1",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Total: 12 =E2=82=AC, caf=C3=A9",
      "--b1",
      "Content-Type: text/html",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from("<p>Secret HTML word</p>").toString("base64"),
      "--b1--",
      "",
    ].join("\r\n"),
    flags: ["\\Flagged", "\\Answered"],
    date: Date.UTC(2024, 2, 15, 12),
  },
  {
    text: ["From: carol@example.org", "Subject: draft", "", "x".repeat(3000), ""].join("\r\n"),
    flags: ["\\Draft", "\\Deleted"],
    date: Date.UTC(2025, 5, 1, 12),
  },
];

async function withMailbox(fn: (mb: UserStore) => Promise<void>): Promise<void> {
  await withStore(async (store) => {
    await store.users.add("alice", "pw");
    const mb = await store.mailboxes("alice");
    for (const m of MESSAGES) await mb.append("INBOX", m.text, { flags: m.flags, internalDate: m.date });
    await fn(mb);
  });
}

describe("search", () => {
  it("answers every key of the IMAP search grammar", async () => {
    await withMailbox(async (mb) => {
      const q = async (key: SearchKey) => (await mb.search("INBOX", key)).uids;
      const cases: [SearchKey, number[]][] = [
        [{ type: "all" }, [1, 2, 3]],
        [{ type: "flag", flag: "answered", set: true }, [2]],
        [{ type: "flag", flag: "answered", set: false }, [1, 3]],
        [{ type: "flag", flag: "deleted", set: true }, [3]],
        [{ type: "flag", flag: "flagged", set: true }, [2]],
        [{ type: "flag", flag: "seen", set: false }, [2, 3]],
        [{ type: "flag", flag: "draft", set: true }, [3]],
        [{ type: "keyword", keyword: "$work", set: true }, [1]],
        [{ type: "keyword", keyword: "$Work", set: false }, [2, 3]],
        [{ type: "recent" }, [1, 2, 3]],
        [{ type: "new" }, [2, 3]],
        [{ type: "old" }, []],
        [{ type: "larger", size: 1000 }, [3]],
        [{ type: "smaller", size: 1000 }, [1, 2]],
        [{ type: "before", date: "2024-03-15" }, [1]],
        [{ type: "on", date: "2024-03-15" }, [2]],
        [{ type: "since", date: "2024-03-15" }, [2, 3]],
        [{ type: "sentbefore", date: "2024-01-01" }, [1]],
        [{ type: "senton", date: "2024-03-15" }, [2]],
        [{ type: "sentsince", date: "2023-01-03" }, [1, 2]],
        [{ type: "from", value: "ALICE" }, [1]],
        [{ type: "to", value: "alice@" }, [2]],
        [{ type: "cc", value: "carol" }, [1]],
        [{ type: "bcc", value: "hidden" }, [2]],
        [{ type: "subject", value: "grüße" }, [1]],
        [{ type: "header", field: "X-Tag", value: "alp" }, [1]],
        [{ type: "header", field: "x-tag", value: "" }, [1]],
        [{ type: "header", field: "MIME-Version", value: "" }, [2]],
        [{ type: "body", value: "zebra" }, [1]],
        [{ type: "body", value: "12 €" }, [2]],
        [{ type: "body", value: "café" }, [2]],
        [{ type: "body", value: "secret html" }, [2]],
        [{ type: "body", value: "invoice" }, []],
        [{ type: "text", value: "invoice" }, [2]],
        [{ type: "uid", uids: "2:*" }, [2, 3]],
        [{ type: "uid", uids: 1 }, [1]],
        [{ type: "not", key: { type: "flag", flag: "seen", set: true } }, [2, 3]],
        [{ type: "or", left: { type: "uid", uids: [1] }, right: { type: "body", value: "html" } }, [1, 2]],
        [
          {
            type: "and",
            keys: [
              { type: "flag", flag: "seen", set: false },
              { type: "from", value: "example.org" },
            ],
          },
          [2, 3],
        ],
      ];
      for (const [key, expected] of cases) expect({ key, uids: await q(key) }).toEqual({ key, uids: expected });
    });
  });

  it("searches MODSEQ and returns the highest MODSEQ of the matches", async () => {
    await withMailbox(async (mb) => {
      const r = await mb.storeFlags("INBOX", 2, "add", ["$Later"]);
      const modseq = r.modified[0]!.modseq;
      const found = await mb.search("INBOX", { type: "modseq", modseq });
      expect(found.uids).toEqual([2]);
      expect(found.highestModseq).toBe(modseq);
    });
  });

  it("answers from index fields alone when it can (no blob is read)", async () => {
    await withMailbox(async (mb) => {
      // Remove every blob: keys decided by the index still work.
      const { rm } = await import("node:fs/promises");
      await rm(mb.blobs.dir, { recursive: true });
      expect((await mb.search("INBOX", { type: "flag", flag: "seen", set: true })).uids).toEqual([1]);
      const r = await mb.search("INBOX", { type: "body", value: "zebra" });
      expect(r.uids).toEqual([]);
      expect(r.damaged).toEqual([1, 2, 3]);
    });
  });

  it("refuses malformed keys with a typed error", () => {
    const bad = [
      { type: "nope" },
      { type: "before", date: "03-Jan-2023" },
      { type: "larger", size: -1 },
      { type: "keyword", keyword: "a b", set: true },
      { type: "uid", uids: "0" },
      { type: "header", field: "bad field", value: "" },
      { type: "and", keys: "x" },
    ];
    for (const k of bad) expect(() => compileSearch(k as SearchKey)).toThrow(StoreInputError);
    let deep: SearchKey = { type: "all" };
    for (let i = 0; i < 200; i++) deep = { type: "not", key: deep };
    expect(() => compileSearch(deep)).toThrow(StoreInputError);
  });
});
