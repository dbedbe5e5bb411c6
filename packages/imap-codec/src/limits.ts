/**
 * Resource limits of the parsers. Every byte a peer sends is bounded by one of these, so the
 * memory one connection can pin is roughly maxLineLength + maxCommandSize + held input, no
 * matter what the peer sends.
 */
export interface Limits {
  /** Longest physical line (bytes between two CRLF, literal bytes excluded). Exceeding it is fatal. */
  maxLineLength: number;
  /** Largest literal accepted at all (APPEND message bodies, streamed FETCH bodies). */
  maxLiteralSize: number;
  /** Largest literal that is accumulated in memory (LOGIN, SEARCH, mailbox names, ...). */
  maxInlineLiteral: number;
  /** Total bytes of one command or response kept in memory (lines plus inline literals). */
  maxCommandSize: number;
  /** Deepest nesting of parenthesised lists (search keys, BODYSTRUCTURE, thread lists). */
  maxNesting: number;
  /** Most arguments (atoms, strings, numbers) in one command or response. */
  maxArguments: number;
  /** Most ranges in one sequence set. */
  maxSequenceSetLength: number;
  /**
   * Largest non-synchronizing literal accepted when LITERAL+ is not enabled (RFC 7888 LITERAL-:
   * 4096). Ignored when `literalPlus` is true.
   */
  maxNonSyncLiteral: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLineLength: 64 * 1024,
  maxLiteralSize: 64 * 1024 * 1024,
  maxInlineLiteral: 64 * 1024,
  maxCommandSize: 1024 * 1024,
  maxNesting: 32,
  maxArguments: 100_000,
  maxSequenceSetLength: 10_000,
  maxNonSyncLiteral: 4096,
});

/**
 * Defaults of the client-side response parser. Servers legitimately send much longer lines
 * than clients (a SEARCH answer on a mailbox of a million messages is one ~8 MB line), and a
 * backend is a peer the proxy chose, so these bounds are wider; still finite.
 */
export const DEFAULT_RESPONSE_LIMITS: Readonly<Limits> = Object.freeze({
  ...DEFAULT_LIMITS,
  maxLineLength: 32 * 1024 * 1024,
  maxCommandSize: 64 * 1024 * 1024,
  maxInlineLiteral: 1024 * 1024,
  maxArguments: 10_000_000,
  maxSequenceSetLength: 1_000_000,
});

/** Fills the unset fields of a partial limit set with the defaults. */
export function resolveLimits(partial?: Partial<Limits>, defaults: Readonly<Limits> = DEFAULT_LIMITS): Limits {
  return { ...defaults, ...partial };
}
