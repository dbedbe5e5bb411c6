/**
 * Splits a message into its part tree without copying it, following Dovecot's
 * lib-mail message-parser so that offsets, sizes and line counts match Dovecot's:
 *
 * - A boundary line is a line that starts with "--" + boundary of any enclosing multipart
 *   (a prefix match; innermost first); "--" right after it makes it a closing boundary.
 *   Whatever else is on the line is ignored.
 * - The line break before a boundary line belongs to the boundary, not to the part, when
 *   it is a body line break (not the end of a header or of another boundary line).
 * - Boundaries are looked for before every header line too: a part whose header runs into
 *   a boundary has an empty body.
 * - A multipart ends at its closing boundary plus epilogue, at a boundary of an enclosing
 *   multipart, or at the end of data; a missing closing boundary is not an error.
 * - message/rfc822 holds one encapsulated message, whatever its transfer encoding says.
 * - Past `maxDepth` (or `maxParts`) a multipart or message part is not split further and
 *   becomes application/octet-stream, as in Dovecot.
 */
import { parseContentType, parseDisposition, parseLanguage, parseTransferEncoding } from "./content-headers.js";
import { fieldValue, firstField, lastField, parseHeaderBlock } from "./header-fields.js";
import { addSizes, measure, ZERO_SIZE } from "./line-counts.js";
import type { MimePart, ParsedMessage, ParseOptions, PartSize } from "./part.js";

interface Boundary {
  /** "--" + boundary, as bytes. */
  bytes: Buffer;
}

/** Where a body stopped: the boundary line that ended it, or the end of data. */
interface Stop {
  /** Index in the boundary stack of the boundary matched; -1 at end of data. */
  level: number;
  lineStart: number;
  /** Offset just past the boundary line (its terminator included). */
  lineEnd: number;
  close: boolean;
  /**
   * Where the scan that found this line started (a body, an epilogue, or the line itself
   * when a header ran into it). The line break before the boundary line is taken off the
   * parts that end here only if it lies after this point: a line break that ended a header
   * or a boundary line stays where it is (Dovecot's parser holds back only body line breaks).
   */
  scanStart: number;
}

interface Ctx {
  buf: Buffer;
  len: number;
  stack: Boundary[];
  maxDepth: number;
  maxParts: number;
  parts: number;
}

const DASH_DASH = Buffer.from("--");

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function parseMessage(bytes: Uint8Array, options: ParseOptions = {}): ParsedMessage {
  const buf = toBuffer(bytes);
  const ctx: Ctx = {
    buf,
    len: buf.length,
    stack: [],
    maxDepth: Math.max(1, options.maxDepth ?? 100),
    maxParts: Math.max(1, options.maxParts ?? 10000),
    parts: 0,
  };
  const { part } = parsePart(ctx, 0, 0, false, false);
  return { bytes: buf, root: part, size: measure(buf, 0, buf.length) };
}

/** Which boundary (index in the stack, innermost first) the line at `pos` matches, or -1. */
function boundaryAt(ctx: Ctx, pos: number): number {
  const { buf, stack } = ctx;
  if (buf[pos] !== 0x2d || buf[pos + 1] !== 0x2d) return -1;
  for (let i = stack.length - 1; i >= 0; i--) {
    const b = stack[i]!.bytes;
    if (pos + b.length <= ctx.len && buf.compare(b, 0, b.length, pos, pos + b.length) === 0) return i;
  }
  return -1;
}

function stopAt(ctx: Ctx, lineStart: number, level: number, scanStart: number): Stop {
  const { buf } = ctx;
  const b = ctx.stack[level]!.bytes;
  const after = lineStart + b.length;
  const close = buf[after] === 0x2d && buf[after + 1] === 0x2d;
  const eol = buf.indexOf(0x0a, after);
  return { level, lineStart, lineEnd: eol < 0 ? ctx.len : eol + 1, close, scanStart };
}

