/**
 * Our answer to a FETCH item, as the exact bytes an IMAP server puts after the item name
 * (literal or literal8 prefix included), so it can be compared with what Dovecot sends.
 */
import {
  binarySize,
  body,
  bodystructure,
  buildEnvelope,
  extractBinary,
  extractSection,
  type ParsedMessage,
  serializeEnvelope,
} from "../../src/index.js";

export function literal(chunks: Buffer[], size: number, binary = false): Buffer {
  return Buffer.concat([Buffer.from(`${binary ? "~" : ""}{${size}}\r\n`), ...chunks]);
}

/** `item` is the FETCH attribute as sent, e.g. "BODY.PEEK[1.MIME]" or "BINARY.SIZE[2]". */
export function answerFetchItem(msg: ParsedMessage, item: string): Buffer {
  const latin1 = (s: string) => Buffer.from(s, "latin1");
  switch (item) {
    case "BODYSTRUCTURE":
      return latin1(bodystructure(msg.bytes, msg.root));
    case "BODY":
      return latin1(body(msg.bytes, msg.root));
    case "ENVELOPE":
      return latin1(serializeEnvelope(buildEnvelope(msg.bytes, msg.root.header.fields)));
    case "RFC822.SIZE":
      return latin1(String(msg.size.virtual));
  }
  let m = /^BODY\.PEEK\[(.*)\](?:<(\d+)\.(\d+)>)?$/s.exec(item);
  if (m) {
    const partial = m[2] ? { offset: Number(m[2]), length: Number(m[3]) } : undefined;
    const c = extractSection(msg, m[1]!, partial);
    return literal(c.chunks, c.size);
  }
  m = /^BINARY\.PEEK\[(.*)\](?:<(\d+)\.(\d+)>)?$/s.exec(item);
  if (m) {
    const partial = m[2] ? { offset: Number(m[2]), length: Number(m[3]) } : undefined;
    const c = extractBinary(msg, m[1]!, partial);
    return literal(c.chunks, c.size, c.decoded);
  }
  m = /^BINARY\.SIZE\[(.*)\]$/s.exec(item);
  if (m) return latin1(String(binarySize(msg, m[1]!)));
  throw new Error(`no answer for ${item}`);
}

/** What an IMAP server answers for an item that fails: the tagged NO's response code. */
export function answerOrError(msg: ParsedMessage, item: string): Buffer {
  try {
    return answerFetchItem(msg, item);
  } catch (e) {
    const name = (e as Error).name;
    if (name === "UnknownCteError") return Buffer.from("NO [UNKNOWN-CTE]");
    if (name === "TransferDecodeError") return Buffer.from("NO [PARSE]");
    throw e;
  }
}
