import {
  body,
  bodystructure,
  bodyText,
  buildEnvelope,
  headerText,
  headerValues,
  type ParsedMessage,
  parseMessage,
  serializeEnvelope,
} from "@holdfast/mime";

/*
 * Every call into @holdfast/mime lives in this file, so a change of its API is one edit.
 */

/** What FETCH needs without reading the blob again. Strings are byte strings (one char per byte). */
export interface MessageStructure {
  bodystructure: string;
  body: string;
  envelope: string;
  /** RFC822.SIZE: bytes with every bare LF counted as CRLF. */
  size: number;
  /** Lines of the whole message. */
  lines: number;
  /** Header size (RFC822.HEADER length, virtual). */
  headerSize: number;
}

export function computeStructure(message: Uint8Array): MessageStructure {
  const parsed = parseMessage(message);
  const root = parsed.root;
  return {
    bodystructure: bodystructure(parsed.bytes, root),
    body: body(parsed.bytes, root),
    envelope: serializeEnvelope(buildEnvelope(parsed.bytes, root.header.fields)),
    size: parsed.size.virtual,
    lines: parsed.size.lines,
    headerSize: root.headerSize.virtual,
  };
}

/**
 * A message parsed for SEARCH: decoded header values (RFC 2047 words, 8-bit as UTF-8) and
 * the decoded text of its text parts (transfer encoding and charset), from @holdfast/mime.
 */
export class SearchableMessage {
  private readonly parsed: ParsedMessage;
  private bodyTextCache: string | undefined;
  private headerTextCache: string | undefined;

  constructor(bytes: Buffer) {
    this.parsed = parseMessage(bytes);
  }

  /** Every value of a header field (case-insensitive name), unfolded and decoded. */
  header(name: string): string[] {
    return headerValues(this.parsed, name);
  }

  /** True when the message has the field at all (HEADER name "" matches any message that has it). */
  hasHeader(name: string): boolean {
    const lower = name.toLowerCase();
    return this.parsed.root.header.fields.some((f) => f.name === lower && f.hasColon);
  }

  /** The whole header, decoded, for TEXT. */
  headerText(): string {
    this.headerTextCache ??= headerText(this.parsed);
    return this.headerTextCache;
  }

  /** Text of every text part (transfer encoding and charset decoded), for BODY and TEXT. */
  bodyText(): string {
    this.bodyTextCache ??= bodyText(this.parsed);
    return this.bodyTextCache;
  }
}
