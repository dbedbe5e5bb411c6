import { checkKeyword, type MessageInfo, parseUidSet, SystemFlag, type UidSetInput } from "@holdfast/index";
import { BlobDamagedError, StoreInputError } from "./errors.js";
import { SearchableMessage } from "./mime-adapter.js";

/*
 * SEARCH keys as a typed tree (RFC 9051 §6.4.4 plus CONDSTORE MODSEQ). Sequence-number
 * sets are the front end's to turn into UID sets: this tree only knows UIDs. Dates are
 * "YYYY-MM-DD"; internal dates compare by their UTC day, sent dates by the day written in
 * the Date header (its time and zone disregarded, as the RFC says). String matches are
 * case-insensitive substring matches on decoded text.
 */

export type FlagName = "answered" | "deleted" | "flagged" | "seen" | "draft";

export type SearchKey =
  | { type: "all" }
  /** ANSWERED / UNANSWERED (set: false), DELETED, FLAGGED, SEEN, DRAFT and their UN- forms. */
  | { type: "flag"; flag: FlagName; set: boolean }
  /** KEYWORD / UNKEYWORD (set: false). */
  | { type: "keyword"; keyword: string; set: boolean }
  | { type: "new" }
  | { type: "old" }
  | { type: "recent" }
  | { type: "larger"; size: number }
  | { type: "smaller"; size: number }
  /** Internal date. */
  | { type: "before" | "on" | "since"; date: string }
  /** Date header. */
  | { type: "sentbefore" | "senton" | "sentsince"; date: string }
  | { type: "header"; field: string; value: string }
  | { type: "from" | "to" | "cc" | "bcc" | "subject"; value: string }
  | { type: "body" | "text"; value: string }
  | { type: "uid"; uids: UidSetInput | number }
  /** MODSEQ: messages with a MODSEQ at or above. */
  | { type: "modseq"; modseq: number }
  | { type: "not"; key: SearchKey }
  | { type: "or"; left: SearchKey; right: SearchKey }
  | { type: "and"; keys: SearchKey[] };

export interface SearchResult {
  /** Matching UIDs, ascending. */
  uids: number[];
  /** Highest MODSEQ among the matches (for the CONDSTORE (MODSEQ n) response); 0 when none. */
  highestModseq: number;
  /** UIDs whose blob failed its checks: they match no message-content key and are reported here. */
  damaged: number[];
}

const FLAG_BITS: Record<FlagName, number> = {
  answered: SystemFlag.answered,
  deleted: SystemFlag.deleted,
  flagged: SystemFlag.flagged,
  seen: SystemFlag.seen,
  draft: SystemFlag.draft,
};

const MAX_DEPTH = 100;

/** A day as a sortable number (year*10000 + month*100 + day). */
function parseDay(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new StoreInputError(`search date must be YYYY-MM-DD: got ${JSON.stringify(date)}`);
  return Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3]);
}

function utcDay(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** The day written in a Date header value, or undefined. */
export function sentDay(value: string): number | undefined {
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(value);
  if (m) {
    const month = MONTHS.indexOf(m[2]!.toLowerCase());
    if (month >= 0) {
      let year = Number(m[3]);
      if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
      else if (m[3]!.length === 3) year += 1900;
      return year * 10000 + (month + 1) * 100 + Number(m[1]);
    }
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : utcDay(t);
}

/** A checked copy of a key tree (dates parsed, UID sets normalised); throws StoreInputError. */
type Compiled =
  | { t: "const"; v: boolean }
  | { t: "flag"; bit: number; set: boolean }
  | { t: "keyword"; keyword: string; set: boolean }
  | { t: "new" }
  | { t: "recent" }
  | { t: "size"; larger: boolean; n: number }
  | { t: "date"; sent: boolean; op: "before" | "on" | "since"; day: number }
  | { t: "header"; field: string; value: string }
  | { t: "body"; withHeader: boolean; value: string }
  | { t: "uid"; ranges: number[] | string }
  | { t: "modseq"; n: number }
  | { t: "not"; k: Compiled }
  | { t: "or"; a: Compiled; b: Compiled }
  | { t: "and"; ks: Compiled[] };

export function compileSearch(key: SearchKey, depth = 0): Compiled {
  if (depth > MAX_DEPTH) throw new StoreInputError("search key nested too deeply");
  if (typeof key !== "object" || key === null) throw new StoreInputError("search key must be an object");
  const str = (v: unknown, what: string): string => {
    if (typeof v !== "string") throw new StoreInputError(`${what} must be a string`);
    return v.toLowerCase();
  };
  const num = (v: unknown, what: string): number => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw new StoreInputError(`${what} must be a non-negative integer`);
    return v;
  };
  switch (key.type) {
    case "all":
      return { t: "const", v: true };
    case "flag": {
      const bit = FLAG_BITS[key.flag];
      if (bit === undefined) throw new StoreInputError(`unknown search flag ${String(key.flag)}`);
      return { t: "flag", bit, set: key.set !== false };
    }
    case "keyword":
      try {
        checkKeyword(key.keyword);
      } catch (error) {
        throw new StoreInputError((error as Error).message);
      }
      return { t: "keyword", keyword: key.keyword.toLowerCase(), set: key.set !== false };
    case "new":
      return { t: "new" };
    case "old":
      return { t: "not", k: { t: "recent" } };
    case "recent":
      return { t: "recent" };
    case "larger":
    case "smaller":
      return { t: "size", larger: key.type === "larger", n: num(key.size, "size") };
    case "before":
    case "on":
    case "since":
      return { t: "date", sent: false, op: key.type, day: parseDay(key.date) };
    case "sentbefore":
    case "senton":
    case "sentsince":
      return {
        t: "date",
        sent: true,
        op: key.type === "sentbefore" ? "before" : key.type === "senton" ? "on" : "since",
        day: parseDay(key.date),
      };
    case "header": {
      const field = str(key.field, "header field name");
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(field)) throw new StoreInputError("bad header field name");
      return { t: "header", field, value: str(key.value, "search string") };
    }
    case "from":
    case "to":
    case "cc":
    case "bcc":
    case "subject":
      return { t: "header", field: key.type, value: str(key.value, "search string") };
    case "body":
    case "text":
      return { t: "body", withHeader: key.type === "text", value: str(key.value, "search string") };
    case "uid":
      try {
        const input = typeof key.uids === "number" ? [key.uids] : key.uids;
        return { t: "uid", ranges: typeof input === "string" && input.includes("*") ? input : parseUidSet(input) };
      } catch (error) {
        throw new StoreInputError((error as Error).message);
      }
    case "modseq":
      return { t: "modseq", n: num(key.modseq, "modseq") };
    case "not":
      return { t: "not", k: compileSearch(key.key, depth + 1) };
    case "or":
      return { t: "or", a: compileSearch(key.left, depth + 1), b: compileSearch(key.right, depth + 1) };
    case "and":
      if (!Array.isArray(key.keys)) throw new StoreInputError("and needs a list of keys");
      return { t: "and", ks: key.keys.map((k) => compileSearch(k, depth + 1)) };
    default:
      throw new StoreInputError(`unknown search key ${JSON.stringify((key as { type?: unknown }).type)}`);
  }
}

