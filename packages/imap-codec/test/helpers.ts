import {
  type Command,
  CommandParser,
  type CommandParserEvent,
  type CommandParserOptions,
  type ParseError,
  type Response,
  ResponseParser,
  type ResponseParserEvent,
  type ResponseParserOptions,
} from "../src/index.js";

/** A parser event with literal chunks merged, so runs with different chunkings compare equal. */
export type Normalized =
  | { type: "command"; command: Command }
  | { type: "response"; response: Response }
  | { type: "literal-request"; tag: string | undefined; size: number; purpose: string }
  | { type: "append-message"; tag: string; mailbox: string; index: number; size: number }
  | { type: "literal-start"; seq: number; item: string; size: number }
  | { type: "literal"; data: string }
  | { type: "sasl-response"; data: string }
  | { type: "idle-done" }
  | { type: "error"; code: string; recoverable: boolean; tag: string | undefined; message: string };

function errorEvent(e: ParseError): Normalized {
  return { type: "error", code: e.code, recoverable: e.recoverable, tag: e.tag, message: e.message };
}

/** Policy for the pauses of the command parser. Default: accept every literal, enter IDLE/SASL. */
export interface DrivePolicy {
  acceptLiteral?: (ev: Extract<CommandParserEvent, { type: "literal-request" }>) => boolean;
  /** After AUTHENTICATE: expect a SASL response line? Default: only without an initial response. */
  saslAfterAuthenticate?: (initialResponse: string | undefined) => boolean;
  /** After a sasl-response: true = expect another response line, false = resume commands. */
  moreSasl?: (data: string) => boolean;
}

/** Runs input through a CommandParser split at the given points, answering pauses by policy. */
export function driveCommands(
  chunks: Buffer[],
  options: CommandParserOptions = {},
  policy: DrivePolicy = {},
): Normalized[] {
  const p = new CommandParser(options);
  const out: Normalized[] = [];
  let literal: string[] | null = null;
  const handle = (events: CommandParserEvent[]): void => {
    for (const ev of events) {
      switch (ev.type) {
        case "literal-chunk":
          literal!.push(ev.chunk.toString("latin1"));
          break;
        case "literal-end":
          out.push({ type: "literal", data: literal!.join("") });
          literal = null;
          break;
        case "append-message":
          literal = [];
          out.push({
            type: "append-message",
            tag: ev.tag,
            mailbox: ev.mailbox,
            index: ev.index,
            size: ev.message.size,
          });
          break;
        case "literal-request": {
          out.push({ type: "literal-request", tag: ev.tag, size: ev.size, purpose: ev.purpose });
          const ok = policy.acceptLiteral?.(ev) ?? true;
          handle(ok ? p.acceptLiteral() : p.rejectLiteral());
          break;
        }
        case "command":
          out.push({ type: "command", command: ev.command });
          if (ev.command.name === "IDLE") handle(p.expectIdleDone());
          else if (ev.command.name === "STARTTLS") handle(p.resume());
          else if (ev.command.name === "AUTHENTICATE") {
            const sasl =
              policy.saslAfterAuthenticate?.(ev.command.initialResponse) ?? ev.command.initialResponse === undefined;
            handle(sasl ? p.expectSaslResponse() : p.resume());
          }
          break;
        case "sasl-response":
          out.push({ type: "sasl-response", data: ev.data });
          handle(policy.moreSasl?.(ev.data) ? p.expectSaslResponse() : p.resume());
          break;
        case "idle-done":
          out.push({ type: "idle-done" });
          break;
        case "error":
          out.push(errorEvent(ev.error));
          break;
      }
    }
  };
  for (const c of chunks) handle(p.push(c));
  return out;
}

export function driveResponses(chunks: Buffer[], options: ResponseParserOptions = {}): Normalized[] {
  const p = new ResponseParser(options);
  const out: Normalized[] = [];
  let literal: string[] | null = null;
  for (const c of chunks) {
    for (const ev of p.push(c) as ResponseParserEvent[]) {
      switch (ev.type) {
        case "literal-start":
          literal = [];
          out.push({ type: "literal-start", seq: ev.seq, item: ev.item, size: ev.size });
          break;
        case "literal-chunk":
          literal!.push(ev.chunk.toString("latin1"));
          break;
        case "literal-end":
          out.push({ type: "literal", data: literal!.join("") });
          literal = null;
          break;
        case "response":
          out.push({ type: "response", response: ev.response });
          break;
        case "error":
          out.push(errorEvent(ev.error));
          break;
      }
    }
  }
  return out;
}

/** Deterministic PRNG (mulberry32) so chunkings are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function splitWhole(input: Buffer): Buffer[] {
  return [input];
}

export function splitBytes(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i++) out.push(input.subarray(i, i + 1));
  return out;
}

export function splitRandom(input: Buffer, seed: number): Buffer[] {
  const r = rng(seed);
  const out: Buffer[] = [];
  let i = 0;
  while (i < input.length) {
    const n = 1 + Math.floor(r() * Math.min(64, input.length));
    out.push(input.subarray(i, i + n));
    i += n;
  }
  return out;
}

/**
 * The chunking contract: the input gives identical events fed whole, one byte at a time and in
 * random chunks (three seeds). Returns the events (of the whole run) for further assertions.
 */
export function allWays<T>(
  input: string | Buffer,
  run: (chunks: Buffer[]) => T[],
  expectEqual: (a: T[], b: T[], how: string) => void,
): T[] {
  const buf = typeof input === "string" ? Buffer.from(input, "latin1") : input;
  const whole = run(splitWhole(buf));
  expectEqual(run(splitBytes(buf)), whole, "one byte at a time");
  for (const seed of [1, 2, 3]) expectEqual(run(splitRandom(buf, seed)), whole, `random chunks seed ${seed}`);
  return whole;
}
