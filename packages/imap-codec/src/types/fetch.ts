/** Which part of a message a BODY[...] item names (RFC 9051 section 6.4.5). */
export interface BodySection {
  /** Part path, e.g. [1, 2] for `1.2`; empty for the whole message. */
  part: number[];
  /** Text specifier after the part path; absent for the whole part. */
  text?: "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";
  /** Header field names for HEADER.FIELDS / HEADER.FIELDS.NOT. */
  fields?: string[];
}

/** `<offset.length>` of a partial fetch. */
export interface Partial {
  offset: number;
  length: number;
}

export type SimpleFetchAttribute =
  | "ENVELOPE"
  | "FLAGS"
  | "INTERNALDATE"
  | "RFC822"
  | "RFC822.HEADER"
  | "RFC822.SIZE"
  | "RFC822.TEXT"
  | "UID"
  | "BODY"
  | "BODYSTRUCTURE"
  | "MODSEQ"
  | "EMAILID"
  | "THREADID"
  | "SAVEDATE";

/** One fetch attribute of a FETCH command. */
export type FetchAttribute =
  | { type: SimpleFetchAttribute }
  | { type: "BODY[]"; peek: boolean; section: BodySection; partial?: Partial }
  | { type: "BINARY[]"; peek: boolean; part: number[]; partial?: Partial }
  | { type: "BINARY.SIZE"; part: number[] };

export type FetchMacro = "ALL" | "FAST" | "FULL";
