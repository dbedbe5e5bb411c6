/**
 * Where Dovecot 2.3.19 (Debian 12's dovecot-imapd) answers differently from us on the
 * corpus, and why we do not copy it. Every other FETCH answer must be byte-identical.
 */

export interface Quirk {
  /** Corpus message name. */
  message: string;
  /** FETCH item as sent (exact match) or a pattern. */
  item: string | RegExp;
  reason: string;
}

/**
 * Messages Dovecot stores with different bytes than were APPENDed. The comparison then
 * parses the bytes Dovecot stored (BODY.PEEK[]) instead of the corpus file.
 */
export const STORED_DIFFERENTLY: Record<string, string> = {
  "50-cr-only":
    "Dovecot's save path turns CR CR LF into CR LF (its CRLF-normalising input stream), so the stored message is one byte shorter; our structure of the stored bytes matches Dovecot's",
};

const BINARY_SIZE_CACHE =
  "Dovecot computes BINARY.SIZE from its cached binary-part sizes, which disagree with the BINARY literal it sends for the same section; we answer the exact length of the BINARY content";

export const QUIRKS: Quirk[] = [
  {
    message: "84-base64-no-padding",
    item: /^BINARY\.(PEEK\[1?\](<[\d.]+>)?|SIZE\[\d\])$/,
    reason:
      'part 1 is base64 that stops mid-quantum ("aGVsbG8"): Dovecot disconnects the client mid-literal ("Base64 data ends prematurely"), also for BINARY.SIZE of the other parts; we answer NO [PARSE] for that part and the exact size for the others',
  },
  {
    message: "67-rfc822-qp",
    item: "BINARY.PEEK[]",
    reason:
      "the message is a quoted-printable message/rfc822: Dovecot announces the decoded size (287) but then sends the undecoded bytes cut off at that size; we send the decoded message (header with Content-Transfer-Encoding: binary, body decoded) as a literal8",
  },
  { message: "38-long-base64", item: "BINARY.SIZE[1]", reason: `${BINARY_SIZE_CACHE} (58992 for a 60000-byte part)` },
  {
    message: "67-rfc822-qp",
    item: "BINARY.SIZE[1]",
    reason: `${BINARY_SIZE_CACHE} (0 for a 54-byte message/rfc822 body)`,
  },
  {
    message: "31-message-other",
    item: "BINARY.SIZE[2]",
    reason: `${BINARY_SIZE_CACHE} (0 for a base64 message/rfc822 part that BINARY[2] sends as 54 bytes)`,
  },
  {
    message: "29-cte-variants",
    item: /^BINARY\.SIZE\[/,
    reason: `${BINARY_SIZE_CACHE}: it fails with UNKNOWN-CTE for every part because one part (x-uuencode) cannot be decoded, while BINARY[n] of the other parts succeeds`,
  },
  {
    message: "71-duplicate-content-fields",
    item: /^BINARY\.PEEK\[(3)?\](<[\d.]+>)?$/,
    reason:
      'part 3 has two Content-Transfer-Encoding fields (8bit, then base64 over "c"); BINARY decodes with the last one, where Dovecot disconnects the client mid-literal ("Base64 data ends prematurely") we answer NO [PARSE]',
  },
  {
    message: "71-duplicate-content-fields",
    item: /^BINARY\.SIZE\[/,
    reason: `${BINARY_SIZE_CACHE}: with duplicate Content-Transfer-Encoding fields its size pass decodes another part as base64 and the imap process disconnects ("Base64 data ends prematurely")`,
  },
];

export function quirkFor(message: string, item: string): Quirk | undefined {
  return QUIRKS.find(
    (q) => q.message === message && (typeof q.item === "string" ? q.item === item : q.item.test(item)),
  );
}
