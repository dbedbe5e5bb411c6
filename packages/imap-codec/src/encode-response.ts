import { encodeMailbox, value as encodeValue, flagList, respText, section, seqSet, spaced } from "./encode-common.js";
import { EncodeError } from "./errors.js";
import type {
  Address,
  BodyValue,
  Envelope,
  FetchResponseItem,
  NamespaceDescriptor,
  Response,
  ThreadNode,
  UntaggedData,
} from "./types/responses.js";
import { partsToBuffer, WireBuilder, type WirePart } from "./wire-builder.js";

export interface ResponseEncodeOptions {
  /** UTF8=ACCEPT enabled / IMAP4rev2: 8-bit UTF-8 may go into quoted strings. */
  utf8?: boolean;
}

/** Encodes a response into wire parts: bytes, and the streamed literal sources in between. */
export function encodeResponseParts(response: Response, options: ResponseEncodeOptions = {}): WirePart[] {
  const w = new WireBuilder({ side: "server", utf8: options.utf8 ?? false });
  switch (response.kind) {
    case "continuation":
      w.raw("+ ");
      respText(w, response.code, response.text);
      break;
    case "tagged":
      w.tag(response.tag).raw(` ${response.status} `);
      respText(w, response.code, response.text);
      break;
    case "untagged":
      w.raw("* ");
      untagged(w, response.data);
      break;
  }
  return w.finish();
}

/** Encodes a response that holds no streamed literal into one Buffer. */
export function encodeResponse(response: Response, options: ResponseEncodeOptions = {}): Buffer {
  return partsToBuffer(encodeResponseParts(response, options));
}

function untagged(w: WireBuilder, d: UntaggedData): void {
  switch (d.type) {
    case "STATUS-RESPONSE":
      w.raw(`${d.status} `);
      respText(w, d.code, d.text);
      return;
    case "CAPABILITY":
    case "ENABLED":
      w.raw(d.type);
      for (const c of d.capabilities) w.raw(" ").atom(c);
      return;
    case "FLAGS":
      w.raw("FLAGS ");
      flagList(w, d.flags);
      return;
    case "LIST":
    case "LSUB":
      w.raw(`${d.type} (`);
      spaced(w, d.attributes, (a) => w.flag(a));
      w.raw(") ");
      if (d.delimiter === null) w.raw("NIL");
      else w.string(d.delimiter);
      w.raw(" ");
      encodeMailbox(w, d.mailbox);
      if (d.extended !== undefined && d.extended.length > 0) {
        w.raw(" (");
        spaced(w, d.extended, ([tag, v]) => {
          w.astring(tag).raw(" ");
          encodeValue(w, v);
        });
        w.raw(")");
      }
      return;
    case "STATUS": {
      w.raw("STATUS ");
      encodeMailbox(w, d.mailbox);
      w.raw(" (");
      const entries = Object.entries(d.attributes).filter(([, v]) => v !== undefined);
      spaced(w, entries, ([k, v]) => {
        w.raw(`${k} `);
        if (v === null) w.raw("NIL");
        else w.number(v as number | bigint);
      });
      w.raw(")");
      return;
    }
    case "NAMESPACE":
      w.raw("NAMESPACE ");
      namespaceList(w, d.personal);
      w.raw(" ");
      namespaceList(w, d.other);
      w.raw(" ");
      namespaceList(w, d.shared);
      return;
    case "ID":
      w.raw("ID ");
      if (d.params === null) w.raw("NIL");
      else {
        w.raw("(");
        spaced(w, d.params, ([k, v]) => {
          w.string(k).raw(" ");
          w.nstring(v);
        });
        w.raw(")");
      }
      return;
    case "SEARCH":
    case "SORT":
      w.raw(d.type);
      for (const n of d.numbers) w.raw(" ").number(n);
      if (d.modseq !== undefined) w.raw(" (MODSEQ ").number(d.modseq).raw(")");
      return;
    case "ESEARCH":
      w.raw("ESEARCH");
      if (d.tag !== undefined) w.raw(" (TAG ").string(d.tag).raw(")");
      if (d.uid) w.raw(" UID");
      if (d.min !== undefined) w.raw(" MIN ").number(d.min);
      if (d.max !== undefined) w.raw(" MAX ").number(d.max);
      if (d.all !== undefined) {
        w.raw(" ALL ");
        seqSet(w, d.all);
      }
      if (d.count !== undefined) w.raw(" COUNT ").number(d.count);
      if (d.modseq !== undefined) w.raw(" MODSEQ ").number(d.modseq);
      return;
    case "THREAD":
      w.raw("THREAD");
      if (d.threads.length > 0) w.raw(" ");
      for (const t of d.threads) thread(w, t);
      return;
    case "EXISTS":
    case "RECENT":
      w.number(d.count).raw(` ${d.type}`);
      return;
    case "EXPUNGE":
      w.number(d.seq).raw(" EXPUNGE");
      return;
    case "FETCH":
      w.number(d.seq).raw(" FETCH (");
      spaced(w, d.items, (item) => fetchItem(w, item));
      w.raw(")");
      return;
    case "VANISHED":
      w.raw(d.earlier ? "VANISHED (EARLIER) " : "VANISHED ");
      seqSet(w, d.uids);
      return;
    case "OTHER":
      w.atom(d.name);
      for (const v of d.values) {
        w.raw(" ");
        encodeValue(w, v);
      }
      return;
  }
}

