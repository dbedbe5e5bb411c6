import { describe, expect, it } from "vitest";
import { ResponseParser } from "../src/index.js";

/* A multipart BODY/BODYSTRUCTURE as Dovecot writes it: child bodies back to back, no space. */

function parse(line: string) {
  const events = new ResponseParser().push(Buffer.from(line));
  expect(events.map((e) => e.type)).toEqual(["response"]);
  return (events[0] as { response: { data: { items: { name: string; value: unknown }[] } } }).response.data.items;
}

describe("multipart body structures", () => {
  it("parses children written without a space between them", () => {
    const items = parse(
      '* 2 FETCH (UID 2 BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 36 1 NIL NIL NIL NIL)("application" "octet-stream" NIL NIL NIL "base64" 28 NIL NIL NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL))\r\n',
    );
    expect(items[1]).toEqual({
      name: "BODYSTRUCTURE",
      value: [
        ["text", "plain", ["charset", "utf-8"], null, null, "7bit", 36, 1, null, null, null, null],
        ["application", "octet-stream", null, null, null, "base64", 28, null, null, null, null],
        "mixed",
        ["boundary", "b1"],
        null,
        null,
        null,
      ],
    });
  });

  it("parses nested multiparts and BODY, with or without spaces", () => {
    const tight = parse(
      '* 1 FETCH (BODY ((("text" "plain" NIL NIL NIL "7bit" 1 1)("text" "html" NIL NIL NIL "7bit" 2 1) "alternative")("image" "png" NIL NIL NIL "base64" 4) "mixed"))\r\n',
    );
    const spaced = parse(
      '* 1 FETCH (BODY ((("text" "plain" NIL NIL NIL "7bit" 1 1) ("text" "html" NIL NIL NIL "7bit" 2 1) "alternative") ("image" "png" NIL NIL NIL "base64" 4) "mixed"))\r\n',
    );
    expect(tight).toEqual(spaced);
    expect((tight[0]!.value as unknown[]).length).toBe(3);
  });

  it("still refuses two atoms without a space", () => {
    const events = new ResponseParser().push(Buffer.from('* 1 FETCH (BODY ("text""plain"))\r\n'));
    expect(events[0]!.type).toBe("error");
  });
});
