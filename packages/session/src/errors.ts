/** Base class of this package's errors. */
export class SessionError extends Error {
  override name = "SessionError";
}

/**
 * A caller broke an ordering rule of the map (e.g. appended a UID not above the last one).
 * This is a programming error in the caller or a backend that broke IMAP's UID rules.
 */
export class SequenceMapError extends SessionError {
  override name = "SequenceMapError";
}
