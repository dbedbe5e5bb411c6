import type { ImapValue, SequenceSet } from "./common.js";
import type { BodySection } from "./fetch.js";
import type { ResponseCode } from "./response-codes.js";

export type Status = "OK" | "NO" | "BAD";
export type UntaggedStatus = Status | "PREAUTH" | "BYE";

/**
 * A literal value inside a response. When parsing, large body literals are not kept: the value
 * is a `StreamedLiteral` placeholder and the bytes were delivered as literal-chunk events. When
 * encoding, a `LiteralSource` streams the bytes from a Readable of known length.
 */
export interface StreamedLiteral {
  streamed: true;
  size: number;
  /** Per-parser counter matching the `id` of the literal-start event. */
  id: number;
}

export interface LiteralSource {
  size: number;
  source: AsyncIterable<Buffer | Uint8Array>;
}

export type BodyValue = Buffer | string | null | StreamedLiteral | LiteralSource;

export interface Address {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

export interface Envelope {
  date: string | null;
  subject: string | null;
  from: Address[] | null;
  sender: Address[] | null;
  replyTo: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/** One item of a FETCH response, in the order sent. */
export type FetchResponseItem =
  | { name: "UID" | "RFC822.SIZE"; value: number }
  | { name: "FLAGS"; value: string[] }
  | { name: "INTERNALDATE"; value: string }
  | { name: "MODSEQ"; value: bigint }
  | { name: "ENVELOPE"; value: Envelope }
  /** BODY / BODYSTRUCTURE as the generic list tree (its grammar is produced by @holdfast/mime). */
  | { name: "BODY" | "BODYSTRUCTURE"; value: ImapValue[] }
  /**
   * BODY, BODYSTRUCTURE or ENVELOPE already in wire form (as @holdfast/mime produces them),
   * written exactly as given: re-encoding a value tree could not reproduce details such as
   * multipart bodies following each other without a space (RFC 9051 body-type-mpart).
   * Encoding only; the parser produces the value forms.
   */
  | { name: "BODY" | "BODYSTRUCTURE" | "ENVELOPE"; encoded: Buffer }
  | { name: "BODY[]"; section: BodySection; origin?: number; value: BodyValue }
  | { name: "BINARY[]"; part: number[]; origin?: number; value: BodyValue }
  | { name: "BINARY.SIZE"; part: number[]; value: number }
  | { name: "RFC822" | "RFC822.HEADER" | "RFC822.TEXT"; value: BodyValue }
  | { name: "EMAILID" | "THREADID"; value: string | null }
  | { name: "OTHER"; atom: string; value: ImapValue };

export interface StatusAttributes {
  MESSAGES?: number;
  RECENT?: number;
  UIDNEXT?: number;
  UIDVALIDITY?: number;
  UNSEEN?: number;
  DELETED?: number;
  SIZE?: number;
  HIGHESTMODSEQ?: bigint;
  /** NIL (no limit) is null. */
  APPENDLIMIT?: number | null;
}

export interface NamespaceDescriptor {
  prefix: string;
  delimiter: string | null;
  /** Namespace response extensions: name → values. */
  extensions?: Array<[string, string[]]>;
}

/** A thread: a chain of message numbers, then (optionally) two or more branches. */
export interface ThreadNode {
  ids: number[];
  children: ThreadNode[];
}

/** Untagged server data, discriminated by `type`. */
export type UntaggedData =
  | { type: "STATUS-RESPONSE"; status: UntaggedStatus; code?: ResponseCode; text: string }
  | { type: "CAPABILITY" | "ENABLED"; capabilities: string[] }
  | { type: "FLAGS"; flags: string[] }
  | {
      type: "LIST" | "LSUB";
      attributes: string[];
      delimiter: string | null;
      mailbox: string;
      /** LIST-EXTENDED data items, e.g. ["CHILDINFO", ["SUBSCRIBED"]], ["OLDNAME", ["x"]]. */
      extended?: Array<[string, ImapValue]>;
    }
  | { type: "STATUS"; mailbox: string; attributes: StatusAttributes }
  | {
      type: "NAMESPACE";
      personal: NamespaceDescriptor[] | null;
      other: NamespaceDescriptor[] | null;
      shared: NamespaceDescriptor[] | null;
    }
  | { type: "ID"; params: Array<[string, string | null]> | null }
  | { type: "SEARCH" | "SORT"; numbers: number[]; modseq?: bigint }
  | {
      type: "ESEARCH";
      tag?: string;
      uid: boolean;
      min?: number;
      max?: number;
      all?: SequenceSet;
      count?: number;
      modseq?: bigint;
    }
  | { type: "THREAD"; threads: ThreadNode[] }
  | { type: "EXISTS" | "RECENT"; count: number }
  | { type: "EXPUNGE"; seq: number }
  | { type: "FETCH"; seq: number; items: FetchResponseItem[] }
  | { type: "VANISHED"; earlier: boolean; uids: SequenceSet }
  /** Anything else: its name and the remaining values. */
  | { type: "OTHER"; name: string; values: ImapValue[] };

export type Response =
  | { kind: "untagged"; data: UntaggedData }
  | { kind: "tagged"; tag: string; status: Status; code?: ResponseCode; text: string }
  /** `+ text` or `+ base64`: `text` holds what follows `+ `. */
  | { kind: "continuation"; code?: ResponseCode; text: string };
