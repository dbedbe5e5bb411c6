import type { MailboxChange } from "@holdfast/session";
import { describe, expect, it } from "vitest";
import { BackendError } from "../src/backend.js";
import { MailboxNames } from "../src/remote/mailbox-names.js";
import { MailboxTracker } from "../src/remote/mailbox-tracker.js";
import { incomingTtl, outgoingTtl } from "../src/remote/proxy-ttl.js";
import { saslPlain } from "../src/remote/sasl-plain.js";
import { encodeBodyStructure } from "../src/remote/wire-values.js";

/* The remote backend's pure pieces: name mapping, wire values, loop protection, the tracker. */

describe("MailboxNames", () => {
  const dot = new MailboxNames(".");
  it("maps / to the backend's delimiter and back, with modified UTF-7", () => {
    expect(dot.toBackend("Work/Projects")).toBe("Work.Projects");
    expect(dot.fromBackend("Work.Projects")).toBe("Work/Projects");
    expect(dot.toBackend("Entwürfe")).toBe("Entw&APw-rfe");
    expect(dot.fromBackend("Entw&APw-rfe")).toBe("Entwürfe");
    expect(dot.toBackend("inbox")).toBe("INBOX");
  });
  it("refuses a name the backend cannot hold and skips one the front end cannot show", () => {
    expect(() => dot.toBackend("v1.2/notes")).toThrow(BackendError);
    expect(dot.fromBackend("a/b")).toBe(null);
    expect(dot.fromBackend("&Jjo-bad&")).toBe(null);
    expect(new MailboxNames("/").toBackend("a/b")).toBe("a/b");
  });
});

describe("encodeBodyStructure", () => {
  it("writes multipart children back to back and quotes or literals strings", () => {
    const value = [
      ["text", "plain", ["charset", "utf-8"], null, null, "7bit", 12, 1],
      ["application", "octet-stream", null, null, null, "base64", 40],
      "mixed",
      ["boundary", "b1"],
    ];
    expect(encodeBodyStructure(value).toString()).toBe(
      '(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 1)("application" "octet-stream" NIL NIL NIL "base64" 40) "mixed" ("boundary" "b1"))',
    );
    expect(encodeBodyStructure(["a\r\nb", 'q"t']).toString()).toBe('({4}\r\na\r\nb "q\\"t")');
  });
});

describe("x-proxy-ttl", () => {
  it("reads the client's value and sends one less (or the start value)", () => {
    expect(incomingTtl(undefined)).toBe(null);
    expect(incomingTtl({ "X-Proxy-TTL": "3" })).toBe(3);
    expect(incomingTtl({ "x-proxy-ttl": "abc" })).toBe(null);
    expect(outgoingTtl({ "x-proxy-ttl": "3" }, 5)).toBe(2);
    expect(outgoingTtl({ "x-proxy-ttl": "9" }, 5)).toBe(5);
    expect(outgoingTtl({ name: "Thunderbird" }, 5)).toBe(5);
  });
});

describe("saslPlain", () => {
  it("encodes authzid NUL authcid NUL password and refuses NUL inside", () => {
    expect(Buffer.from(saslPlain("alice", "admin", "pw"), "base64").toString()).toBe("alice\0admin\0pw");
    expect(() => saslPlain("", "a\0b", "pw")).toThrow(TypeError);
  });
});

describe("MailboxTracker", () => {
  function tracker(uids: number[] | null) {
    const changes: MailboxChange[] = [];
    let asked = 0;
    const t = new MailboxTracker(
      { uidValidity: 7, highestUid: 30, exists: 3, highestModseq: 100n, uids },
      (c) => changes.push(c),
      () => asked++,
    );
    return { t, changes, asked: () => asked };
  }

  it("with QRESYNC: VANISHED → expunge, FETCH → flags, new UIDs held until the fetch completes", () => {
    const { t, changes, asked } = tracker(null);
    t.handle({ type: "VANISHED", earlier: false, uids: [{ start: 10, end: 10 }] });
    t.handle({ type: "VANISHED", earlier: true, uids: [{ start: 1, end: 5 }] }); // answers to our own queries
    t.handle({
      type: "FETCH",
      seq: 1,
      items: [
        { name: "UID", value: 20 },
        { name: "FLAGS", value: ["\\Seen"] },
        { name: "MODSEQ", value: 105n },
      ],
    });
    t.handle({ type: "EXISTS", count: 3 });
    expect(asked()).toBe(1);
    t.handle({
      type: "FETCH",
      seq: 3,
      items: [
        { name: "UID", value: 31 },
        { name: "FLAGS", value: [] },
        { name: "MODSEQ", value: 106n },
      ],
    });
    // Another message arrives while that fetch runs: one more fetch is asked for.
    t.handle({ type: "EXISTS", count: 4 });
    expect(asked()).toBe(1);
    t.takeNew();
    expect(asked()).toBe(2);
    // MODSEQs seen in FETCH never move the re-select point (only SELECT's HIGHESTMODSEQ).
    expect(t.syncedModseq).toBe(100n);
    expect(changes).toEqual([
      { kind: "expunge", uids: [10] },
      { kind: "flags", messages: [{ uid: 20, flags: ["\\Seen"], modseq: 105n }] },
      { kind: "append", messages: [{ uid: 31, flags: [], modseq: 106n }] },
    ]);
    expect(t.highestUid).toBe(31);
    t.takeNew(); // the second fetch found nothing more
    expect(asked()).toBe(2);
    expect(changes.length).toBe(3);
  });

  it("without QRESYNC: EXPUNGE and FETCH by sequence number go through the UID list", () => {
    const { t, changes } = tracker([10, 20, 30]);
    t.handle({ type: "FETCH", seq: 3, items: [{ name: "FLAGS", value: ["\\Flagged"] }] });
    t.handle({ type: "EXPUNGE", seq: 2 });
    t.handle({ type: "EXPUNGE", seq: 1 });
    expect(t.uids).toEqual([30]);
    expect(changes).toEqual([
      { kind: "flags", messages: [{ uid: 30, flags: ["\\Flagged"] }] },
      { kind: "expunge", uids: [20] },
      { kind: "expunge", uids: [10] },
    ]);
  });
});
