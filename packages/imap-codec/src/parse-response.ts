import { TAG_CHAR } from "./char-classes.js";
import type { Limits } from "./limits.js";
import { readIdParams } from "./parse-command.js";
import { readBinaryPart, readItemName, readSection } from "./parse-fetch-items.js";
import { type Part, Reader, SyntaxFail } from "./reader.js";
import type { ImapValue } from "./types/common.js";
import type { ResponseCode, SimpleResponseCodeName } from "./types/response-codes.js";
import type {
  Address,
  BodyValue,
  Envelope,
  FetchResponseItem,
  NamespaceDescriptor,
  Response,
  StatusAttributes,
  ThreadNode,
  UntaggedData,
  UntaggedStatus,
} from "./types/responses.js";

const SIMPLE_CODES = new Set<string>([
  "ALERT",
  "PARSE",
  "READ-ONLY",
  "READ-WRITE",
  "TRYCREATE",
  "UIDNOTSTICKY",
  "NOMODSEQ",
  "CLOSED",
  "UNAVAILABLE",
  "AUTHENTICATIONFAILED",
  "AUTHORIZATIONFAILED",
  "EXPIRED",
  "PRIVACYREQUIRED",
  "CONTACTADMIN",
  "NOPERM",
  "INUSE",
  "EXPUNGEISSUED",
  "CORRUPTION",
  "SERVERBUG",
  "CLIENTBUG",
  "CANNOT",
  "LIMIT",
  "OVERQUOTA",
  "ALREADYEXISTS",
  "NONEXISTENT",
  "NOTSAVED",
  "HASCHILDREN",
  "TOOBIG",
  "USEATTR",
  "UNKNOWN-CTE",
  "COMPRESSIONACTIVE",
]);

/** Parses one complete server response (all lines and literals assembled). Throws SyntaxFail. */
export function parseResponse(parts: Part[], limits: Limits): Response {
  const r = new Reader(parts, limits, "utf8");
  const c = r.peek();
  if (c === 0x2b) {
    r.pos++;
    r.trySp();
    const { code, text } = readRespText(r);
    return code === undefined ? { kind: "continuation", text } : { kind: "continuation", code, text };
  }
  if (c === 0x2a && r.peekAt(1) === 0x20) {
    r.pos += 2;
    const data = readUntagged(r);
    r.end();
    return { kind: "untagged", data };
  }
  const tag = r.chars(TAG_CHAR, "a tag");
  r.sp();
  const word = r.keyword("OK, NO or BAD");
  if (word !== "OK" && word !== "NO" && word !== "BAD") r.fail(`expected OK, NO or BAD, got "${word}"`);
  const status = word as "OK" | "NO" | "BAD";
  const { code, text } = r.trySp() ? readRespText(r) : { code: undefined, text: "" };
  return code === undefined ? { kind: "tagged", tag, status, text } : { kind: "tagged", tag, status, code, text };
}

/** resp-text = ["[" resp-text-code "]" SP] text (a missing text after the code is tolerated). */
function readRespText(r: Reader): { code?: ResponseCode; text: string } {
  let code: ResponseCode | undefined;
  if (r.peek() === 0x5b) {
    r.pos++;
    code = readResponseCode(r);
    r.expect(0x5d, "] closing the response code");
    r.trySp();
  }
  const text = r.restOfText();
  return code === undefined ? { text } : { code, text };
}

function readResponseCode(r: Reader): ResponseCode {
  const start = r.pos;
  const name = readItemName(r);
  if (SIMPLE_CODES.has(name)) return { name: name as SimpleResponseCodeName };
  try {
    switch (name) {
      case "BADCHARSET":
        if (r.trySp()) return { name, charsets: r.list(() => r.astring("a charset"), "charsets") };
        return { name, charsets: [] };
      case "CAPABILITY": {
        const capabilities: string[] = [];
        while (r.trySp()) capabilities.push(r.atom("a capability"));
        return { name, capabilities };
      }
      case "PERMANENTFLAGS":
        r.sp();
        return { name, flags: r.flagList(true) };
      case "UIDNEXT":
      case "UIDVALIDITY":
      case "UNSEEN":
        r.sp();
        return { name, value: r.number32() };
      case "HIGHESTMODSEQ":
        r.sp();
        return { name, modseq: r.number64() };
      case "APPENDUID": {
        r.sp();
        const uidValidity = r.number32();
        r.sp();
        return { name, uidValidity, uids: r.sequenceSet() };
      }
      case "COPYUID": {
        r.sp();
        const uidValidity = r.number32();
        r.sp();
        const sourceUids = r.sequenceSet();
        r.sp();
        return { name, uidValidity, sourceUids, destinationUids: r.sequenceSet() };
      }
      case "MODIFIED":
        r.sp();
        return { name, set: r.sequenceSet() };
    }
  } catch (e) {
    if (!(e instanceof SyntaxFail)) throw e;
    r.pos = start;
    readItemName(r);
  }
  // any other code: atom [SP 1*<any TEXT-CHAR except "]">]
  let text: string | undefined;
  if (r.trySp()) {
    const from = r.pos;
    while (r.peek() !== -1 && r.peek() !== 0x5d) r.pos++;
    text = r.sliceText(from, r.pos);
  }
  return text === undefined ? { name: "OTHER", atom: name } : { name: "OTHER", atom: name, text };
}

