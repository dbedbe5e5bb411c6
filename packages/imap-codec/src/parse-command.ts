import { TAG_CHAR } from "./char-classes.js";
import { readDateTime } from "./dates.js";
import type { Limits } from "./limits.js";
import { FETCH_MACROS, readFetchAttribute, readItemName } from "./parse-fetch-items.js";
import { readReturnOptions, readSearchKeys } from "./parse-search.js";
import { type LiteralPart, type Part, Reader, SyntaxFail } from "./reader.js";
import type {
  AppendMessage,
  Command,
  ListReturnOptions,
  QresyncParam,
  StatusItem,
  StoreAction,
} from "./types/commands.js";
import type { FetchAttribute, FetchMacro } from "./types/fetch.js";
import type { SearchReturnOption, SortCriterion } from "./types/search.js";

/** The STATUS data items, in the order servers conventionally list them in a STATUS response. */
export const STATUS_ITEMS: ReadonlySet<string> = new Set<string>([
  "MESSAGES",
  "RECENT",
  "UIDNEXT",
  "UIDVALIDITY",
  "UNSEEN",
  "DELETED",
  "SIZE",
  "HIGHESTMODSEQ",
  "APPENDLIMIT",
]);

/** Reads the tag at the start of a command. */
function readTag(r: Reader): string {
  return r.chars(TAG_CHAR, "a tag");
}

/** The tag of a command's first line if it looks like one (for error reports), else undefined. */
export function peekTag(first: Buffer): string | undefined {
  let i = 0;
  while (i < first.length && i < 64 && TAG_CHAR[first[i]!] === 1) i++;
  if (i === 0 || (i < first.length && first[i] !== 0x20)) return undefined;
  return first.toString("latin1", 0, i);
}

/** Parses a complete command (all lines and literals assembled). Throws SyntaxFail. */
export function parseCommand(parts: Part[], limits: Limits): Command {
  const r = new Reader(parts, limits);
  const tag = readTag(r);
  r.sp();
  let name = r.keyword("a command name");
  let uid = false;
  if (name === "UID") {
    uid = true;
    r.sp();
    name = r.keyword("a command name after UID");
    if (!["FETCH", "STORE", "COPY", "MOVE", "SEARCH", "EXPUNGE", "SORT", "THREAD"].includes(name)) {
      r.fail(`UID ${name} is not a command`);
    }
  }
  const cmd = parseArguments(r, tag, name, uid);
  r.end();
  return cmd;
}

