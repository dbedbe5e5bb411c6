export * from "./command-parser.js";
export { dateTextToIso, formatDateTime, isDateTime, isoToDateText, parseDateTime } from "./dates.js";
export {
  type AppendMessageInput,
  type CommandEncodeOptions,
  type CommandToEncode,
  encodeCommand,
  encodeCommandParts,
} from "./encode-command.js";
export * from "./encode-response.js";
export * from "./errors.js";
export * from "./limits.js";
export * from "./mutf7.js";
export { STATUS_ITEMS } from "./parse-command.js";
export * from "./response-parser.js";
export { responseChunks, responseStream, writeResponse } from "./response-writer.js";
export * from "./sequence-set.js";
export type * from "./types/commands.js";
export type * from "./types/common.js";
export type * from "./types/fetch.js";
export type * from "./types/response-codes.js";
export type * from "./types/responses.js";
export type * from "./types/search.js";
export { partsToBuffer, type WaitForContinuation, type WirePart } from "./wire-builder.js";
