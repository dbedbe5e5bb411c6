import { describe, expect, it } from "vitest";
import { matchesListPattern } from "../src/index.js";

describe("LIST patterns", () => {
  it("* crosses the delimiter, % does not", () => {
    expect(matchesListPattern("Projects/2026", "", "*")).toBe(true);
    expect(matchesListPattern("Projects/2026", "", "%")).toBe(false);
    expect(matchesListPattern("Projects/2026", "", "Projects/%")).toBe(true);
    expect(matchesListPattern("Projects", "", "Proj*")).toBe(true);
  });

  it("only the INBOX component ignores case", () => {
    expect(matchesListPattern("INBOX", "", "inbox")).toBe(true);
    expect(matchesListPattern("INBOX/Sub", "", "Inbox/Sub")).toBe(true);
    expect(matchesListPattern("INBOX/Sub", "", "inbox/sub")).toBe(false);
    expect(matchesListPattern("Projects", "", "projects")).toBe(false);
    expect(matchesListPattern("Inboxes", "", "INBOXES")).toBe(false);
  });

  it("joins the reference and treats pattern characters literally", () => {
    expect(matchesListPattern("Lab/x", "Lab/", "%")).toBe(true);
    expect(matchesListPattern("a.b", "", "a.b")).toBe(true);
    expect(matchesListPattern("axb", "", "a.b")).toBe(false);
  });
});
