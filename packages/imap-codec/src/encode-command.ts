import { isoToDateText } from "./dates.js";
import { encodeMailbox, flagList, section, seqSet, spaced } from "./encode-common.js";
import { EncodeError } from "./errors.js";
import type { AppendMessage, Command, StatusItem } from "./types/commands.js";
import type { FetchAttribute } from "./types/fetch.js";
import type { LiteralSource } from "./types/responses.js";
import type { SearchKey } from "./types/search.js";
import { partsToBuffer, WireBuilder, type WirePart } from "./wire-builder.js";

/** An APPEND message to send: its metadata and its bytes (in hand or streamed). */
export type AppendMessageInput = Omit<AppendMessage, "size" | "binary" | "utf8"> & {
  data: Buffer | LiteralSource;
  binary?: boolean;
  utf8?: boolean;
};

/** What the command encoder accepts: any parsed Command, with APPEND carrying message bytes. */
export type CommandToEncode =
  | Exclude<Command, { name: "APPEND" }>
  | { tag: string; name: "APPEND"; mailbox: string; messages: AppendMessageInput[] };

export interface CommandEncodeOptions {
  /** The server advertised LITERAL+: literals are sent non-synchronizing. */
  literalPlus?: boolean;
  /** The server advertised LITERAL-: literals ≤ 4096 bytes are sent non-synchronizing. */
  literalMinus?: boolean;
  /** UTF8=ACCEPT enabled or IMAP4rev2: UTF-8 may go in quoted strings. */
  utf8?: boolean;
}

/**
 * Encodes a client command. The parts hold `{ wait: "continuation" }` wherever the client must
 * wait for the server's `+` before sending what follows (synchronizing literals).
 */
export function encodeCommandParts(cmd: CommandToEncode, options: CommandEncodeOptions = {}): WirePart[] {
  const w = new WireBuilder({ side: "client", ...options });
  w.tag(cmd.tag).raw(" ");
  encodeBody(w, cmd);
  return w.finish();
}

/** Encodes a command whose literals need no continuation wait and no stream into one Buffer. */
export function encodeCommand(cmd: CommandToEncode, options: CommandEncodeOptions = {}): Buffer {
  const parts = encodeCommandParts(cmd, options);
  if (parts.some((p) => !Buffer.isBuffer(p))) {
    throw new EncodeError("command needs continuation waits or streams; use encodeCommandParts()");
  }
  return partsToBuffer(parts);
}

const uidPrefix = (uid: boolean) => (uid ? "UID " : "");

