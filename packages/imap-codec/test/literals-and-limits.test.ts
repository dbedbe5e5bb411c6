import { describe, expect, test } from "vitest";
import { CommandParser, type CommandParserOptions, type Limits } from "../src/index.js";
import { allWays, type DrivePolicy, driveCommands, type Normalized } from "./helpers.js";

function run(input: string, options?: CommandParserOptions, policy?: DrivePolicy): Normalized[] {
  return allWays(
    input,
    (chunks) => driveCommands(chunks, options, policy),
    (a, b, how) => expect(a, how).toEqual(b),
  );
}

const limits = (l: Partial<Limits>): CommandParserOptions => ({ limits: l });
const types = (events: Normalized[]) =>
  events.map((e) => (e.type === "error" ? `error:${e.code}:${e.recoverable}` : e.type));

describe("synchronizing literals ask the caller", () => {
  test("a rejected literal drops the command; the client sends nothing more for it", () => {
    const events = run("A1 LOGIN {5}\r\nA2 NOOP\r\n", undefined, { acceptLiteral: () => false });
    expect(events).toEqual([
      { type: "literal-request", tag: "A1", size: 5, purpose: "inline" },
      { type: "command", command: { tag: "A2", name: "NOOP" } },
    ]);
  });

  test("input is held while the decision is pending", () => {
    const p = new CommandParser();
    expect(p.push(Buffer.from("A1 LOGIN {4}\r\nuser pass\r\n"))).toEqual([
      { type: "literal-request", tag: "A1", commandName: "LOGIN", size: 4, binary: false, purpose: "inline" },
    ]);
    expect(p.push(Buffer.from("A2 NOOP\r\n"))).toEqual([]);
    const after = p.acceptLiteral();
    expect(after.map((e) => e.type)).toEqual(["command", "command"]);
    expect(() => p.acceptLiteral()).toThrow(/no synchronizing literal/);
  });

  test("a client flooding while a literal decision is pending is cut off", () => {
    const p = new CommandParser({ limits: { maxLineLength: 100 } });
    p.push(Buffer.from("A1 LOGIN {4}\r\n"));
    const events = p.push(Buffer.alloc(70 * 1024, 0x41));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "error", error: { code: "UNEXPECTED_DATA", recoverable: false } });
    expect(p.closed).toBe(true);
    expect(p.push(Buffer.from("A2 NOOP\r\n"))).toEqual([]);
  });

  test("an APPEND literal over maxLiteralSize is refused before the client sends it", () => {
    const events = run("A1 APPEND INBOX {2000}\r\nA2 NOOP\r\n", limits({ maxLiteralSize: 1000 }));
    expect(types(events)).toEqual(["error:LITERAL_TOO_LARGE:true", "command"]);
    expect(events[0]).toMatchObject({ tag: "A1" });
  });

  test("an inline literal over maxInlineLiteral is refused (recoverable)", () => {
    const events = run("A1 LOGIN {70000}\r\nA2 NOOP\r\n");
    expect(types(events)).toEqual(["error:LITERAL_TOO_LARGE:true", "command"]);
  });

  test("the message literal of APPEND may be large; inline ones are bounded separately", () => {
    const body = "x".repeat(100_000);
    const events = run(`A1 APPEND INBOX {${body.length}}\r\n${body}\r\n`);
    expect(types(events)).toEqual(["literal-request", "append-message", "literal", "command"]);
    expect((events[2] as { data: string }).data).toBe(body);
  });
});

