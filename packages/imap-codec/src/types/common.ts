/** A message number in a sequence set: a sequence number or UID, or `*` (the largest in use). */
export type SeqNumber = number | "*";

/** `start:end` (inclusive, in either order as sent); a single number has start === end. */
export interface SeqRange {
  start: SeqNumber;
  end: SeqNumber;
}

/**
 * A sequence set: ranges in the order the peer sent them, or `"$"`, the result of the last
 * SEARCH ... RETURN (SAVE) (RFC 5182 SEARCHRES).
 */
export type SequenceSet = SeqRange[] | "$";

/**
 * A generic IMAP value, as found in BODYSTRUCTURE, extension data and responses this package
 * does not model: NIL, a number, a string (atom, quoted or literal) or a parenthesised list.
 */
export type ImapValue = null | number | string | Buffer | ImapValue[];

/** A search or sort date (`date-text`), kept as the ISO calendar date `YYYY-MM-DD`. */
export type IsoDate = string;