function parseArguments(r: Reader, tag: string, name: string, uid: boolean): Command {
  switch (name) {
    case "CAPABILITY":
    case "NOOP":
    case "LOGOUT":
    case "STARTTLS":
    case "CHECK":
    case "CLOSE":
    case "UNSELECT":
    case "NAMESPACE":
    case "IDLE":
      return { tag, name };
    case "EXPUNGE":
      if (uid) {
        r.sp();
        return { tag, name, uid: true, set: r.sequenceSet() };
      }
      return { tag, name, uid: false };
    case "AUTHENTICATE": {
      r.sp();
      const mechanism = r.atom("a SASL mechanism").toUpperCase();
      if (r.trySp()) {
        // SASL-IR: base64 or "=" for an empty initial response
        const initialResponse = r.atom("an initial response");
        if (initialResponse !== "=" && !/^[A-Za-z0-9+/]*={0,2}$/.test(initialResponse)) {
          r.fail("initial response is not base64");
        }
        return { tag, name, mechanism, initialResponse };
      }
      return { tag, name, mechanism };
    }
    case "LOGIN": {
      r.sp();
      const username = r.astring("a user name");
      r.sp();
      return { tag, name, username, password: r.astring("a password") };
    }
    case "ENABLE": {
      const capabilities: string[] = [];
      while (r.trySp()) capabilities.push(r.atom("a capability").toUpperCase());
      if (capabilities.length === 0) r.fail("ENABLE needs at least one capability");
      return { tag, name, capabilities };
    }
    case "SELECT":
    case "EXAMINE":
      return parseSelect(r, tag, name);
    case "CREATE": {
      r.sp();
      const mailbox = r.mailbox();
      if (r.trySp()) {
        // create-param list; USE (RFC 6154) is the one modelled
        let specialUse: string[] | undefined;
        r.list(() => {
          const param = r.keyword("a CREATE parameter");
          if (param !== "USE") r.fail(`unknown CREATE parameter "${param}"`);
          r.sp();
          specialUse = r.list(() => r.flag(), "USE attributes");
        }, "CREATE parameters");
        return specialUse === undefined ? { tag, name, mailbox } : { tag, name, mailbox, specialUse };
      }
      return { tag, name, mailbox };
    }
    case "DELETE":
    case "SUBSCRIBE":
    case "UNSUBSCRIBE":
      r.sp();
      return { tag, name, mailbox: r.mailbox() };
    case "RENAME": {
      r.sp();
      const from = r.mailbox();
      r.sp();
      return { tag, name, from, to: r.mailbox() };
    }
    case "LIST":
      return parseList(r, tag);
    case "LSUB": {
      r.sp();
      const reference = r.mailbox();
      r.sp();
      return { tag, name, reference, pattern: r.listMailbox() };
    }
    case "STATUS": {
      r.sp();
      const mailbox = r.mailbox();
      r.sp();
      return { tag, name, mailbox, items: readStatusItems(r) };
    }
    case "APPEND":
      return parseAppend(r, tag);
    case "SEARCH":
      return parseSearch(r, tag, uid);
    case "FETCH":
      return parseFetch(r, tag, uid);
    case "STORE":
      return parseStore(r, tag, uid);
    case "COPY":
    case "MOVE": {
      r.sp();
      const set = r.sequenceSet();
      r.sp();
      return { tag, name, uid, set, mailbox: r.mailbox() };
    }
    case "ID": {
      r.sp();
      return { tag, name, params: readIdParams(r) };
    }
    case "SORT":
      return parseSort(r, tag, uid);
    case "THREAD": {
      r.sp();
      const algorithm = r.atom("a thread algorithm").toUpperCase();
      r.sp();
      const charset = r.astring("a charset");
      r.sp();
      useCharset(r, charset);
      return { tag, name, uid, algorithm, charset, search: readSearchKeys(r) };
    }
    default:
      throw new SyntaxFail(`unknown command "${name.slice(0, 40)}"`, "UNKNOWN_COMMAND");
  }
}

/**
 * Search strings in a CHARSET other than UTF-8/US-ASCII are decoded byte for byte (latin1),
 * so `Buffer.from(value, "latin1")` restores exactly what the client sent.
 */
function useCharset(r: Reader, charset: string): void {
  const cs = charset.toUpperCase();
  if (cs !== "UTF-8" && cs !== "US-ASCII" && cs !== "UTF8") r.decoding = "latin1";
}

export function readStatusItems(r: Reader): StatusItem[] {
  const items = r.list(() => {
    const item = r.keyword("a status item");
    if (!STATUS_ITEMS.has(item)) r.fail(`unknown status item "${item}"`);
    return item as StatusItem;
  }, "status items");
  // status-att-list = status-att *(SP status-att): at least one (RFC 9051 §9)
  if (items.length === 0) r.fail("empty status item list");
  return items;
}

/** id-params-list = "(" *(string SP nstring) ")" / NIL */
export function readIdParams(r: Reader): Array<[string, string | null]> | null {
  if (r.tryKeyword("NIL")) return null;
  r.expect(0x28, "( or NIL");
  r.enterList();
  const params: Array<[string, string | null]> = [];
  if (r.peek() !== 0x29) {
    do {
      const key = r.string();
      r.sp();
      params.push([key, r.nstring()]);
    } while (r.trySp());
  }
  r.expect(0x29, ") closing ID parameters");
  r.leaveList();
  return params;
}

function parseSelect(r: Reader, tag: string, name: "SELECT" | "EXAMINE"): Command {
  r.sp();
  const mailbox = r.mailbox();
  let condstore = false;
  let qresync: QresyncParam | undefined;
  if (r.trySp()) {
    r.list(() => {
      const param = r.keyword("a SELECT parameter");
      if (param === "CONDSTORE") {
        condstore = true;
        return;
      }
      if (param !== "QRESYNC") r.fail(`unknown SELECT parameter "${param}"`);
      r.sp();
      r.expect(0x28, "( after QRESYNC");
      r.enterList();
      const uidValidity = r.nzNumber("a UIDVALIDITY");
      r.sp();
      const q: QresyncParam = { uidValidity, modseq: r.number64() };
      if (r.trySp()) {
        if (r.peek() !== 0x28) {
          q.knownUids = r.sequenceSet();
          r.trySp();
        }
        if (r.peek() === 0x28) {
          r.pos++;
          const seqs = r.sequenceSet();
          r.sp();
          q.seqMatch = { seqs, uids: r.sequenceSet() };
          r.expect(0x29, ") closing seq-match-data");
        }
      }
      r.expect(0x29, ") closing QRESYNC");
      r.leaveList();
      qresync = q;
    }, "SELECT parameters");
  }
  return qresync === undefined ? { tag, name, mailbox, condstore } : { tag, name, mailbox, condstore, qresync };
}