function readUntagged(r: Reader): UntaggedData {
  const c = r.peek();
  if (c >= 0x30 && c <= 0x39) {
    const n = r.number32("a message number");
    r.sp();
    const kind = r.keyword("EXISTS, RECENT, EXPUNGE or FETCH");
    switch (kind) {
      case "EXISTS":
      case "RECENT":
        return { type: kind, count: n };
      case "EXPUNGE":
        return { type: "EXPUNGE", seq: n };
      case "FETCH":
        r.sp();
        return { type: "FETCH", seq: n, items: readFetchItems(r) };
      default:
        return { type: "OTHER", name: kind, values: [n, ...readValues(r)] };
    }
  }
  const name = r.keyword("a response name");
  switch (name) {
    case "OK":
    case "NO":
    case "BAD":
    case "PREAUTH":
    case "BYE": {
      const { code, text } = r.trySp() ? readRespText(r) : { code: undefined, text: "" };
      const status = name as UntaggedStatus;
      return code === undefined
        ? { type: "STATUS-RESPONSE", status, text }
        : { type: "STATUS-RESPONSE", status, code, text };
    }
    case "CAPABILITY":
    case "ENABLED": {
      const capabilities: string[] = [];
      while (r.trySp()) capabilities.push(r.atom("a capability"));
      return { type: name, capabilities };
    }
    case "FLAGS":
      r.sp();
      return { type: "FLAGS", flags: r.flagList(true) };
    case "LIST":
    case "LSUB":
      return readList(r, name);
    case "STATUS":
      return readStatus(r);
    case "NAMESPACE": {
      r.sp();
      const personal = readNamespaces(r);
      r.sp();
      const other = readNamespaces(r);
      r.sp();
      return { type: "NAMESPACE", personal, other, shared: readNamespaces(r) };
    }
    case "ID":
      r.sp();
      return { type: "ID", params: readIdParams(r) };
    case "SEARCH":
    case "SORT": {
      const numbers: number[] = [];
      let modseq: bigint | undefined;
      while (r.trySp()) {
        if (r.peek() === 0x28) {
          r.pos++;
          if (!r.tryKeyword("MODSEQ")) r.fail("expected (MODSEQ n)");
          r.sp();
          modseq = r.number64();
          r.expect(0x29, ")");
          break;
        }
        numbers.push(r.nzNumber("a message number"));
      }
      return modseq === undefined ? { type: name, numbers } : { type: name, numbers, modseq };
    }
    case "ESEARCH":
      return readEsearch(r);
    case "THREAD": {
      const threads: ThreadNode[] = [];
      r.trySp();
      while (r.peek() === 0x28) threads.push(readThread(r));
      return { type: "THREAD", threads };
    }
    case "VANISHED": {
      r.sp();
      let earlier = false;
      if (r.peek() === 0x28) {
        r.pos++;
        if (!r.tryKeyword("EARLIER")) r.fail("expected (EARLIER)");
        r.expect(0x29, ")");
        r.sp();
        earlier = true;
      }
      return { type: "VANISHED", earlier, uids: r.sequenceSet() };
    }
    default:
      return { type: "OTHER", name, values: readValues(r) };
  }
}

function readValues(r: Reader): ImapValue[] {
  const values: ImapValue[] = [];
  while (r.trySp()) values.push(r.value());
  return values;
}