function inRanges(ranges: readonly number[], uid: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (uid >= ranges[i]! && uid <= ranges[i + 1]!) return true;
  return false;
}

function compareDay(op: "before" | "on" | "since", day: number, wanted: number): boolean {
  return op === "before" ? day < wanted : op === "on" ? day === wanted : day >= wanted;
}

interface Ctx {
  info: MessageInfo;
  /** Largest UID in the mailbox ("*" in UID sets). */
  largest: number;
  /** The parsed message, when loaded; undefined means "not loaded yet". */
  message: SearchableMessage | undefined | null;
}

/**
 * Three-valued evaluation: undefined means "needs the message". A first pass without the
 * message decides most keys from index fields alone; only undecided messages are read.
 */
function evaluate(k: Compiled, c: Ctx): boolean | undefined {
  const info = c.info;
  switch (k.t) {
    case "const":
      return k.v;
    case "flag":
      return ((info.systemFlags & k.bit) !== 0) === k.set;
    case "keyword":
      return info.keywords.some((w) => w.toLowerCase() === k.keyword) === k.set;
    case "new":
      return info.recent && (info.systemFlags & SystemFlag.seen) === 0;
    case "recent":
      return info.recent;
    case "size":
      return k.larger ? info.size > k.n : info.size < k.n;
    case "date": {
      if (!k.sent) return compareDay(k.op, utcDay(info.internalDate), k.day);
      if (c.message === undefined) return undefined;
      if (c.message === null) return false;
      const value = c.message.header("date")[0];
      const day = value === undefined ? undefined : sentDay(value);
      return day === undefined ? false : compareDay(k.op, day, k.day);
    }
    case "header":
      if (c.message === undefined) return undefined;
      if (c.message === null) return false;
      if (k.value === "") return c.message.hasHeader(k.field);
      return c.message.header(k.field).some((v) => v.toLowerCase().includes(k.value));
    case "body": {
      if (c.message === undefined) return undefined;
      if (c.message === null) return false;
      if (k.withHeader && c.message.headerText().toLowerCase().includes(k.value)) return true;
      return c.message.bodyText().toLowerCase().includes(k.value);
    }
    case "uid": {
      const ranges = typeof k.ranges === "string" ? parseUidSet(k.ranges, c.largest) : k.ranges;
      return inRanges(ranges, info.uid);
    }
    case "modseq":
      return info.modseq >= k.n;
    case "not": {
      const v = evaluate(k.k, c);
      return v === undefined ? undefined : !v;
    }
    case "or": {
      const a = evaluate(k.a, c);
      if (a === true) return true;
      const b = evaluate(k.b, c);
      if (b === true) return true;
      return a === false && b === false ? false : undefined;
    }
    case "and": {
      let unknown = false;
      for (const sub of k.ks) {
        const v = evaluate(sub, c);
        if (v === false) return false;
        if (v === undefined) unknown = true;
      }
      return unknown ? undefined : true;
    }
  }
}

/**
 * Run a search over the messages `uids` (ascending), reading message bytes through `load`
 * only for messages the index fields cannot decide.
 */
export async function searchMessages(
  uids: ArrayLike<number>,
  get: (uid: number) => MessageInfo | undefined,
  key: SearchKey,
  load: (info: MessageInfo) => Promise<Buffer>,
): Promise<SearchResult> {
  const compiled = compileSearch(key);
  const largest = uids.length > 0 ? uids[uids.length - 1]! : 0;
  const out: number[] = [];
  const damaged: number[] = [];
  let highestModseq = 0;
  for (let i = 0; i < uids.length; i++) {
    const info = get(uids[i]!);
    if (!info) continue;
    const c: Ctx = { info, largest, message: undefined };
    let v = evaluate(compiled, c);
    if (v === undefined) {
      try {
        c.message = new SearchableMessage(await load(info));
      } catch (error) {
        if (!(error instanceof BlobDamagedError)) throw error;
        c.message = null;
        damaged.push(info.uid);
      }
      v = evaluate(compiled, c) === true;
    }
    if (v) {
      out.push(info.uid);
      if (info.modseq > highestModseq) highestModseq = info.modseq;
    }
  }
  return { uids: out, highestModseq, damaged };
}