function parseList(r: Reader, tag: string): Command {
  r.sp();
  let extended = false;
  let selection: string[] = [];
  if (r.peek() === 0x28) {
    extended = true;
    selection = r.list(() => r.keyword("a selection option"), "selection options");
    r.sp();
  }
  const reference = r.mailbox();
  r.sp();
  let patterns: string[];
  if (r.peek() === 0x28) {
    extended = true;
    patterns = r.list(() => r.listMailbox(), "mailbox patterns");
    if (patterns.length === 0) r.fail("empty pattern list");
  } else {
    patterns = [r.listMailbox()];
  }
  const returnOptions: ListReturnOptions = {};
  if (r.trySp()) {
    if (!r.tryKeyword("RETURN")) r.fail("expected RETURN");
    extended = true;
    r.sp();
    r.list(() => {
      const opt = r.keyword("a return option");
      switch (opt) {
        case "SUBSCRIBED":
          returnOptions.subscribed = true;
          break;
        case "CHILDREN":
          returnOptions.children = true;
          break;
        case "SPECIAL-USE":
          returnOptions.specialUse = true;
          break;
        case "MYRIGHTS":
          returnOptions.myRights = true;
          break;
        case "STATUS":
          r.sp();
          returnOptions.status = readStatusItems(r);
          break;
        default:
          r.fail(`unknown LIST return option "${opt}"`);
      }
    }, "return options");
  }
  return { tag, name: "LIST", reference, patterns, selection, returnOptions, extended };
}

/**
 * Result of reading APPEND arguments. When `pendingId` is met (the literal announced but not
 * yet received), reading stops there and `pending` tells what that literal is.
 */
export interface AppendParse {
  mailbox: string;
  messages: AppendMessage[];
  pending?: Omit<AppendMessage, "size" | "binary">;
}

/**
 * Reads APPEND arguments, the cursor after "APPEND SP"; used both for the finished command and
 * for the prefix seen when a literal is announced.
 */
export function readAppendArguments(r: Reader, pendingId?: number): AppendParse {
  const mailbox = r.mailbox();
  const messages: AppendMessage[] = [];
  for (;;) {
    r.sp();
    let flags: string[] = [];
    let date: string | undefined;
    if (r.peek() === 0x28) {
      flags = r.flagList();
      r.sp();
    }
    if (r.peek() === 0x22) {
      date = readDateTime(r);
      r.sp();
    }
    let utf8 = false;
    if (r.tryKeyword("UTF8")) {
      utf8 = true;
      r.sp();
      r.expect(0x28, "( after UTF8");
    }
    if (!r.atLiteral()) r.fail(`expected the message literal${r.context()}`);
    const meta = date === undefined ? { flags, utf8 } : { flags, date, utf8 };
    const lit: LiteralPart = r.literalPart();
    if (pendingId !== undefined && lit.id === pendingId) return { mailbox, messages, pending: meta };
    if (utf8) {
      if (!lit.binary) r.fail("UTF8 (...) needs a literal8 ~{n}");
      r.expect(0x29, ") after UTF8 literal");
    }
    messages.push({ ...meta, size: lit.size, binary: lit.binary });
    if (r.atEnd()) return { mailbox, messages };
  }
}

function parseAppend(r: Reader, tag: string): Command {
  r.sp();
  const { mailbox, messages } = readAppendArguments(r);
  return { tag, name: "APPEND", mailbox, messages };
}

function parseSearch(r: Reader, tag: string, uid: boolean): Command {
  r.sp();
  let returnOptions: SearchReturnOption[] | undefined;
  let charset: string | undefined;
  if (r.tryKeyword("RETURN")) {
    returnOptions = readReturnOptions(r);
    r.sp();
  }
  if (r.tryKeyword("CHARSET")) {
    r.sp();
    charset = r.astring("a charset");
    r.sp();
    useCharset(r, charset);
  }
  const criteria = readSearchKeys(r);
  const cmd: Command = { tag, name: "SEARCH", uid, criteria };
  if (charset !== undefined) cmd.charset = charset;
  if (returnOptions !== undefined) cmd.returnOptions = returnOptions;
  return cmd;
}