function readList(r: Reader, type: "LIST" | "LSUB"): UntaggedData {
  r.sp();
  const attributes = r.flagList();
  r.sp();
  let delimiter: string | null = null;
  if (!r.tryKeyword("NIL")) delimiter = r.quoted();
  r.sp();
  const mailbox = r.mailbox();
  if (r.trySp()) {
    r.expect(0x28, "( of extended LIST data");
    r.enterList();
    const extended: Array<[string, ImapValue]> = [];
    if (r.peek() !== 0x29) {
      do {
        const tag = r.astring("an extended data tag").toUpperCase();
        r.sp();
        extended.push([tag, r.value()]);
      } while (r.trySp());
    }
    r.expect(0x29, ") closing extended LIST data");
    r.leaveList();
    return { type, attributes, delimiter, mailbox, extended };
  }
  return { type, attributes, delimiter, mailbox };
}

function readStatus(r: Reader): UntaggedData {
  r.sp();
  const mailbox = r.mailbox();
  r.sp();
  const attributes: StatusAttributes = {};
  r.list(() => {
    const item = r.keyword("a status item");
    r.sp();
    switch (item) {
      case "HIGHESTMODSEQ":
        attributes.HIGHESTMODSEQ = r.number64();
        break;
      case "APPENDLIMIT":
        attributes.APPENDLIMIT = r.tryKeyword("NIL") ? null : r.number("a size");
        break;
      case "MESSAGES":
      case "RECENT":
      case "UIDNEXT":
      case "UIDVALIDITY":
      case "UNSEEN":
      case "DELETED":
      case "SIZE":
        attributes[item] = r.number(item);
        break;
      default:
        r.value(); // an unknown status item is skipped
    }
  }, "status attributes");
  return { type: "STATUS", mailbox, attributes };
}

/** Namespace = nil / "(" 1*Namespace-Descr ")" (descriptors are not space-separated). */
function readNamespaces(r: Reader): NamespaceDescriptor[] | null {
  if (r.tryKeyword("NIL")) return null;
  r.expect(0x28, "( of a namespace list");
  r.enterList();
  const list: NamespaceDescriptor[] = [];
  do {
    r.expect(0x28, "( of a namespace");
    r.enterList();
    const prefix = r.string();
    r.sp();
    const delimiter = r.nstring();
    const ns: NamespaceDescriptor = { prefix, delimiter };
    while (r.trySp()) {
      const name = r.string();
      r.sp();
      const values = r.list(() => r.string(), "namespace extension values");
      if (ns.extensions === undefined) ns.extensions = [];
      ns.extensions.push([name, values]);
    }
    r.expect(0x29, ") closing a namespace");
    r.leaveList();
    list.push(ns);
    r.trySp();
  } while (r.peek() === 0x28);
  r.expect(0x29, ") closing the namespace list");
  r.leaveList();
  return list;
}

function readEsearch(r: Reader): UntaggedData {
  const out: Extract<UntaggedData, { type: "ESEARCH" }> = { type: "ESEARCH", uid: false };
  if (r.peek() === 0x20 && r.peekAt(1) === 0x28) {
    r.pos += 2;
    if (!r.tryKeyword("TAG")) r.fail("expected (TAG ...)");
    r.sp();
    out.tag = r.string();
    r.expect(0x29, ")");
  }
  while (r.trySp()) {
    const name = r.keyword("a search return item");
    if (name === "UID") {
      out.uid = true;
      continue;
    }
    r.sp();
    switch (name) {
      case "MIN":
        out.min = r.nzNumber();
        break;
      case "MAX":
        out.max = r.nzNumber();
        break;
      case "COUNT":
        out.count = r.number32();
        break;
      case "ALL":
        out.all = r.sequenceSet();
        break;
      case "MODSEQ":
        out.modseq = r.number64();
        break;
      default:
        r.value();
    }
  }
  return out;
}

function readThread(r: Reader): ThreadNode {
  r.expect(0x28, "( of a thread");
  r.enterList();
  const node: ThreadNode = { ids: [], children: [] };
  for (;;) {
    const c = r.peek();
    if (c === 0x29) break;
    if (c === 0x28) {
      node.children.push(readThread(r));
      continue;
    }
    if (node.children.length > 0) r.fail("message number after nested threads");
    node.ids.push(r.nzNumber("a message number"));
    if (!r.trySp() && r.peek() !== 0x28 && r.peek() !== 0x29) r.fail("bad thread list");
  }
  r.expect(0x29, ") closing a thread");
  r.leaveList();
  return node;
}

