/**
 * `; key=value` parameter lists (RFC 2045 §5.1) with RFC 2231 continuations, the way
 * Dovecot presents them in BODYSTRUCTURE: broken parameters are skipped byte by byte,
 * names and values keep their case, `name*0`/`name*1`... are joined (sorted by index) and
 * if any piece was extended (`*0*`) the joined value stays percent-encoded under `name*`
 * with non-extended pieces' `%` escaped; a gap in the indexes keeps the pieces separate.
 */
import type { Rfc822Lexer } from "./rfc822-lexer.js";

/** One parameter, name and value as byte strings (latin1). */
export interface MimeParam {
  name: string;
  value: string;
}

/** Parses one `; key=value`. Returns 0 at end, -1 when broken, 1 with a parameter. */
function parseOne(lx: Rfc822Lexer): { ret: 0 | 1 | -1; key?: string; value?: string } {
  if (lx.atEnd) return { ret: 0 };
  if (lx.peek() !== 0x3b) return { ret: -1 };
  lx.pos++;
  if (!lx.skipLwsp()) return { ret: -1 };
  const key = lx.mimeToken();
  if (lx.peek() !== 0x3d) return { ret: -1 };
  lx.pos++;
  // `key=` at the very end is an empty value (Dovecot keeps it: boundary= gives "")
  if (!lx.skipLwsp()) return lx.broken ? { ret: -1 } : { ret: 1, key, value: "" };
  const c = lx.peek();
  if (c === 0x22) {
    const v = lx.quotedString();
    if (v === undefined || lx.broken) return { ret: -1 };
    return { ret: 1, key, value: v };
  }
  if (c === 0x3d) {
    // Dovecot's workaround for unquoted encoded words: name==?utf-8?b?...?=
    const d = lx.data;
    const start = lx.pos;
    while (lx.pos < d.length) {
      const b = d.charCodeAt(lx.pos);
      if (b === 0x3b || b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a) break;
      lx.pos++;
    }
    const v = d.slice(start, lx.pos);
    lx.skipLwsp();
    return { ret: 1, key, value: v };
  }
  const value = lx.mimeToken();
  return lx.broken ? { ret: -1 } : { ret: 1, key, value };
}

interface Continuation {
  key: string;
  index: number;
  extended: boolean;
  value: string;
}

/** Parses the rest of a header value as a parameter list (after type or disposition). */
export function parseParams(lx: Rfc822Lexer): MimeParam[] {
  const result: MimeParam[] = [];
  const conts: Continuation[] = [];
  for (;;) {
    const r = parseOne(lx);
    if (r.ret === 0) break;
    if (r.ret < 0) {
      if (lx.atEnd) break;
      lx.pos++;
      continue;
    }
    const key = r.key!;
    const value = r.value!;
    const star = key.indexOf("*");
    let handled = false;
    if (star >= 0) {
      let p = star;
      let index = 0;
      if (p + 1 < key.length) {
        p++;
        while (p < key.length && key.charCodeAt(p) >= 0x30 && key.charCodeAt(p) <= 0x39) {
          index = index * 10 + key.charCodeAt(p) - 0x30;
          p++;
        }
      }
      let extended = false;
      if (key[p] === "*") {
        extended = true;
        p++;
      }
      if (p >= key.length) {
        conts.push({ key: key.slice(0, star), index, extended, value });
        handled = true;
      }
    }
    if (!handled) result.push({ name: key, value });
  }
  if (conts.length === 0) return result;
  // stable sort by key (case-insensitive), then index
  const sorted = conts
    .map((c, i) => ({ c, i }))
    .sort((a, b) => {
      const ka = a.c.key.toLowerCase();
      const kb = b.c.key.toLowerCase();
      if (ka !== kb) return ka < kb ? -1 : 1;
      if (a.c.index !== b.c.index) return a.c.index - b.c.index;
      return a.i - b.i;
    })
    .map((x) => x.c);
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i]!;
    const lkey = first.key.toLowerCase();
    let j = i;
    let ok = true;
    let haveExtended = false;
    let nextIndex = 0;
    for (; j < sorted.length && sorted[j]!.key.toLowerCase() === lkey; j++) {
      if (sorted[j]!.index !== nextIndex) ok = false;
      if (sorted[j]!.extended) haveExtended = true;
      nextIndex++;
    }
    if (!ok) {
      for (let k = i; k < j; k++) {
        const c = sorted[k]!;
        result.push({ name: `${c.key}*${c.index}${c.extended ? "*" : ""}`, value: c.value });
      }
    } else {
      let v = !first.extended && haveExtended ? "''" : "";
      for (let k = i; k < j; k++) {
        const c = sorted[k]!;
        v += !c.extended && haveExtended ? c.value.replaceAll("%", "%25") : c.value;
      }
      result.push({ name: haveExtended ? `${first.key}*` : first.key, value: v });
    }
    i = j;
  }
  return result;
}
