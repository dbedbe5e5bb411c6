import { describe, expect, it } from "vitest";
import { encodeResponse } from "../src/index.js";

describe("pre-encoded FETCH items", () => {
  it("writes BODYSTRUCTURE, BODY and ENVELOPE bytes exactly as given, literals and 8-bit included", () => {
    const structure = Buffer.from(
      '(("text" "plain" NIL NIL NIL "7bit" 1 1)("text" "html" NIL NIL NIL "7bit" 1 1) "alternative")',
      "latin1",
    );
    const envelope = Buffer.from("(NIL {6}\r\ncaf\xe9\xe9\xe9 NIL NIL NIL NIL NIL NIL NIL NIL)", "latin1");
    const bytes = encodeResponse({
      kind: "untagged",
      data: {
        type: "FETCH",
        seq: 3,
        items: [
          { name: "BODYSTRUCTURE", encoded: structure },
          { name: "ENVELOPE", encoded: envelope },
        ],
      },
    });
    expect(bytes.toString("latin1")).toBe(
      `* 3 FETCH (BODYSTRUCTURE ${structure.toString("latin1")} ENVELOPE ${envelope.toString("latin1")})\r\n`,
    );
  });
});