/** The next boundary line at or after `pos` (a line start), or end of data. */
function findBoundary(ctx: Ctx, pos: number): Stop {
  if (ctx.stack.length === 0) return { level: -1, lineStart: ctx.len, lineEnd: ctx.len, close: false, scanStart: pos };
  const { buf } = ctx;
  let line = pos;
  while (line < ctx.len) {
    if (buf[line] === 0x2d) {
      const level = boundaryAt(ctx, line);
      if (level >= 0) return stopAt(ctx, line, level, pos);
    }
    const next = buf.indexOf(DASH_DASH, line + 1);
    if (next < 0) break;
    // only a "--" at the start of a line counts
    if (buf[next - 1] === 0x0a) {
      line = next;
    } else {
      const eol = buf.indexOf(0x0a, next);
      if (eol < 0) break;
      line = eol + 1;
    }
  }
  return { level: -1, lineStart: ctx.len, lineEnd: ctx.len, close: false, scanStart: pos };
}

/** End of the content before a boundary line: the line break before it is the boundary's. */
function endBefore(ctx: Ctx, stop: Stop): number {
  if (stop.level < 0) return ctx.len;
  let end = stop.lineStart;
  if (end > stop.scanStart && ctx.buf[end - 1] === 0x0a) {
    end--;
    if (end > stop.scanStart && ctx.buf[end - 1] === 0x0d) end--;
  }
  return end;
}

function eqi(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b;
}

function parsePart(
  ctx: Ctx,
  start: number,
  depth: number,
  inDigest: boolean,
  inMultipart: boolean,
): { part: MimePart; stop: Stop } {
  ctx.parts++;
  const { buf } = ctx;
  const header = parseHeaderBlock(
    buf,
    start,
    ctx.len,
    ctx.stack.length > 0 ? (pos) => boundaryAt(ctx, pos) >= 0 : undefined,
  );
  const fields = header.fields;
  const get = (name: string) => {
    const f = firstField(fields, name);
    return f ? fieldValue(buf, f) : undefined;
  };
  const ctValue = get("content-type");
  let type: string;
  let subtype: string;
  let params: MimePart["params"] = [];
  if (ctValue === undefined) {
    type = inDigest ? "message" : "text";
    subtype = inDigest ? "rfc822" : "plain";
  } else {
    const ct = parseContentType(ctValue);
    type = ct.type;
    subtype = ct.subtype;
    params = ct.params;
  }
  const cteValue = get("content-transfer-encoding");
  const transferEncoding = cteValue === undefined ? undefined : parseTransferEncoding(cteValue);
  const lastCte = lastField(fields, "content-transfer-encoding");
  // BINARY reads the last field; one that is not exactly one token is an unknown encoding
  const binaryEncoding = lastCte ? (parseTransferEncoding(fieldValue(buf, lastCte)) ?? "") : undefined;
  const dispValue = get("content-disposition");
  const langValue = get("content-language");
  // "multipart" without a subtype is not split; Dovecot then shows application/octet-stream
  const isMultipart = eqi(type, "multipart") && subtype !== "";
  if (eqi(type, "multipart") && subtype === "") {
    type = "application";
    subtype = "octet-stream";
  }
  // Dovecot parses message/rfc822 as a message whatever its Content-Transfer-Encoding says
  const isMessage = eqi(type, "message") && eqi(subtype, "rfc822");
  let overflow = false;
  if ((isMultipart || isMessage) && (depth + 1 >= ctx.maxDepth || ctx.parts >= ctx.maxParts)) {
    overflow = true;
    type = "application";
    subtype = "octet-stream";
  }
  let boundary: string | undefined;
  if (isMultipart && !overflow) {
    for (const p of params) {
      if (p.name.toLowerCase() === "boundary") {
        boundary = p.value;
        break;
      }
    }
  }
  const part: MimePart = {
    kind: overflow ? "single" : isMultipart ? "multipart" : isMessage ? "message" : "single",
    depth,
    header,
    headerStart: start,
    headerEnd: header.end,
    bodyStart: header.stoppedAt ?? header.end,
    bodyEnd: header.stoppedAt ?? header.end,
    headerSize: measure(buf, start, header.end),
    bodySize: ZERO_SIZE,
    type,
    subtype,
    params,
    defaultType: ctValue === undefined,
    isMime: inMultipart || firstField(fields, "mime-version") !== undefined,
    transferEncoding,
    binaryEncoding,
    id: get("content-id"),
    description: get("content-description"),
    md5: get("content-md5"),
    location: get("content-location"),
    disposition: dispValue === undefined ? undefined : parseDisposition(dispValue),
    language: langValue === undefined ? undefined : parseLanguage(langValue),
    boundary,
    overflow,
    children: [],
  };
  const bodyStart = header.end;
  let stop: Stop;
  if (header.stoppedAt !== undefined) {
    // the header ran into a boundary line: no body
    stop = findBoundary(ctx, header.stoppedAt);
    part.bodySize = ZERO_SIZE;
    return { part, stop };
  }
  if (part.kind === "multipart" && boundary !== undefined) {
    stop = parseMultipartBody(ctx, part, boundary);
  } else if (part.kind === "message") {
    const inner = parsePart(ctx, bodyStart, depth + 1, false, false);
    part.children.push(inner.part);
    stop = inner.stop;
    part.bodyEnd = inner.part.bodyEnd;
    part.bodySize = extentSize(ctx, inner.part);
    const ih = inner.part.header;
    if (ih.stoppedAt === ih.start && ih.start === part.headerEnd && part.header.hasEoh) {
      // an empty encapsulated message right before a boundary
      giveLineBreakToBoundary(ctx, part);
    }
    return { part, stop };
  } else {
    stop = findBoundary(ctx, bodyStart);
    part.bodyEnd = endBefore(ctx, stop);
    if (stop.level >= 0 && stop.lineStart === bodyStart) giveLineBreakToBoundary(ctx, part);
  }
  part.bodySize = bodySizeOf(ctx, part);
  return { part, stop };
}

