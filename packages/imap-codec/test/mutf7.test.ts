import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  decodeMailboxUtf7,
  encodeMailboxUtf7,
  isValidMailboxUtf7,
  MailboxNameError,
  mailboxNameFromWire,
  mailboxNameToWire,
  validateUtf8MailboxName,
} from "../src/index.js";

describe("modified UTF-7 (RFC 3501 5.1.3)", () => {
  test.each([
    ["~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"],
    ["&", "&-"],
    ["Tom & Jerry", "Tom &- Jerry"],
    ["Entwürfe", "Entw&APw-rfe"],
    ["INBOX", "INBOX"],
    ["", ""],
    ["😀", "&2D3eAA-"],
    ["a\tb", "a&AAk-b"],
  ])("%j ↔ %j", (name, wire) => {
    expect(encodeMailboxUtf7(name)).toBe(wire);
    expect(decodeMailboxUtf7(wire)).toBe(name);
  });

  test.each([
    ["&U,BTFw", "unterminated"],
    ["ü", "must be encoded"],
    ["&AGE-", "printable ASCII"],
    ["&2D0-", "surrogate"],
    ["&2D3YAA-", "surrogate"],
    ["&3gA-", "surrogate"],
    ["&A!-", "not modified base64"],
    ["&AP-", "padding"],
  ])("rejects %j (%s)", (wire, why) => {
    expect(() => decodeMailboxUtf7(wire)).toThrow(MailboxNameError);
    expect(() => decodeMailboxUtf7(wire)).toThrow(new RegExp(why));
    expect(isValidMailboxUtf7(wire)).toBe(false);
  });

  test("any Unicode name round-trips and encodes to printable ASCII", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), (name) => {
        const wire = encodeMailboxUtf7(name);
        expect(wire).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeMailboxUtf7(wire)).toBe(name);
      }),
      { numRuns: 500 },
    );
  });
});

describe("UTF8=ACCEPT rules (RFC 6855)", () => {
  test("valid names pass unchanged", () => {
    expect(mailboxNameFromWire("Entwürfe", true)).toBe("Entwürfe");
    expect(mailboxNameToWire("Entwürfe", true)).toBe("Entwürfe");
    expect(mailboxNameToWire("Entwürfe", false)).toBe("Entw&APw-rfe");
    expect(mailboxNameFromWire("Entw&APw-rfe", false)).toBe("Entwürfe");
    // with UTF8=ACCEPT an "&" is just an ampersand
    expect(mailboxNameFromWire("Entw&APw-rfe", true)).toBe("Entw&APw-rfe");
  });

  test("control characters, unnormalised text and lone surrogates are refused", () => {
    expect(() => validateUtf8MailboxName("a\u0001b")).toThrow(/control/);
    expect(() => validateUtf8MailboxName("a\u0085b")).toThrow(/control/);
    expect(() => validateUtf8MailboxName("Entwu\u0308rfe")).toThrow(/NFC/);
    expect(() => validateUtf8MailboxName("a\ud800")).toThrow(/surrogate/);
  });
});
