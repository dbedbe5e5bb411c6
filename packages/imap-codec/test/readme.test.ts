import { Readable, Writable } from "node:stream";
import { expect, test } from "vitest";
import { CommandParser, encodeResponse, writeResponse } from "../src/index.js";

// The README's examples, run as written (with a collecting stream standing in for the socket).
test("README: parse a command, encode a response", async () => {
  const written: Buffer[] = [];
  const socket = new Writable({
    write(chunk: Buffer, _e, cb) {
      written.push(chunk);
      cb();
    },
  });

  const parser = new CommandParser();
  const commands = [];
  for (const ev of parser.push(Buffer.from("a1 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\n"))) {
    if (ev.type === "command") commands.push(ev.command);
  }
  expect(commands).toMatchObject([{ tag: "a1", name: "FETCH", uid: true, set: [{ start: 1, end: "*" }] }]);

  socket.write(
    encodeResponse({ kind: "untagged", data: { type: "FETCH", seq: 1, items: [{ name: "UID", value: 7 }] } }),
  );
  socket.write(encodeResponse({ kind: "tagged", tag: "a1", status: "OK", text: "FETCH completed" }));

  const body = Buffer.from("Subject: hi\r\n\r\nhello\r\n");
  await writeResponse(socket, {
    kind: "untagged",
    data: {
      type: "FETCH",
      seq: 12,
      items: [
        { name: "UID", value: 4711 },
        { name: "BODY[]", section: { part: [] }, value: { size: body.length, source: Readable.from([body]) } },
      ],
    },
  });
  expect(Buffer.concat(written).toString()).toBe(
    `* 1 FETCH (UID 7)\r\na1 OK FETCH completed\r\n* 12 FETCH (UID 4711 BODY[] {${body.length}}\r\n${body})\r\n`,
  );
});
