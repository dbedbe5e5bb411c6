export { type Address, parseAddressList } from "./address.js";
export { type BinaryContent, binarySize, extractBinary } from "./binary.js";
export { body, bodystructure } from "./bodystructure.js";
export { buildEnvelope, type Envelope, serializeEnvelope } from "./envelope.js";
export { MimeError, SectionSyntaxError, TransferDecodeError, UnknownCteError } from "./errors.js";
export { parseMessage } from "./message-parser.js";
export type { MimePart, ParsedMessage, ParseOptions, PartKind, PartSize } from "./part.js";
export { extractSection, type Partial, resolvePart, type SectionContent, sectionBytes } from "./section.js";
export { parseSectionSpec, type SectionSpec, type SectionText } from "./section-spec.js";