function encodeBody(w: WireBuilder, cmd: CommandToEncode): void {
  switch (cmd.name) {
    case "CAPABILITY":
    case "NOOP":
    case "LOGOUT":
    case "STARTTLS":
    case "CHECK":
    case "CLOSE":
    case "UNSELECT":
    case "NAMESPACE":
    case "IDLE":
      w.raw(cmd.name);
      return;
    case "EXPUNGE":
      if (cmd.uid) {
        w.raw("UID EXPUNGE ");
        seqSet(w, cmd.set);
      } else w.raw("EXPUNGE");
      return;
    case "AUTHENTICATE":
      w.raw("AUTHENTICATE ").atom(cmd.mechanism);
      if (cmd.initialResponse !== undefined) w.raw(" ").atom(cmd.initialResponse === "" ? "=" : cmd.initialResponse);
      return;
    case "LOGIN":
      w.raw("LOGIN ").astring(cmd.username).raw(" ").astring(cmd.password);
      return;
    case "ENABLE":
      w.raw("ENABLE");
      for (const c of cmd.capabilities) w.raw(" ").atom(c);
      return;
    case "SELECT":
    case "EXAMINE": {
      w.raw(`${cmd.name} `);
      encodeMailbox(w, cmd.mailbox);
      const params: Array<() => void> = [];
      if (cmd.condstore) params.push(() => w.raw("CONDSTORE"));
      const q = cmd.qresync;
      if (q !== undefined) {
        params.push(() => {
          w.raw("QRESYNC (").number(q.uidValidity).raw(" ").number(q.modseq);
          if (q.knownUids !== undefined) seqSet(w.raw(" "), q.knownUids);
          if (q.seqMatch !== undefined) {
            w.raw(" (");
            seqSet(w, q.seqMatch.seqs).raw(" ");
            seqSet(w, q.seqMatch.uids).raw(")");
          }
          w.raw(")");
        });
      }
      if (params.length > 0) {
        w.raw(" (");
        spaced(w, params, (p) => p());
        w.raw(")");
      }
      return;
    }
    case "CREATE":
      w.raw("CREATE ");
      encodeMailbox(w, cmd.mailbox);
      if (cmd.specialUse !== undefined) {
        w.raw(" (USE ");
        flagList(w, cmd.specialUse).raw(")");
      }
      return;
    case "DELETE":
    case "SUBSCRIBE":
    case "UNSUBSCRIBE":
      w.raw(`${cmd.name} `);
      encodeMailbox(w, cmd.mailbox);
      return;
    case "RENAME":
      w.raw("RENAME ");
      encodeMailbox(w, cmd.from).raw(" ");
      encodeMailbox(w, cmd.to);
      return;
    case "LIST": {
      w.raw("LIST ");
      if (cmd.selection.length > 0) {
        w.raw("(");
        spaced(w, cmd.selection, (s) => w.atom(s));
        w.raw(") ");
      }
      encodeMailbox(w, cmd.reference).raw(" ");
      if (cmd.patterns.length === 1 && !(cmd.extended && cmd.selection.length === 0 && !hasReturn(cmd.returnOptions))) {
        w.listMailbox(cmd.patterns[0]!);
      } else {
        w.raw("(");
        spaced(w, cmd.patterns, (p) => w.listMailbox(p));
        w.raw(")");
      }
      const ro = cmd.returnOptions;
      if (hasReturn(ro)) {
        const opts: string[] = [];
        if (ro.subscribed) opts.push("SUBSCRIBED");
        if (ro.children) opts.push("CHILDREN");
        if (ro.specialUse) opts.push("SPECIAL-USE");
        if (ro.myRights) opts.push("MYRIGHTS");
        w.raw(` RETURN (${opts.join(" ")}`);
        if (ro.status !== undefined) w.raw(`${opts.length > 0 ? " " : ""}STATUS (${statusItems(ro.status)})`);
        w.raw(")");
      }
      return;
    }
    case "LSUB":
      w.raw("LSUB ");
      encodeMailbox(w, cmd.reference).raw(" ").listMailbox(cmd.pattern);
      return;
    case "STATUS":
      w.raw("STATUS ");
      encodeMailbox(w, cmd.mailbox).raw(` (${statusItems(cmd.items)})`);
      return;
    case "APPEND":
      w.raw("APPEND ");
      encodeMailbox(w, cmd.mailbox);
      for (const m of cmd.messages) {
        w.raw(" ");
        if (m.flags.length > 0) flagList(w, m.flags).raw(" ");
        if (m.date !== undefined) w.raw(`"${m.date}" `);
        const binary = m.binary === true || m.utf8 === true;
        if (m.utf8 === true) w.raw("UTF8 (");
        if (Buffer.isBuffer(m.data)) w.literal(m.data, binary);
        else w.streamedLiteral(m.data, binary);
        if (m.utf8 === true) w.raw(")");
      }
      return;
    case "SEARCH":
      w.raw(`${uidPrefix(cmd.uid)}SEARCH `);
      if (cmd.returnOptions !== undefined) w.raw(`RETURN (${cmd.returnOptions.join(" ")}) `);
      if (cmd.charset !== undefined) w.raw("CHARSET ").astring(cmd.charset).raw(" ");
      searchKeys(w, cmd.criteria, textEncoder(cmd.charset));
      return;
    case "FETCH": {
      w.raw(`${uidPrefix(cmd.uid)}FETCH `);
      seqSet(w, cmd.set).raw(" ");
      if (cmd.macro !== undefined) w.raw(cmd.macro);
      else {
        w.raw("(");
        spaced(w, cmd.items, (a) => fetchAttribute(w, a));
        w.raw(")");
      }
      if (cmd.changedSince !== undefined) {
        w.raw(" (CHANGEDSINCE ").number(cmd.changedSince);
        if (cmd.vanished) w.raw(" VANISHED");
        w.raw(")");
      }
      return;
    }
    case "STORE": {
      w.raw(`${uidPrefix(cmd.uid)}STORE `);
      seqSet(w, cmd.set).raw(" ");
      if (cmd.unchangedSince !== undefined) w.raw("(UNCHANGEDSINCE ").number(cmd.unchangedSince).raw(") ");
      const a = cmd.action;
      w.raw(`${a.operation === "add" ? "+" : a.operation === "remove" ? "-" : ""}FLAGS${a.silent ? ".SILENT" : ""} `);
      flagList(w, a.flags);
      return;
    }
    case "COPY":
    case "MOVE":
      w.raw(`${uidPrefix(cmd.uid)}${cmd.name} `);
      seqSet(w, cmd.set).raw(" ");
      encodeMailbox(w, cmd.mailbox);
      return;
    case "ID":
      w.raw("ID ");
      if (cmd.params === null) w.raw("NIL");
      else {
        w.raw("(");
        spaced(w, cmd.params, ([k, v]) => w.string(k).raw(" ").nstring(v));
        w.raw(")");
      }
      return;
    case "SORT":
      w.raw(`${uidPrefix(cmd.uid)}SORT `);
      if (cmd.returnOptions !== undefined) w.raw(`RETURN (${cmd.returnOptions.join(" ")}) `);
      w.raw("(");
      spaced(w, cmd.criteria, (c) => w.raw(`${c.reverse ? "REVERSE " : ""}${c.key}`));
      w.raw(") ").astring(cmd.charset).raw(" ");
      searchKeys(w, cmd.search, textEncoder(cmd.charset));
      return;
    case "THREAD":
      w.raw(`${uidPrefix(cmd.uid)}THREAD `)
        .atom(cmd.algorithm)
        .raw(" ")
        .astring(cmd.charset)
        .raw(" ");
      searchKeys(w, cmd.search, textEncoder(cmd.charset));
      return;
  }
}

