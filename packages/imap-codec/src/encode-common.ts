import { EncodeError } from "./errors.js";
import { formatSequenceSet } from "./sequence-set.js";
import type { ImapValue, SequenceSet } from "./types/common.js";
import type { BodySection } from "./types/fetch.js";
import type { ResponseCode } from "./types/response-codes.js";
import type { WireBuilder } from "./wire-builder.js";

/** Shared pieces of the response and command encoders. */

export function seqSet(w: WireBuilder, set: SequenceSet): WireBuilder {
  try {
    return w.raw(formatSequenceSet(set));
  } catch (e) {
    throw new EncodeError((e as Error).message);
  }
}

export function flagList(w: WireBuilder, flags: readonly string[]): WireBuilder {
  w.raw("(");
  flags.forEach((f, i) => {
    if (i > 0) w.raw(" ");
    w.flag(f);
  });
  return w.raw(")");
}

export function spaced<T>(w: WireBuilder, items: readonly T[], each: (item: T) => void): WireBuilder {
  items.forEach((item, i) => {
    if (i > 0) w.raw(" ");
    each(item);
  });
  return w;
}

/** section-spec inside `[...]`. */
export function section(w: WireBuilder, s: BodySection): WireBuilder {
  w.raw(s.part.join("."));
  if (s.text !== undefined) {
    if (s.part.length > 0) w.raw(".");
    w.raw(s.text);
    if (s.text === "HEADER.FIELDS" || s.text === "HEADER.FIELDS.NOT") {
      w.raw(" (");
      spaced(w, s.fields ?? [], (f) => w.astring(f));
      w.raw(")");
    }
  }
  return w;
}

export function value(w: WireBuilder, v: ImapValue): WireBuilder {
  if (v === null) return w.raw("NIL");
  if (typeof v === "number") return w.number(v);
  if (Array.isArray(v)) {
    w.raw("(");
    spaced(w, v, (x) => value(w, x));
    return w.raw(")");
  }
  return w.string(v);
}

export function responseCode(w: WireBuilder, code: ResponseCode): WireBuilder {
  w.raw("[");
  switch (code.name) {
    case "BADCHARSET":
      w.raw("BADCHARSET");
      if (code.charsets.length > 0) {
        w.raw(" (");
        spaced(w, code.charsets, (c) => w.astring(c));
        w.raw(")");
      }
      break;
    case "CAPABILITY":
      w.raw("CAPABILITY ");
      spaced(w, code.capabilities, (c) => w.atom(c));
      break;
    case "PERMANENTFLAGS":
      w.raw("PERMANENTFLAGS ");
      flagList(w, code.flags);
      break;
    case "UIDNEXT":
    case "UIDVALIDITY":
    case "UNSEEN":
      w.raw(`${code.name} `).number(code.value);
      break;
    case "HIGHESTMODSEQ":
      w.raw("HIGHESTMODSEQ ").number(code.modseq);
      break;
    case "APPENDUID":
      w.raw("APPENDUID ").number(code.uidValidity).raw(" ");
      seqSet(w, code.uids);
      break;
    case "COPYUID":
      w.raw("COPYUID ").number(code.uidValidity).raw(" ");
      seqSet(w, code.sourceUids).raw(" ");
      seqSet(w, code.destinationUids);
      break;
    case "MODIFIED":
      w.raw("MODIFIED ");
      seqSet(w, code.set);
      break;
    case "OTHER":
      w.atom(code.atom);
      if (code.text !== undefined) {
        if (/[\]\r\n]/.test(code.text)) throw new EncodeError("response code text must not contain ] or CR/LF");
        w.raw(` ${code.text}`);
      }
      break;
    default:
      w.raw(code.name);
  }
  return w.raw("]");
}

/** resp-text: `[code] text`; text may not hold CR/LF. */
export function respText(w: WireBuilder, code: ResponseCode | undefined, text: string): WireBuilder {
  if (/[\r\n\0]/.test(text)) throw new EncodeError("response text must not contain CR, LF or NUL");
  if (code !== undefined) {
    responseCode(w, code);
    w.raw(" ");
  } else if (text.startsWith("[")) {
    throw new EncodeError('response text starting with "[" would read as a response code');
  }
  return w.raw(text);
}

/** mailbox: astring, with INBOX unquoted. */
export function encodeMailbox(w: WireBuilder, name: string): WireBuilder {
  return w.astring(name);
}
