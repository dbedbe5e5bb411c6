/**
 * The structure FETCH items of a whole message as IMAP-ready bytes (what follows the item
 * name in a FETCH response): BODYSTRUCTURE, BODY, ENVELOPE. Strings that need it are
 * literals, so the result may contain CRLF and 8-bit bytes; it is Latin-1-exact.
 */
import { body, bodystructure } from "./bodystructure.js";
import { buildEnvelope, serializeEnvelope } from "./envelope.js";
import type { ParsedMessage } from "./part.js";

export function fetchBodystructure(msg: ParsedMessage): Buffer {
  return Buffer.from(bodystructure(msg.bytes, msg.root), "latin1");
}

export function fetchBody(msg: ParsedMessage): Buffer {
  return Buffer.from(body(msg.bytes, msg.root), "latin1");
}

export function fetchEnvelope(msg: ParsedMessage): Buffer {
  return Buffer.from(serializeEnvelope(buildEnvelope(msg.bytes, msg.root.header.fields)), "latin1");
}

/** The message's ENVELOPE as a typed value (raw byte strings). */
export function messageEnvelope(msg: ParsedMessage) {
  return buildEnvelope(msg.bytes, msg.root.header.fields);
}