function readBodyValue(r: Reader): BodyValue {
  if (r.atLiteral()) {
    const lit = r.literalPart();
    return lit.data === null ? { streamed: true, size: lit.size, id: lit.id } : lit.data;
  }
  if (r.tryKeyword("NIL")) return null;
  return r.quotedBytes().toString("utf8");
}

function readOrigin(r: Reader): number | undefined {
  if (r.peek() !== 0x3c) return undefined;
  r.pos++;
  const origin = r.number32("an origin octet");
  r.expect(0x3e, "> closing origin");
  return origin;
}

function readAddressList(r: Reader): Address[] | null {
  if (r.tryKeyword("NIL")) return null;
  r.expect(0x28, "( of an address list");
  r.enterList();
  const list: Address[] = [];
  while (r.peek() === 0x28) {
    r.pos++;
    const name = r.nstring();
    r.sp();
    const adl = r.nstring();
    r.sp();
    const mailbox = r.nstring();
    r.sp();
    const host = r.nstring();
    r.expect(0x29, ") closing an address");
    list.push({ name, adl, mailbox, host });
    r.trySp(); // some servers separate addresses with spaces
  }
  r.expect(0x29, ") closing an address list");
  r.leaveList();
  return list;
}

function readEnvelope(r: Reader): Envelope {
  r.expect(0x28, "( of an envelope");
  r.enterList();
  const date = r.nstring();
  r.sp();
  const subject = r.nstring();
  const lists: Array<Address[] | null> = [];
  for (let i = 0; i < 6; i++) {
    r.sp();
    lists.push(readAddressList(r));
  }
  r.sp();
  const inReplyTo = r.nstring();
  r.sp();
  const messageId = r.nstring();
  r.expect(0x29, ") closing an envelope");
  r.leaveList();
  const [from, sender, replyTo, to, cc, bcc] = lists as [
    Address[] | null,
    Address[] | null,
    Address[] | null,
    Address[] | null,
    Address[] | null,
    Address[] | null,
  ];
  return { date, subject, from, sender, replyTo, to, cc, bcc, inReplyTo, messageId };
}

function readFetchItems(r: Reader): FetchResponseItem[] {
  return r.list(() => readFetchItem(r), "fetch items");
}

function readFetchItem(r: Reader): FetchResponseItem {
  const name = readItemName(r);
  if (r.peek() === 0x5b) {
    r.pos++;
    if (name === "BODY") {
      const section = readSection(r);
      r.expect(0x5d, "] closing section");
      const origin = readOrigin(r);
      r.sp();
      const value = readBodyValue(r);
      return origin === undefined ? { name: "BODY[]", section, value } : { name: "BODY[]", section, origin, value };
    }
    if (name === "BINARY" || name === "BINARY.SIZE") {
      const part = readBinaryPart(r);
      r.expect(0x5d, "] closing section");
      if (name === "BINARY.SIZE") {
        r.sp();
        return { name, part, value: r.number("a size") };
      }
      const origin = readOrigin(r);
      r.sp();
      const value = readBodyValue(r);
      return origin === undefined ? { name: "BINARY[]", part, value } : { name: "BINARY[]", part, origin, value };
    }
    r.fail(`${name} has no section`);
  }
  r.sp();
  switch (name) {
    case "UID":
    case "RFC822.SIZE":
      return { name, value: r.number(name) };
    case "FLAGS":
      return { name, value: r.flagList(true) };
    case "INTERNALDATE":
      return { name, value: r.quoted() };
    case "MODSEQ": {
      r.expect(0x28, "( of MODSEQ");
      const value = r.number64();
      r.expect(0x29, ") closing MODSEQ");
      return { name, value };
    }
    case "ENVELOPE":
      return { name, value: readEnvelope(r) };
    case "BODY":
    case "BODYSTRUCTURE": {
      const value = r.value();
      if (!Array.isArray(value)) r.fail(`${name} must be a list`);
      return { name, value };
    }
    case "RFC822":
    case "RFC822.HEADER":
    case "RFC822.TEXT":
      return { name, value: readBodyValue(r) };
    case "EMAILID":
    case "THREADID": {
      if (r.tryKeyword("NIL")) return { name, value: null };
      r.expect(0x28, "( of an object id");
      const id = r.atom("an object id");
      r.expect(0x29, ")");
      return { name, value: id };
    }
    default:
      return { name: "OTHER", atom: name, value: r.value() };
  }
}