function parseFetch(r: Reader, tag: string, uid: boolean): Command {
  r.sp();
  const set = r.sequenceSet();
  r.sp();
  let items: FetchAttribute[];
  let macro: FetchMacro | undefined;
  if (r.peek() === 0x28) {
    items = r.list(() => readFetchAttribute(r), "fetch attributes");
    if (items.length === 0) r.fail("empty fetch attribute list");
  } else {
    const word = r.peekKeyword();
    if (word === "ALL" || word === "FAST" || word === "FULL") {
      r.tryKeyword(word);
      macro = word;
      items = FETCH_MACROS[word].map((a) => ({ ...a }));
    } else {
      items = [readFetchAttribute(r)];
    }
  }
  let changedSince: bigint | undefined;
  let vanished = false;
  if (r.trySp()) {
    r.list(() => {
      const mod = readItemName(r);
      if (mod === "CHANGEDSINCE") {
        r.sp();
        changedSince = r.number64();
      } else if (mod === "VANISHED") {
        vanished = true;
      } else {
        r.fail(`unknown FETCH modifier "${mod}"`);
      }
    }, "fetch modifiers");
    if (vanished && (!uid || changedSince === undefined)) r.fail("VANISHED needs UID FETCH with CHANGEDSINCE");
  }
  const cmd: Command = { tag, name: "FETCH", uid, set, items, vanished };
  if (macro !== undefined) cmd.macro = macro;
  if (changedSince !== undefined) cmd.changedSince = changedSince;
  return cmd;
}

function parseStore(r: Reader, tag: string, uid: boolean): Command {
  r.sp();
  const set = r.sequenceSet();
  r.sp();
  let unchangedSince: bigint | undefined;
  if (r.peek() === 0x28) {
    r.list(() => {
      const mod = r.keyword("a STORE modifier");
      if (mod !== "UNCHANGEDSINCE") r.fail(`unknown STORE modifier "${mod}"`);
      r.sp();
      unchangedSince = r.number64();
    }, "store modifiers");
    r.sp();
  }
  let operation: StoreAction["operation"] = "set";
  if (r.tryByte(0x2b)) operation = "add";
  else if (r.tryByte(0x2d)) operation = "remove";
  const item = r.keyword("FLAGS or FLAGS.SILENT");
  if (item !== "FLAGS" && item !== "FLAGS.SILENT") r.fail(`expected FLAGS, got "${item}"`);
  r.sp();
  let flags: string[];
  if (r.peek() === 0x28) flags = r.flagList();
  else {
    flags = [r.flag()];
    while (r.trySp()) flags.push(r.flag());
  }
  const action: StoreAction = { operation, silent: item === "FLAGS.SILENT", flags };
  return unchangedSince === undefined
    ? { tag, name: "STORE", uid, set, action }
    : { tag, name: "STORE", uid, set, action, unchangedSince };
}

const SORT_KEYS = new Set(["ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"]);

function parseSort(r: Reader, tag: string, uid: boolean): Command {
  r.sp();
  let returnOptions: SearchReturnOption[] | undefined;
  if (r.tryKeyword("RETURN")) {
    returnOptions = readReturnOptions(r);
    r.sp();
  }
  let reverse = false;
  const criteria: SortCriterion[] = r
    .list(() => {
      const key = r.keyword("a sort key");
      if (key === "REVERSE") {
        if (reverse) r.fail("REVERSE REVERSE");
        reverse = true;
        return null;
      }
      if (!SORT_KEYS.has(key)) r.fail(`unknown sort key "${key}"`);
      const c = { key: key as SortCriterion["key"], reverse };
      reverse = false;
      return c;
    }, "sort criteria")
    .filter((c): c is SortCriterion => c !== null);
  if (reverse || criteria.length === 0) r.fail("bad sort criteria");
  r.sp();
  const charset = r.astring("a charset");
  r.sp();
  useCharset(r, charset);
  const search = readSearchKeys(r);
  const cmd: Command = { tag, name: "SORT", uid, criteria, charset, search };
  if (returnOptions !== undefined) cmd.returnOptions = returnOptions;
  return cmd;
}
