/**
 * The "base subject" of RFC 5256 §2.1 for SORT SUBJECT and THREAD=ORDEREDSUBJECT: the
 * decoded subject without reply/forward markers ("Re:", "Fwd:", "[list]" blobs, "(fwd)"
 * trailers, "[Fwd: ...]" wrappers), whitespace collapsed. Input is a raw header value (byte
 * string) or undefined; the result is a JS string (compare it with i;ascii-casemap).
 */
import { decodeHeaderValue } from "./header-decode.js";

const BLOB = /^\[[^[\]]*\][ \t]*/;
const REFWD = /^(re|fwd?)[ \t]*(\[[^[\]]*\][ \t]*)?:/i;

/** Step 3: remove subj-leader = (*subj-blob subj-refwd) / WSP, as long as one matches. */
function removeLeaders(s: string): string {
  for (;;) {
    if (s.startsWith(" ")) {
      s = s.slice(1);
      continue;
    }
    let rest = s;
    let m = BLOB.exec(rest);
    while (m) {
      rest = rest.slice(m[0].length);
      m = BLOB.exec(rest);
    }
    const r = REFWD.exec(rest);
    if (!r) return s;
    s = rest.slice(r[0].length);
  }
}

export function baseSubject(raw: string | undefined): string {
  if (raw === undefined) return "";
  // step 1: decode, turn tabs and line breaks into spaces, collapse runs of spaces
  let s = decodeHeaderValue(raw)
    .replace(/[\t\r\n]/g, " ")
    .replace(/ {2,}/g, " ");
  for (;;) {
    // step 2: trailing "(fwd)" and whitespace
    for (;;) {
      const t = s.replace(/(\(fwd\)| )$/i, "");
      if (t === s) break;
      s = t;
    }
    // steps 3-5: leaders and a leading blob (only if something remains after it)
    for (;;) {
      const before = s;
      s = removeLeaders(s);
      const blob = BLOB.exec(s);
      if (blob && s.length > blob[0].length) s = s.slice(blob[0].length);
      if (s === before) break;
    }
    // step 6: "[fwd: ... ]" wrapper, then start over
    if (/^\[fwd:/i.test(s) && s.endsWith("]")) {
      s = s.slice(5, -1);
      continue;
    }
    return s.trim();
  }
}