describe("non-synchronizing literals (RFC 7888)", () => {
  test("LITERAL-: up to 4096 bytes accepted without asking", () => {
    const pw = "p".repeat(4096);
    const events = run(`A1 LOGIN {4+}\r\nuser {4096+}\r\n${pw}\r\n`);
    expect(events).toEqual([
      { type: "command", command: { tag: "A1", name: "LOGIN", username: "user", password: pw } },
    ]);
  });

  test("LITERAL-: a larger one is fatal (its bytes are already on the wire)", () => {
    const events = run(`A1 APPEND INBOX {4097+}\r\n${"x".repeat(4097)}\r\nA2 NOOP\r\n`);
    expect(events).toEqual([
      {
        type: "error",
        code: "NONSYNC_LITERAL_TOO_LARGE",
        recoverable: false,
        tag: "A1",
        message: "non-synchronizing literal of 4097 bytes exceeds the LITERAL- limit of 4096",
      },
    ]);
  });

  test("LITERAL+: large non-synchronizing APPEND literal streams", () => {
    const body = "y".repeat(10_000);
    const events = run(`A1 APPEND INBOX {${body.length}+}\r\n${body}\r\nA2 NOOP\r\n`, { literalPlus: true });
    expect(types(events)).toEqual(["append-message", "literal", "command", "command"]);
  });

  test("LITERAL+: over maxLiteralSize is fatal", () => {
    const events = run("A1 APPEND INBOX {5000+}\r\n", { literalPlus: true, limits: { maxLiteralSize: 4000 } });
    expect(types(events)).toEqual(["error:LITERAL_TOO_LARGE:false"]);
  });

  test("bad APPEND arguments before a non-sync literal: the bytes are skipped, parsing resumes", () => {
    const events = run('A1 APPEND INBOX (\\Seen "bad-date" {5+}\r\nhello\r\nA2 NOOP\r\n');
    expect(types(events)).toEqual(["error:SYNTAX:true", "command"]);
    expect(events[1]).toEqual({ type: "command", command: { tag: "A2", name: "NOOP" } });
  });

  test("bad APPEND arguments before a sync literal: no request, next line is a new command", () => {
    const events = run("A1 APPEND INBOX (\\Seen) NOTADATE {5}\r\nA2 NOOP\r\n");
    expect(types(events)).toEqual(["error:SYNTAX:true", "command"]);
  });
});

describe("limits and typed errors", () => {
  test("line too long is fatal", () => {
    const events = run(`A1 SEARCH SUBJECT ${"a".repeat(300)}\r\nA2 NOOP\r\n`, limits({ maxLineLength: 200 }));
    expect(types(events)).toEqual(["error:LINE_TOO_LONG:false"]);
  });

  test("nesting depth", () => {
    const deep = `A1 SEARCH ${"(".repeat(40)}ALL${")".repeat(40)}\r\nA2 NOOP\r\n`;
    expect(types(run(deep))).toEqual(["error:TOO_DEEP:true", "command"]);
    const nots = `A1 SEARCH ${"NOT ".repeat(40)}ALL\r\n`;
    expect(types(run(nots))).toEqual(["error:TOO_DEEP:true"]);
    expect(types(run(`A1 SEARCH ${"(".repeat(10)}ALL${")".repeat(10)}\r\n`))).toEqual(["command"]);
  });

  test("sequence set length", () => {
    const set = Array.from({ length: 50 }, (_, i) => String(i * 2 + 1)).join(",");
    expect(types(run(`A1 FETCH ${set} FLAGS\r\n`, limits({ maxSequenceSetLength: 20 })))).toEqual([
      "error:SEQUENCE_SET_TOO_LONG:true",
    ]);
    expect(types(run(`A1 FETCH ${set} FLAGS\r\n`))).toEqual(["command"]);
  });

  test("number of arguments", () => {
    const flags = Array.from({ length: 100 }, (_, i) => `$k${i}`).join(" ");
    expect(types(run(`A1 STORE 1 +FLAGS (${flags})\r\n`, limits({ maxArguments: 50 })))).toEqual([
      "error:TOO_MANY_ARGUMENTS:true",
    ]);
  });

  test("command size across literals", () => {
    const events = run(`A1 LOGIN {600+}\r\n${"u".repeat(600)} {600}\r\nA2 NOOP\r\n`, limits({ maxCommandSize: 1000 }));
    expect(types(events)).toEqual(["error:COMMAND_TOO_LARGE:true", "command"]);
  });

  test("grammar errors are recoverable and carry the tag", () => {
    const events = run(
      "A1 FOO\r\nA2 FETCH 1:x FLAGS\r\nA3 SEARCH NOT\r\n+ NOOP\r\nA4 LOGIN\r\nA5 SELECT\r\nA6 NOOP extra\r\nA7 UID NOOP\r\nA8 NOOP\r\n",
    );
    expect(types(events)).toEqual([
      "error:UNKNOWN_COMMAND:true",
      "error:SYNTAX:true",
      "error:SYNTAX:true",
      "error:SYNTAX:true",
      "error:SYNTAX:true",
      "error:SYNTAX:true",
      "error:SYNTAX:true",
      "error:SYNTAX:true",
      "command",
    ]);
    expect(events.slice(0, 3).map((e) => (e as { tag?: string }).tag)).toEqual(["A1", "A2", "A3"]);
    expect(events[3]).toMatchObject({ tag: undefined });
    expect((events[1] as { message: string }).message).toMatch(/sequence/);
  });

  test("blank lines are ignored, bare LF is accepted", () => {
    expect(types(run("\r\n\r\nA1 NOOP\nA2 NOOP\r\n"))).toEqual(["command", "command"]);
  });

  test("literal sizes with too many digits are fatal", () => {
    expect(types(run("A1 LOGIN {99999999999999999999}\r\n"))).toEqual(["error:BAD_LITERAL_SIZE:false"]);
  });

  test("strings must be valid UTF-8; SEARCH in another CHARSET keeps the bytes (latin1)", () => {
    expect(types(run('A1 CREATE "Entw\xfcrfe"\r\nA2 LOGIN {2}\r\n\xc3\x28 x\r\n'))).toEqual([
      "error:SYNTAX:true",
      "literal-request",
      "error:SYNTAX:true",
    ]);
    const events = run('A3 SEARCH CHARSET ISO-8859-1 SUBJECT "Gr\xfc\xdfe"\r\n');
    expect(events).toEqual([
      {
        type: "command",
        command: {
          tag: "A3",
          name: "SEARCH",
          uid: false,
          charset: "ISO-8859-1",
          criteria: [{ type: "SUBJECT", value: "Grüße" }],
        },
      },
    ]);
  });

  test("NUL in a string literal is refused (CHAR8 excludes it)", () => {
    expect(types(run("A1 CREATE {3+}\r\na\0b\r\nA2 NOOP\r\n"))).toEqual(["error:SYNTAX:true", "command"]);
  });

  test("NUL, 8-bit and bad escapes in quoted strings", () => {
    expect(types(run('A1 LOGIN "a\0b" c\r\nA2 LOGIN "a\\b" c\r\n'))).toEqual([
      "error:SYNTAX:true",
      "error:SYNTAX:true",
    ]);
    const utf8 = run(Buffer.from('A1 CREATE "Entwürfe"\r\n', "utf8").toString("latin1"));
    expect(utf8).toEqual([{ type: "command", command: { tag: "A1", name: "CREATE", mailbox: "Entwürfe" } }]);
  });
});

