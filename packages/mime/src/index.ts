export { type Address, parseAddressList } from "./address.js";
export { body, bodystructure } from "./bodystructure.js";
export { buildEnvelope, type Envelope, serializeEnvelope } from "./envelope.js";
export { MimeError, SectionSyntaxError, UnknownCteError } from "./errors.js";
export { parseMessage } from "./message-parser.js";
export type { MimePart, ParsedMessage, ParseOptions, PartKind, PartSize } from "./part.js";
