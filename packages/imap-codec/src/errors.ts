/**
 * Machine-readable reasons a parse failed. `recoverable` on the error (not the code) decides
 * whether the connection can go on.
 */
export type ParseErrorCode =
  | "SYNTAX"
  | "UNKNOWN_COMMAND"
  | "BAD_TAG"
  | "LINE_TOO_LONG"
  | "COMMAND_TOO_LARGE"
  | "LITERAL_TOO_LARGE"
  | "NONSYNC_LITERAL_TOO_LARGE"
  | "BAD_LITERAL_SIZE"
  | "TOO_DEEP"
  | "TOO_MANY_ARGUMENTS"
  | "SEQUENCE_SET_TOO_LONG"
  | "UNEXPECTED_DATA"
  | "INPUT_AFTER_CLOSE";

/**
 * A command or response that could not be parsed.
 *
 * - `recoverable: true`: the whole offending command has been consumed (or the client will not
 *   send the rest, as for a rejected synchronizing literal); the server answers `tag BAD` (or
 *   `NO`) and the parser continues with the next command.
 * - `recoverable: false`: the parser cannot find the start of the next command (line too long,
 *   oversized non-synchronizing literal whose bytes are already on the wire, ...). The server
 *   should send `* BYE` and close; the parser ignores any further input.
 */
export class ParseError extends Error {
  override name = "ParseError";
  constructor(
    readonly code: ParseErrorCode,
    message: string,
    readonly recoverable: boolean,
    readonly tag?: string,
  ) {
    super(message);
  }
}

/** A value handed to an encoder cannot be represented on the wire. */
export class EncodeError extends Error {
  override name = "EncodeError";
}

/** A mailbox name is not valid modified UTF-7 (RFC 3501 section 5.1.3). */
export class MailboxNameError extends Error {
  override name = "MailboxNameError";
}