describe("edge cases", () => {
  test("zero-length literals", () => {
    expect(run("A1 LOGIN {0}\r\n {0+}\r\n\r\n")).toEqual([
      { type: "literal-request", tag: "A1", size: 0, purpose: "inline" },
      { type: "command", command: { tag: "A1", name: "LOGIN", username: "", password: "" } },
    ]);
    expect(types(run("A2 APPEND INBOX {0+}\r\n\r\n"))).toEqual(["append-message", "literal", "command"]);
  });

  test("a literal during IDLE: synchronizing is ignored, non-synchronizing closes", () => {
    expect(types(run("A1 IDLE\r\nX {5}\r\nDONE\r\n"))).toEqual(["command", "error:SYNTAX:true", "idle-done"]);
    expect(types(run("A1 IDLE\r\nX {5+}\r\nhello\r\nDONE\r\n"))).toEqual(["command", "error:UNEXPECTED_DATA:false"]);
  });

  test("input arriving while IDLE/AUTHENTICATE is undecided is held, then parsed in the chosen mode", () => {
    const p = new CommandParser();
    expect(p.push(Buffer.from("A1 AUTHENTICATE PLAIN\r\ndGVzdAB0ZXN0AHRlc3Q=\r\n")).map((e) => e.type)).toEqual([
      "command",
    ]);
    expect(p.expectSaslResponse()).toEqual([{ type: "sasl-response", data: "dGVzdAB0ZXN0AHRlc3Q=", cancelled: false }]);
    expect(p.push(Buffer.from("A2 NOOP\r\n"))).toEqual([]);
    expect(p.resume()).toEqual([{ type: "command", command: { tag: "A2", name: "NOOP" } }]);
    expect(() => p.resume()).toThrow(/not waiting/);
  });
});

describe("STARTTLS", () => {
  test("input behind STARTTLS is held and can be discarded (no plaintext command injection)", () => {
    const p = new CommandParser();
    const events = p.push(Buffer.from("a1 STARTTLS\r\na2 LOGIN evil injected\r\n"));
    expect(events).toEqual([{ type: "command", command: { tag: "a1", name: "STARTTLS" } }]);
    p.discardHeldInput();
    expect(p.resume()).toEqual([]);
    expect(p.push(Buffer.from("a3 NOOP\r\n"))).toEqual([{ type: "command", command: { tag: "a3", name: "NOOP" } }]);
    expect(() => p.discardHeldInput()).toThrow(/not holding/);
  });

  test("a refused STARTTLS keeps the input", () => {
    const p = new CommandParser();
    p.push(Buffer.from("a1 STARTTLS\r\na2 NOOP\r\n"));
    expect(p.resume()).toEqual([{ type: "command", command: { tag: "a2", name: "NOOP" } }]);
  });
});
