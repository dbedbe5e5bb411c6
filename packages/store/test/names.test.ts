import { describe, expect, it } from "vitest";
import { canonicalMailboxName, canonicalUsername, StoreInputError, userFolderName } from "../src/index.js";
import { withStore } from "./helpers/store.js";

describe("user names", () => {
  it("folds case and maps to a safe folder name", () => {
    expect(canonicalUsername("Alice@Example.ORG")).toBe("alice@example.org");
    expect(userFolderName("Alice@Example.ORG")).toBe("alice@example.org");
    expect(userFolderName("jörg")).toBe("j%C3%B6rg");
    expect(userFolderName(".hidden")).toBe("%2Ehidden");
    expect(userFolderName("a%b")).toBe("a%25b");
  });

  it.each([
    ["empty", ""],
    ["traversal", "../x"],
    ["dots", ".."],
    ["slash", "a/b"],
    ["absolute", "/etc/passwd"],
    ["backslash", "a\\b"],
    ["NUL", "a\0b"],
    ["control", "a\nb"],
    ["space", "a b"],
    ["overlong", "x".repeat(129)],
    ["lone surrogate", "a\ud800"],
  ])("refuses %s", (_what, name) => {
    expect(() => canonicalUsername(name)).toThrow(StoreInputError);
    expect(() => userFolderName(name)).toThrow(StoreInputError);
  });

  it("never produces a folder name with a separator or a leading dot", () => {
    for (const n of ["a.b", "x@y", "ü", "a+b", "a-b", "~q", "é.é"]) {
      const f = userFolderName(n);
      expect(f).not.toContain("/");
      expect(f.startsWith(".")).toBe(false);
      expect(/^[a-z0-9._@+%A-F-]+$/.test(f)).toBe(true);
    }
  });
});

describe("mailbox names", () => {
  it("canonicalises INBOX in any case and keeps other names", () => {
    expect(canonicalMailboxName("inbox")).toBe("INBOX");
    expect(canonicalMailboxName("InBoX/Sub")).toBe("INBOX/Sub");
    expect(canonicalMailboxName("Work/Projects")).toBe("Work/Projects");
    expect(canonicalMailboxName("Entwürfe")).toBe("Entwürfe");
  });

  it.each([
    ["empty", ""],
    ["parent traversal", "../x"],
    ["inner traversal", "a/../b"],
    ["dot", "./a"],
    ["absolute", "/etc"],
    ["trailing slash", "a/"],
    ["double slash", "a//b"],
    ["NUL", "a\0b"],
    ["control", "a\rb"],
    ["wildcard *", "a*"],
    ["wildcard %", "a%"],
    ["overlong", "x".repeat(1001)],
    ["overlong component", "x".repeat(256)],
    ["too deep", Array(33).fill("a").join("/")],
  ])("refuses %s", (_what, name) => {
    expect(() => canonicalMailboxName(name)).toThrow(StoreInputError);
  });

  it("refuses unsafe names at every entry point of the store", async () => {
    await withStore(async (store) => {
      for (const bad of ["../x", "/abs", "a\0b", "x".repeat(2000)]) {
        await expect(store.users.add(bad, "pw")).rejects.toThrow(StoreInputError);
      }
      await store.users.add("alice", "pw");
      const mb = await store.mailboxes("alice");
      for (const bad of ["../x", "/abs", "a\0b", "x".repeat(2000), "a/../../b"]) {
        await expect(mb.create(bad)).rejects.toThrow(StoreInputError);
        await expect(mb.append(bad, "x")).rejects.toThrow(StoreInputError);
        await expect(mb.status(bad)).rejects.toThrow(StoreInputError);
        await expect(mb.rename("Sent", bad)).rejects.toThrow(StoreInputError);
      }
      await expect(store.mailboxes("../alice")).rejects.toThrow(StoreInputError);
    });
  });
});
