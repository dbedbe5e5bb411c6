import { describe, expect, test } from "vitest";
import { CommandParser, type CommandParserEvent, type Limits, ResponseParser } from "../src/index.js";
import { rng } from "./helpers.js";

/**
 * Fuzzing: random bytes and mutations of valid commands and responses, fed in random chunks with
 * random answers at every pause. Properties: no exception escapes, every push returns (no
 * infinite loop: the suite's timeout would catch it), and the bytes a parser holds stay within
 * what the limits allow. HOLDFAST_FUZZ_LONG=1 runs 50 times more inputs.
 */

const LONG = process.env.HOLDFAST_FUZZ_LONG === "1";
const ROUNDS = LONG ? 150_000 : 3_000;

const LIMITS: Partial<Limits> = {
  maxLineLength: 1024,
  maxInlineLiteral: 512,
  maxCommandSize: 4096,
  maxLiteralSize: 64 * 1024,
  maxNesting: 8,
  maxArguments: 200,
  maxSequenceSetLength: 50,
  maxNonSyncLiteral: 256,
};
const MAX_CHUNK = 2048;
// current line + held input while paused (line + 64 KiB) + command so far + one pushed chunk
const HOLD_BOUND = 1024 + 1024 + 64 * 1024 + 4096 + MAX_CHUNK;

const COMMANDS = [
  "a1 LOGIN {4}\r\nuser {4}\r\npass\r\n",
  "a2 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541 (1:3 4:6)))\r\n",
  "a3 UID FETCH 1:*,5 (FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)]<0.100> BINARY[1.2]) (CHANGEDSINCE 1 VANISHED)\r\n",
  'a4 SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (FROM "x" NOT SEEN) UID 1:5 SINCE 1-Feb-1994 MODSEQ "/flags/\\\\draft" all 5\r\n',
  'a5 APPEND INBOX (\\Seen) "17-Jul-1996 02:44:25 -0700" {5+}\r\nhello ~{3+}\r\nabc UTF8 (~{2}\r\nxy)\r\n',
  "a6 STORE 1:3 (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Deleted $X)\r\n",
  'a7 LIST (SUBSCRIBED) "" ("INBOX" "%") RETURN (CHILDREN STATUS (MESSAGES SIZE))\r\n',
  "a8 IDLE\r\nDONE\r\n",
  "a9 AUTHENTICATE PLAIN\r\ndGVzdAB0ZXN0AHRlc3Q=\r\n",
  "c1 STARTTLS\r\nc2 NOOP\r\n",
  'b1 ID ("name" "x" "version" NIL)\r\n',
  "b2 UID SORT (REVERSE DATE SUBJECT) UTF-8 ALL\r\nb3 THREAD REFERENCES UTF-8 TEXT {3}\r\nabc\r\n",
  'b4 CREATE "a b" (USE (\\Drafts))\r\nb5 RENAME a b\r\nb6 STATUS x (UIDNEXT HIGHESTMODSEQ)\r\n',
];

const RESPONSES = [
  "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n* 23 EXISTS\r\n",
  '* 12 FETCH (UID 4 BODY[] {11}\r\nhello world FLAGS (\\Seen) ENVELOPE ("d" {3}\r\nsub (("a" NIL "b" "c")) NIL NIL NIL NIL NIL NIL NIL))\r\n',
  '* LIST (\\HasChildren) "/" "Sent" ("CHILDINFO" ("SUBSCRIBED"))\r\n* STATUS x (MESSAGES 1 APPENDLIMIT NIL)\r\n',
  "A1 OK [COPYUID 1 1:3 4:6] done\r\n+ Ready\r\n* VANISHED (EARLIER) 1:5\r\n",
  '* NAMESPACE (("" "/")("#mh/" "/" "X" ("A"))) NIL NIL\r\n* THREAD (2)(3 6 (4 23)(44 7 96))\r\n',
  '* ESEARCH (TAG "a") UID MIN 1 ALL 1:5 COUNT 3\r\n* BODYSTRUCTURE X\r\n* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1)("TEXT" "HTML" NIL NIL NIL "7BIT" 1 1) "ALTERNATIVE"))\r\n',
];

const INSERTS = [
  "{",
  "}",
  '"',
  "(",
  ")",
  "[",
  "]",
  "\\",
  "\r\n",
  "\n",
  " ",
  "*",
  "$",
  "0",
  "9",
  "{5}\r\n",
  "~{3+}\r\n",
  "{99999}\r\n",
  "{300+}\r\n",
  "NIL",
  "\0",
  "\xff",
  "((((((((((",
];

