/** Section content as a Node.js stream, for writing a FETCH literal without concatenating. */
import { Readable } from "node:stream";

/** A readable stream of the chunks of a SectionContent or BinaryContent (views, not copies). */
export function chunksToStream(content: { chunks: readonly Uint8Array[] }): Readable {
  return Readable.from(content.chunks, { objectMode: false });
}
