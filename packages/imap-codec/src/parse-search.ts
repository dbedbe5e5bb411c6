import { isDigit } from "./char-classes.js";
import { readSearchDate } from "./dates.js";
import type { Reader } from "./reader.js";
import type { SearchKey, SearchReturnOption } from "./types/search.js";

const FLAG_KEYS = new Set([
  "ALL",
  "ANSWERED",
  "DELETED",
  "DRAFT",
  "FLAGGED",
  "NEW",
  "OLD",
  "RECENT",
  "SEEN",
  "UNANSWERED",
  "UNDELETED",
  "UNDRAFT",
  "UNFLAGGED",
  "UNSEEN",
]);
const STRING_KEYS = new Set(["BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"]);
const DATE_KEYS = new Set(["BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"]);
const RETURN_OPTIONS = new Set(["MIN", "MAX", "ALL", "COUNT", "SAVE"]);

/** One search-key, recursively (NOT, OR and parenthesised lists count towards maxNesting). */
export function readSearchKey(r: Reader): SearchKey {
  const c = r.peek();
  if (c === 0x28) {
    const keys = r.list(() => readSearchKey(r), "search key list");
    if (keys.length === 0) r.fail("empty parenthesised search key");
    return { type: "AND", keys };
  }
  if (isDigit(c) || c === 0x2a || c === 0x24) return { type: "SEQ", set: r.sequenceSet() };
  const key = r.keyword("a search key");
  if (FLAG_KEYS.has(key)) return { type: key as "ALL" };
  if (STRING_KEYS.has(key)) {
    r.sp();
    return { type: key as "BCC", value: r.astring() };
  }
  if (DATE_KEYS.has(key)) {
    r.sp();
    return { type: key as "BEFORE", date: readSearchDate(r) };
  }
  switch (key) {
    case "KEYWORD":
    case "UNKEYWORD":
      r.sp();
      return { type: key, flag: r.atom("a keyword") };
    case "HEADER": {
      r.sp();
      const field = r.astring("a header field name");
      r.sp();
      return { type: "HEADER", field, value: r.astring() };
    }
    case "LARGER":
    case "SMALLER":
      r.sp();
      return { type: key, size: r.number("a size") };
    case "OLDER":
    case "YOUNGER":
      r.sp();
      return { type: key, seconds: r.nzNumber("an interval") };
    case "UID":
      r.sp();
      return { type: "UID", set: r.sequenceSet() };
    case "NOT": {
      r.sp();
      r.enterList();
      const inner = readSearchKey(r);
      r.leaveList();
      return { type: "NOT", key: inner };
    }
    case "OR": {
      r.sp();
      r.enterList();
      const left = readSearchKey(r);
      r.sp();
      const right = readSearchKey(r);
      r.leaveList();
      return { type: "OR", left, right };
    }
    case "MODSEQ": {
      r.sp();
      if (r.peek() === 0x22) {
        const name = r.quoted();
        if (!name.toLowerCase().startsWith("/flags/")) r.fail("MODSEQ entry name must be /flags/<flag>");
        r.sp();
        const kind = r.atom("an entry type").toLowerCase();
        if (kind !== "priv" && kind !== "shared" && kind !== "all")
          r.fail("MODSEQ entry type must be priv, shared or all");
        r.sp();
        return { type: "MODSEQ", modseq: r.number64(), entry: { name, kind } };
      }
      return { type: "MODSEQ", modseq: r.number64() };
    }
    default:
      return r.fail(`unknown search key "${key}"`);
  }
}

/** search-program minus the CHARSET: keys separated by spaces until the end of the command. */
export function readSearchKeys(r: Reader): SearchKey[] {
  const keys = [readSearchKey(r)];
  while (r.trySp()) keys.push(readSearchKey(r));
  return keys;
}

/** `RETURN (opt ...)`: the cursor is after "RETURN". */
export function readReturnOptions(r: Reader): SearchReturnOption[] {
  r.sp();
  return r.list(() => {
    const opt = r.keyword("a RETURN option");
    if (!RETURN_OPTIONS.has(opt)) r.fail(`unknown RETURN option "${opt}"`);
    return opt as SearchReturnOption;
  }, "RETURN options");
}
