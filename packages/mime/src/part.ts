/**
 * The part tree: every part is a pair of byte ranges (header, body) into the message
 * buffer, plus what its MIME header fields say. Invariants: headerStart <= headerEnd <=
 * bodyStart <= bodyEnd <= message length; children follow each other in order inside
 * the body range, except that a sub-part with an empty body may reach past its parent's
 * bodyEnd by one line break (Dovecot ends the parent before the line break that precedes
 * the boundary, and that line break is also the end of the sub-part's header).
 * headerEnd < bodyStart only when a boundary line cut the header short: the line break
 * between them belongs to neither (the body is then empty).
 */
import type { ContentType, Disposition } from "./content-headers.js";
import type { HeaderBlock } from "./header-fields.js";
import type { MimeParam } from "./params.js";

/** Size of a range: bytes as stored, bytes with every bare LF counted as CRLF, and LF count. */
export interface PartSize {
  physical: number;
  /** What IMAP reports (RFC822.SIZE, BODYSTRUCTURE sizes): lines end in CRLF on the wire. */
  virtual: number;
  lines: number;
}

/**
 * `multipart`: has sub-parts; `message`: message/rfc822 whose body was parsed as one
 * encapsulated message (children[0]); `single`: anything else (including a multipart or
 * message/rfc822 beyond the nesting limit, which becomes application/octet-stream).
 */
export type PartKind = "multipart" | "message" | "single";

export interface MimePart {
  kind: PartKind;
  /** 0 for the message itself. */
  depth: number;
  header: HeaderBlock;
  headerStart: number;
  headerEnd: number;
  bodyStart: number;
  bodyEnd: number;
  headerSize: PartSize;
  bodySize: PartSize;
  /**
   * Type and subtype as written (case kept), after defaults: no Content-Type means
   * text/plain (message/rfc822 inside multipart/digest); a broken one gives "" and "".
   */
  type: string;
  subtype: string;
  params: MimeParam[];
  /** True when the part had no Content-Type field (BODYSTRUCTURE shows the default). */
  defaultType: boolean;
  /**
   * True for a MIME part: a sub-part of a multipart, or a message with a MIME-Version
   * field. Dovecot ignores the Content-* fields of a non-MIME part without Content-Type.
   */
  isMime: boolean;
  /** From the first Content-Transfer-Encoding field (what BODYSTRUCTURE shows). */
  transferEncoding: string | undefined;
  /**
   * The last Content-Transfer-Encoding field's token ("" when it is not exactly one token,
   * an unknown encoding): what BINARY decodes with (Dovecot's choice); undefined when there
   * is no such field.
   */
  binaryEncoding: string | undefined;
  id: string | undefined;
  description: string | undefined;
  md5: string | undefined;
  location: string | undefined;
  disposition: Disposition | undefined;
  language: string[] | undefined;
  /** Multipart boundary (without the leading "--"), when there is one. */
  boundary: string | undefined;
  /** True when the part was too deep (or past the part limit) to be split further. */
  overflow: boolean;
  children: MimePart[];
}

export interface ParseOptions {
  /**
   * Parts nested this deep are not split further; a multipart or message/rfc822 part there
   * becomes application/octet-stream. Default 100 (Dovecot's max_nested_mime_parts).
   */
  maxDepth?: number;
  /** Parts beyond this count are not split further. Default 10000 (Dovecot's default). */
  maxParts?: number;
}

export interface ParsedMessage {
  /** The message bytes (the caller's buffer, not a copy). */
  bytes: Buffer;
  root: MimePart;
  /** Whole message size (RFC822.SIZE is `size.virtual`). */
  size: PartSize;
}

export type { ContentType, Disposition, MimeParam };