function thread(w: WireBuilder, t: ThreadNode): void {
  w.raw("(");
  spaced(w, t.ids, (id) => w.number(id));
  if (t.children.length === 1) throw new EncodeError("a thread branches into two or more children, or none");
  if (t.children.length > 0) {
    if (t.ids.length > 0) w.raw(" ");
    for (const c of t.children) thread(w, c);
  }
  w.raw(")");
}

function namespaceList(w: WireBuilder, list: NamespaceDescriptor[] | null): void {
  if (list === null) {
    w.raw("NIL");
    return;
  }
  w.raw("(");
  for (const ns of list) {
    w.raw("(").string(ns.prefix).raw(" ");
    w.nstring(ns.delimiter);
    for (const [name, values] of ns.extensions ?? []) {
      w.raw(" ").string(name).raw(" (");
      spaced(w, values, (v) => w.string(v));
      w.raw(")");
    }
    w.raw(")");
  }
  w.raw(")");
}

function bodyValue(w: WireBuilder, v: BodyValue, binary: boolean): void {
  if (v === null) w.raw("NIL");
  else if (typeof v === "string") w.literal(Buffer.from(v, "utf8"), binary);
  else if (Buffer.isBuffer(v)) w.literal(v, binary);
  else if ("source" in v) w.streamedLiteral(v, binary);
  else throw new EncodeError("a parsed StreamedLiteral placeholder cannot be encoded; give a LiteralSource");
}

function address(w: WireBuilder, a: Address): void {
  w.raw("(").nstring(a.name).raw(" ").nstring(a.adl).raw(" ").nstring(a.mailbox).raw(" ").nstring(a.host).raw(")");
}

function addressList(w: WireBuilder, list: Address[] | null): void {
  if (list === null || list.length === 0) {
    w.raw("NIL");
    return;
  }
  w.raw("(");
  for (const a of list) address(w, a);
  w.raw(")");
}

function envelope(w: WireBuilder, e: Envelope): void {
  w.raw("(").nstring(e.date).raw(" ").nstring(e.subject);
  for (const list of [e.from, e.sender, e.replyTo, e.to, e.cc, e.bcc]) {
    w.raw(" ");
    addressList(w, list);
  }
  w.raw(" ").nstring(e.inReplyTo).raw(" ").nstring(e.messageId).raw(")");
}

function fetchItem(w: WireBuilder, item: FetchResponseItem): void {
  switch (item.name) {
    case "UID":
    case "RFC822.SIZE":
      w.raw(`${item.name} `).number(item.value);
      return;
    case "MODSEQ":
      w.raw("MODSEQ (").number(item.value).raw(")");
      return;
    case "FLAGS":
      w.raw("FLAGS ");
      flagList(w, item.value);
      return;
    case "INTERNALDATE":
      w.raw("INTERNALDATE ").string(item.value);
      return;
    case "ENVELOPE":
      w.raw("ENVELOPE ");
      if ("encoded" in item) w.preEncoded(item.encoded);
      else envelope(w, item.value);
      return;
    case "BODY":
    case "BODYSTRUCTURE":
      w.raw(`${item.name} `);
      if ("encoded" in item) w.preEncoded(item.encoded);
      else encodeValue(w, item.value);
      return;
    case "BODY[]":
      w.raw("BODY[");
      section(w, item.section);
      w.raw("]");
      if (item.origin !== undefined) w.raw("<").number(item.origin).raw(">");
      w.raw(" ");
      bodyValue(w, item.value, false);
      return;
    case "BINARY[]":
      w.raw(`BINARY[${item.part.join(".")}]`);
      if (item.origin !== undefined) w.raw("<").number(item.origin).raw(">");
      w.raw(" ");
      bodyValue(w, item.value, true);
      return;
    case "BINARY.SIZE":
      w.raw(`BINARY.SIZE[${item.part.join(".")}] `).number(item.value);
      return;
    case "RFC822":
    case "RFC822.HEADER":
    case "RFC822.TEXT":
      w.raw(`${item.name} `);
      bodyValue(w, item.value, false);
      return;
    case "EMAILID":
    case "THREADID":
      w.raw(`${item.name} `);
      if (item.value === null) w.raw("NIL");
      else w.raw("(").atom(item.value).raw(")");
      return;
    case "OTHER":
      w.atom(item.atom).raw(" ");
      encodeValue(w, item.value);
      return;
  }
}