function hasReturn(ro: {
  subscribed?: boolean;
  children?: boolean;
  specialUse?: boolean;
  myRights?: boolean;
  status?: StatusItem[];
}): boolean {
  return (
    ro.subscribed === true ||
    ro.children === true ||
    ro.specialUse === true ||
    ro.myRights === true ||
    ro.status !== undefined
  );
}

function statusItems(items: StatusItem[]): string {
  return items.join(" ");
}

/** How search strings become bytes: UTF-8, or byte per char for another CHARSET (the parser's latin1 rule). */
type SearchText = (s: string) => string | Buffer;

function textEncoder(charset: string | undefined): SearchText {
  const cs = charset?.toUpperCase();
  if (cs === undefined || cs === "UTF-8" || cs === "US-ASCII" || cs === "UTF8") return (s) => s;
  return (s) => {
    if (!/[^\x00-\x7f]/.test(s)) return s;
    if (/[^\x00-\xff]/.test(s)) throw new EncodeError(`search string has characters outside ${charset}`);
    return Buffer.from(s, "latin1");
  };
}

function searchKeys(w: WireBuilder, keys: SearchKey[], text: SearchText): void {
  if (keys.length === 0) throw new EncodeError("a search needs at least one key");
  spaced(w, keys, (k) => searchKey(w, k, text));
}

function searchKey(w: WireBuilder, k: SearchKey, text: SearchText): void {
  switch (k.type) {
    case "KEYWORD":
    case "UNKEYWORD":
      w.raw(`${k.type} `).atom(k.flag);
      return;
    case "BCC":
    case "BODY":
    case "CC":
    case "FROM":
    case "SUBJECT":
    case "TEXT":
    case "TO":
      w.raw(`${k.type} `).astring(text(k.value));
      return;
    case "HEADER":
      w.raw("HEADER ").astring(k.field).raw(" ").astring(text(k.value));
      return;
    case "BEFORE":
    case "ON":
    case "SINCE":
    case "SENTBEFORE":
    case "SENTON":
    case "SENTSINCE":
      w.raw(`${k.type} ${isoToDateText(k.date)}`);
      return;
    case "LARGER":
    case "SMALLER":
      w.raw(`${k.type} `).number(k.size);
      return;
    case "OLDER":
    case "YOUNGER":
      w.raw(`${k.type} `).number(k.seconds);
      return;
    case "UID":
      seqSet(w.raw("UID "), k.set);
      return;
    case "SEQ":
      seqSet(w, k.set);
      return;
    case "NOT":
      w.raw("NOT ");
      searchKey(w, k.key, text);
      return;
    case "OR":
      w.raw("OR ");
      searchKey(w, k.left, text);
      w.raw(" ");
      searchKey(w, k.right, text);
      return;
    case "AND":
      w.raw("(");
      searchKeys(w, k.keys, text);
      w.raw(")");
      return;
    case "MODSEQ":
      w.raw("MODSEQ ");
      if (k.entry !== undefined) w.string(k.entry.name).raw(` ${k.entry.kind} `);
      w.number(k.modseq);
      return;
    default:
      w.raw(k.type);
  }
}

function partial(w: WireBuilder, p: { offset: number; length: number } | undefined): void {
  if (p !== undefined) w.raw("<").number(p.offset).raw(".").number(p.length).raw(">");
}

export function fetchAttribute(w: WireBuilder, a: FetchAttribute): void {
  switch (a.type) {
    case "BODY[]":
      w.raw(a.peek ? "BODY.PEEK[" : "BODY[");
      section(w, a.section).raw("]");
      partial(w, a.partial);
      return;
    case "BINARY[]":
      w.raw(`${a.peek ? "BINARY.PEEK" : "BINARY"}[${a.part.join(".")}]`);
      partial(w, a.partial);
      return;
    case "BINARY.SIZE":
      w.raw(`BINARY.SIZE[${a.part.join(".")}]`);
      return;
    default:
      w.raw(a.type);
  }
}
