/**
 * Bad mail never throws: random mutations of the corpus (byte flips, cut-offs, inserted
 * boundary lines and header junk, repeated slices) go through every entry point, and the
 * parse keeps its invariants. Runs are bounded; HOLDFAST_LONG=1 runs ten times more.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bodyText,
  extractBinary,
  extractSection,
  fetchBody,
  fetchBodystructure,
  fetchEnvelope,
  headerAddresses,
  headerValues,
  MimeError,
  parseMessage,
  searchText,
} from "../src/index.js";
import { loadCorpus } from "./helpers/corpus.js";
import { checkInvariants } from "./helpers/invariants.js";
import { namedParts } from "./helpers/section-paths.js";

const long = process.env.HOLDFAST_LONG === "1";
const corpus = loadCorpus().filter((m) => m.bytes.length < 40_000);

const SNIPPETS = [
  "\r\n",
  "\n",
  "\r",
  "--",
  "--b1\r\n",
  "--b1--\r\n",
  "\r\n\r\n",
  "Content-Type: multipart/mixed; boundary=b1\r\n",
  "Content-Type: message/rfc822\r\n",
  "Content-Transfer-Encoding: base64\r\n",
  "Content-Transfer-Encoding: quoted-printable\r\n",
  'Content-Type: text/plain; name*0*=x; name*1="',
  "From: <@a:",
  "To: g: a@b, (c",
  "=?utf-8?q?",
  "=?",
  "\x00",
  "\xff\xfe",
  ":",
  " ",
  '"',
  "(",
  "<",
];

type Mutation =
  | { kind: "flip"; at: number; byte: number }
  | { kind: "cut"; at: number }
  | { kind: "insert"; at: number; text: number }
  | { kind: "repeat"; at: number; len: number; times: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), byte: fc.nat(255) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.nat(SNIPPETS.length - 1) }),
  fc.record({
    kind: fc.constant("repeat" as const),
    at: fc.nat(),
    len: fc.nat(200),
    times: fc.integer({ min: 1, max: 20 }),
  }),
);

function mutate(src: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(src);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === "flip" && b.length > 0) b[at % b.length] = m.byte;
    else if (m.kind === "cut") b = b.subarray(0, at);
    else if (m.kind === "insert")
      b = Buffer.concat([b.subarray(0, at), Buffer.from(SNIPPETS[m.text]!, "latin1"), b.subarray(at)]);
    else if (m.kind === "repeat") {
      const slice = b.subarray(at, at + m.len);
      b = Buffer.concat([b.subarray(0, at), ...Array(m.times).fill(slice), b.subarray(at)]);
    }
  }
  return b;
}

/** Everything a server would do with a message; only MimeError (bad request) may come out. */
function exercise(bytes: Buffer): void {
  const msg = parseMessage(bytes);
  checkInvariants(msg);
  fetchBodystructure(msg);
  fetchBody(msg);
  fetchEnvelope(msg);
  headerValues(msg, "subject");
  headerAddresses(msg, "from");
  bodyText(msg, { maxBytes: 1 << 20 });
  searchText(msg, { maxBytes: 1 << 20 });
  for (const s of ["", "HEADER", "TEXT", "HEADER.FIELDS (FROM SUBJECT)", "HEADER.FIELDS.NOT (TO)"]) {
    extractSection(msg, s, { offset: 3, length: 50 });
  }
  for (const { path } of namedParts(msg.root).slice(0, 30)) {
    for (const s of [path, `${path}.MIME`, `${path}.HEADER`, `${path}.TEXT`, `${path}.1`]) extractSection(msg, s);
    try {
      extractBinary(msg, path);
    } catch (e) {
      if (!(e instanceof MimeError)) throw e;
    }
  }
}

describe("robustness on mutated mail", () => {
  it("never throws and keeps the invariants", () => {
    fc.assert(
      fc.property(fc.nat(corpus.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, ms) => {
        exercise(mutate(corpus[i]!.bytes, ms));
      }),
      { numRuns: long ? 3000 : 300, seed: long ? undefined : 424242 },
    );
  }, 120_000);

  it("handles fully random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), (arr) => {
        exercise(Buffer.from(arr));
      }),
      { numRuns: long ? 2000 : 200, seed: long ? undefined : 7 },
    );
  });

  it("parses pathological inputs in bounded time", () => {
    const cases = [
      // 5000 nested multiparts (bounded by maxDepth)
      (() => {
        let s = "";
        for (let i = 0; i < 5000; i++) s += `Content-Type: multipart/mixed; boundary=z${i}q\r\n\r\n--z${i}q\r\n`;
        return s;
      })(),
      // 5000 nested message/rfc822
      "Content-Type: message/rfc822\r\n\r\n".repeat(5000),
      // 20000 parts
      `Content-Type: multipart/mixed; boundary=b\r\n\r\n${"--b\r\n\r\nx\r\n".repeat(20000)}`,
      // one 2 MB header line, and 200000 "--" lines that are not boundaries
      `Subject: ${"x".repeat(2_000_000)}\r\n\r\n`,
      `Content-Type: multipart/mixed; boundary=b\r\n\r\n${"--c\r\n".repeat(200000)}`,
    ];
    for (const c of cases) {
      const start = performance.now();
      const msg = parseMessage(Buffer.from(c, "latin1"));
      fetchBodystructure(msg);
      expect(performance.now() - start).toBeLessThan(20_000);
      const depth = (p: typeof msg.root): number => 1 + Math.max(0, ...p.children.map(depth));
      expect(depth(msg.root)).toBeLessThanOrEqual(100);
    }
  }, 120_000);
});
