/**
 * @holdfast/mime: the MIME structure of a message as byte offsets, and everything IMAP
 * derives from it (BODYSTRUCTURE, BODY, ENVELOPE, BODY[section], BINARY, search text), with
 * Dovecot's exact output. Raw header strings are byte strings (one char per byte, Latin-1).
 */
export { type Address, parseAddressList } from "./address.js";
export { baseSubject } from "./base-subject.js";
export { type BinaryContent, binarySize, extractBinary } from "./binary.js";
export { body, bodystructure } from "./bodystructure.js";
export {
  type ContentType,
  type Disposition,
  parseContentType,
  parseDisposition,
  parseLanguage,
  parseTransferEncoding,
} from "./content-headers.js";
export { buildEnvelope, type Envelope, serializeEnvelope } from "./envelope.js";
export { MimeError, SectionSyntaxError, TransferDecodeError, UnknownCteError } from "./errors.js";
export { fetchBody, fetchBodystructure, fetchEnvelope, messageEnvelope } from "./fetch-items.js";
export {
  bytesToText,
  type DecodedAddress,
  decodeHeaderValue,
  headerAddresses,
  headerValue,
  headerValues,
} from "./header-decode.js";
export { fieldValue, type HeaderBlock, type HeaderField, latin1 } from "./header-fields.js";
export { nstring, nstringForHumans, nstringNoLf, stringForHumans } from "./imap-string.js";
export { parseMessage } from "./message-parser.js";
export type { MimeParam } from "./params.js";
export type { MimePart, ParsedMessage, ParseOptions, PartKind, PartSize } from "./part.js";
export {
  bodyText,
  charsetToText,
  decodedBody,
  headerText,
  searchText,
  type TextOptions,
  textParts,
} from "./search-text.js";
export { extractSection, type Partial, resolvePart, type SectionContent, sectionBytes } from "./section.js";
export { parseSectionSpec, type SectionSpec, type SectionText } from "./section-spec.js";
export { chunksToStream } from "./stream.js";
export {
  fromStructureCache,
  STRUCTURE_CACHE_VERSION,
  StructureCacheError,
  type StructureCacheRecord,
  toStructureCache,
} from "./structure-cache.js";
