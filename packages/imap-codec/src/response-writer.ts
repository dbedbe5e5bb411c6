import { once } from "node:events";
import { Readable, type Writable } from "node:stream";
import { encodeResponseParts, type ResponseEncodeOptions } from "./encode-response.js";
import { EncodeError } from "./errors.js";
import type { LiteralSource, Response } from "./types/responses.js";
import type { WirePart } from "./wire-builder.js";

/**
 * Yields the bytes of a response; streamed literal bodies are passed through chunk by chunk as
 * the consumer pulls, so at most one source chunk is in flight. A source that yields more or
 * fewer bytes than its announced size makes the iterator throw (the wire would be corrupt, the
 * connection must be closed).
 */
export async function* responseChunks(
  response: Response,
  options: ResponseEncodeOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  yield* partsChunks(encodeResponseParts(response, options));
}

export async function* partsChunks(parts: WirePart[]): AsyncGenerator<Buffer, void, undefined> {
  for (const part of parts) {
    if (Buffer.isBuffer(part)) yield part;
    else if ("source" in part) yield* literalChunks(part);
  }
}

async function* literalChunks(lit: LiteralSource): AsyncGenerator<Buffer, void, undefined> {
  let sent = 0;
  for await (const chunk of lit.source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    sent += buf.length;
    if (sent > lit.size) throw new EncodeError(`literal source gave more than its announced ${lit.size} bytes`);
    yield buf;
  }
  if (sent !== lit.size) throw new EncodeError(`literal source gave ${sent} bytes, announced ${lit.size}`);
}

/** A Readable of the response bytes (pull-driven, so back-pressure reaches the literal sources). */
export function responseStream(response: Response, options: ResponseEncodeOptions = {}): Readable {
  return Readable.from(responseChunks(response, options), { objectMode: false });
}

/**
 * Writes a response to a Writable, waiting for 'drain' whenever the destination's buffer is
 * full, so a 50 MB body never piles up in memory. Literal sources are read directly here (one
 * async layer per chunk); a source that gives more bytes than announced is stopped before the
 * excess is written, one that gives fewer rejects after its last byte.
 */
export async function writeResponse(
  dest: Writable,
  response: Response,
  options: ResponseEncodeOptions = {},
): Promise<void> {
  for (const part of encodeResponseParts(response, options)) {
    if (Buffer.isBuffer(part)) {
      if (!dest.write(part)) await once(dest, "drain");
    } else if ("source" in part) {
      await writeLiteral(dest, part);
    }
  }
}

async function writeLiteral(dest: Writable, lit: LiteralSource): Promise<void> {
  let sent = 0;
  for await (const chunk of lit.source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    sent += buf.length;
    if (sent > lit.size) throw new EncodeError(`literal source gave more than its announced ${lit.size} bytes`);
    if (!dest.write(buf)) await once(dest, "drain");
  }
  if (sent !== lit.size) throw new EncodeError(`literal source gave ${sent} bytes, announced ${lit.size}`);
}
