import type { BodySection, FetchAttribute, FetchResponseItem } from "@holdfast/imap-codec";
import { formatDateTime } from "@holdfast/imap-codec";
import { extractBinary, extractSection, parseMessage } from "@holdfast/mime";
import type { MailboxSession, MessageInfo, UserStore } from "@holdfast/store";
import { storeCall } from "./errors.js";

/*
 * FETCH items of one message from the local store. What the index holds (flags, MODSEQ,
 * size, internal date) costs nothing; structure items come from the store's checksummed
 * structure cache; only section items read the blob (verified against its hash by the store:
 * a damaged message is never served).
 *
 * A whole message (BODY[], RFC822) up to WHOLE_READ_LIMIT bytes is read and verified in one
 * go and sent from memory: one open/fstat/read/close on the blob. Larger ones are streamed
 * (bounded memory), which costs a verifying pass over the file and then a second open and
 * read for the stream — about three times the file-system calls, each a thread-pool round
 * trip that waits behind the fsyncs of concurrent APPEND and STORE commands. Under load that
 * wait, not the bytes, was most of a small FETCH's latency.
 */

/** Whole messages up to this size are sent from one verified read instead of a stream. */
export const WHOLE_READ_LIMIT = 256 * 1024;

function sectionName(section: BodySection): string {
  const path = section.part.join(".");
  if (!section.text) return path;
  const fields = section.fields ? ` (${section.fields.join(" ")})` : "";
  return `${path}${path ? "." : ""}${section.text}${fields}`;
}

export async function fetchItems(
  store: UserStore,
  session: MailboxSession,
  info: MessageInfo,
  items: FetchAttribute[],
  recent: boolean,
): Promise<FetchResponseItem[]> {
  const out: FetchResponseItem[] = [];
  let bytes: Buffer | undefined;
  const read = async () => {
    bytes ??= await storeCall(() => store.readMessageIn(session.handle, info.uid, info));
    return bytes;
  };
  let parsed: ReturnType<typeof parseMessage> | undefined;
  const message = async () => {
    parsed ??= parseMessage(await read());
    return parsed;
  };
  /** The whole message: bytes in hand when small (or already parsed), else a verified stream. */
  const whole = async () => {
    if (bytes !== undefined || info.size <= WHOLE_READ_LIMIT) return read();
    const stream = await storeCall(() => store.openMessageIn(session.handle, info.uid, info));
    return { size: info.size, source: stream };
  };
  const structure = () => storeCall(() => store.structureIn(session.handle, info.uid, info));
  for (const item of items) {
    switch (item.type) {
      case "UID":
        out.push({ name: "UID", value: info.uid });
        break;
      case "FLAGS":
        out.push({ name: "FLAGS", value: recent ? [...info.flags, "\\Recent"] : [...info.flags] });
        break;
      case "INTERNALDATE":
        out.push({ name: "INTERNALDATE", value: formatDateTime(new Date(info.internalDate)) });
        break;
      case "RFC822.SIZE":
        out.push({ name: "RFC822.SIZE", value: info.size });
        break;
      case "MODSEQ":
        out.push({ name: "MODSEQ", value: BigInt(info.modseq) });
        break;
      // The structure cache holds these in exact wire form (Latin-1 strings, one char per
      // byte): passed through, not re-encoded.
      case "ENVELOPE":
        out.push({ name: "ENVELOPE", encoded: Buffer.from((await structure()).envelope, "latin1") });
        break;
      case "BODY":
      case "BODYSTRUCTURE": {
        const s = await structure();
        out.push({ name: item.type, encoded: Buffer.from(item.type === "BODY" ? s.body : s.bodystructure, "latin1") });
        break;
      }
      case "RFC822":
        out.push({ name: "RFC822", value: await whole() });
        break;
      case "BODY[]": {
        if (item.section.part.length === 0 && !item.section.text && !item.partial) {
          out.push({ name: "BODY[]", section: item.section, value: await whole() });
          break;
        }
        const partial = item.partial ? { offset: item.partial.offset, length: item.partial.length } : undefined;
        const content = extractSection(await message(), sectionName(item.section), partial);
        const value = Buffer.concat(content.chunks, content.size);
        out.push({
          name: "BODY[]",
          section: item.section,
          value,
          ...(item.partial ? { origin: item.partial.offset } : {}),
        });
        break;
      }
      case "RFC822.HEADER":
      case "RFC822.TEXT": {
        const content = extractSection(await message(), item.type === "RFC822.HEADER" ? "HEADER" : "TEXT");
        out.push({ name: item.type, value: Buffer.concat(content.chunks, content.size) });
        break;
      }
      case "BINARY[]": {
        const partial = item.partial ? { offset: item.partial.offset, length: item.partial.length } : undefined;
        const content = extractBinary(await message(), item.part, partial);
        out.push({
          name: "BINARY[]",
          part: item.part,
          value: Buffer.concat(content.chunks, content.size),
          ...(item.partial ? { origin: item.partial.offset } : {}),
        });
        break;
      }
      case "BINARY.SIZE":
        out.push({ name: "BINARY.SIZE", part: item.part, value: extractBinary(await message(), item.part).size });
        break;
      case "EMAILID":
      case "THREADID":
      case "SAVEDATE":
        break; // not advertised
    }
  }
  return out;
}