function mutate(base: string, r: () => number): Buffer {
  let s = base;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.3) s = s.slice(0, at) + INSERTS[Math.floor(r() * INSERTS.length)] + s.slice(at);
    else if (op < 0.5) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (op < 0.7) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + s.slice(at + 1);
    else if (op < 0.8) s = s.slice(0, at);
    else if (op < 0.9) s = s + s.slice(0, at);
    else s = s.slice(0, at) + "x".repeat(Math.floor(r() * 1500)) + s.slice(at);
  }
  return Buffer.from(s, "latin1");
}

function randomBytes(r: () => number): Buffer {
  const b = Buffer.alloc(Math.floor(r() * 600));
  for (let i = 0; i < b.length; i++)
    b[i] = r() < 0.3 ? [0x20, 0x0d, 0x0a, 0x7b, 0x7d, 0x28, 0x29, 0x22][Math.floor(r() * 8)]! : Math.floor(r() * 256);
  return b;
}

function chunked(input: Buffer, r: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; ) {
    const n = 1 + Math.floor(r() * Math.min(MAX_CHUNK, 300));
    out.push(input.subarray(i, i + n));
    i += n;
  }
  return out;
}

function fuzzCommands(input: Buffer, r: () => number): void {
  const p = new CommandParser({ limits: LIMITS, literalPlus: r() < 0.3 });
  const handle = (events: CommandParserEvent[], depth: number): void => {
    expect(depth).toBeLessThan(10_000);
    for (const ev of events) {
      if (ev.type === "literal-request") handle(r() < 0.7 ? p.acceptLiteral() : p.rejectLiteral(), depth + 1);
      else if (ev.type === "command" && ev.command.name === "IDLE")
        handle(r() < 0.8 ? p.expectIdleDone() : p.resume(), depth + 1);
      else if (ev.type === "command" && ev.command.name === "STARTTLS") {
        if (r() < 0.5) p.discardHeldInput();
        handle(p.resume(), depth + 1);
      } else if (ev.type === "command" && ev.command.name === "AUTHENTICATE")
        handle(r() < 0.8 ? p.expectSaslResponse() : p.resume(), depth + 1);
      else if (ev.type === "sasl-response") handle(r() < 0.3 ? p.expectSaslResponse() : p.resume(), depth + 1);
      else if (ev.type === "error") expect(ev.error.code).toMatch(/^[A-Z_]+$/);
    }
  };
  for (const c of chunked(input, r)) {
    handle(p.push(c), 0);
    expect(p.bufferedBytes).toBeLessThanOrEqual(HOLD_BOUND);
  }
}

function fuzzResponses(input: Buffer, r: () => number): void {
  const p = new ResponseParser({ limits: LIMITS, streamThreshold: r() < 0.5 ? 0 : 8 });
  for (const c of chunked(input, r)) {
    for (const ev of p.push(c)) {
      if (ev.type === "error") expect(ev.error.code).toMatch(/^[A-Z_]+$/);
      if (ev.type === "literal-chunk") expect(ev.chunk.length).toBeLessThanOrEqual(MAX_CHUNK);
    }
    expect(p.bufferedBytes).toBeLessThanOrEqual(HOLD_BOUND);
  }
}

describe("fuzz (bounded; HOLDFAST_FUZZ_LONG=1 for a long run)", () => {
  test("command parser: mutations of valid commands and random bytes", () => {
    const r = rng(0xc0ffee);
    for (let i = 0; i < ROUNDS; i++) {
      const input = r() < 0.8 ? mutate(COMMANDS[i % COMMANDS.length]!, r) : randomBytes(r);
      fuzzCommands(input, r);
    }
  }, 600_000);

  test("response parser: mutations of valid responses and random bytes", () => {
    const r = rng(0xbeef);
    for (let i = 0; i < ROUNDS; i++) {
      const input = r() < 0.8 ? mutate(RESPONSES[i % RESPONSES.length]!, r) : randomBytes(r);
      fuzzResponses(input, r);
    }
  }, 600_000);

  test("a flood of garbage without line ends is cut off at maxLineLength, memory stays bounded", () => {
    const p = new CommandParser({ limits: LIMITS });
    let fatal = 0;
    for (let i = 0; i < 100; i++) {
      for (const ev of p.push(Buffer.alloc(1000, 0x41))) if (ev.type === "error" && !ev.error.recoverable) fatal++;
      expect(p.bufferedBytes).toBeLessThanOrEqual(2 * 1024);
    }
    expect(fatal).toBe(1);
    expect(p.closed).toBe(true);
  });
});