/**
 * A boundary line right after the header: Dovecot gives the header's last line break (the
 * empty line's) to the boundary, so the header ends before it; the bytes stay between
 * headerEnd and bodyStart and still count for the enclosing parts.
 */
function giveLineBreakToBoundary(ctx: Ctx, part: MimePart): void {
  const buf = ctx.buf;
  let end = part.headerEnd;
  if (end > part.headerStart && buf[end - 1] === 0x0a) {
    end--;
    if (end > part.headerStart && buf[end - 1] === 0x0d) end--;
  }
  part.headerEnd = end;
  part.headerSize = measure(buf, part.headerStart, end);
}

function parseMultipartBody(ctx: Ctx, part: MimePart, boundary: string): Stop {
  const own = ctx.stack.length;
  ctx.stack.push({ bytes: Buffer.from(`--${boundary}`, "latin1") });
  const isDigest = eqi(part.subtype, "digest");
  let stop = findBoundary(ctx, part.bodyStart);
  for (;;) {
    if (stop.level === own && !stop.close) {
      const child = parsePart(ctx, stop.lineEnd, part.depth + 1, isDigest, true);
      part.children.push(child.part);
      stop = child.stop;
      continue;
    }
    if (stop.level === own && stop.close) {
      // closing boundary: the epilogue runs to an enclosing boundary or the end
      ctx.stack.pop();
      const epilogue = stop.lineEnd;
      stop = findBoundary(ctx, epilogue);
      part.bodyEnd = endBefore(ctx, stop);
      return stop;
    }
    // an enclosing multipart's boundary, or the end of data
    ctx.stack.pop();
    part.bodyEnd = endBefore(ctx, stop);
    if (part.children.length === 0 && stop.level >= 0 && stop.lineStart === part.bodyStart) {
      giveLineBreakToBoundary(ctx, part);
    }
    return stop;
  }
}

/** Body size of a finished part; for a multipart, from its children and the gaps between. */
function bodySizeOf(ctx: Ctx, part: MimePart): PartSize {
  if (part.kind !== "multipart" || part.children.length === 0) {
    return measure(ctx.buf, part.bodyStart, part.bodyEnd);
  }
  let size = ZERO_SIZE;
  let pos = part.bodyStart;
  for (const c of part.children) {
    size = addSizes(size, measure(ctx.buf, pos, c.headerStart));
    size = addSizes(size, extentSize(ctx, c));
    pos = c.bodyEnd;
  }
  return addSizes(size, measure(ctx.buf, pos, part.bodyEnd));
}

/** Size of a finished part from its header start to its body end. */
function extentSize(ctx: Ctx, part: MimePart): PartSize {
  const gap = part.bodyStart > part.headerEnd ? measure(ctx.buf, part.headerEnd, part.bodyStart) : ZERO_SIZE;
  return addSizes(addSizes(part.headerSize, gap), part.bodySize);
}
