import type { SequenceSet } from "./common.js";
import type { FetchAttribute, FetchMacro } from "./fetch.js";
import type { SearchKey, SearchReturnOption, SortCriterion } from "./search.js";

/** STATUS data items (RFC 9051, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE, RFC 7889 APPENDLIMIT). */
export type StatusItem =
  | "MESSAGES"
  | "RECENT"
  | "UIDNEXT"
  | "UIDVALIDITY"
  | "UNSEEN"
  | "DELETED"
  | "SIZE"
  | "HIGHESTMODSEQ"
  | "APPENDLIMIT";

/** SELECT/EXAMINE QRESYNC parameter (RFC 7162 section 3.2.5). */
export interface QresyncParam {
  uidValidity: number;
  modseq: bigint;
  knownUids?: SequenceSet;
  /** Known sequence numbers and the UIDs they map to. */
  seqMatch?: { seqs: SequenceSet; uids: SequenceSet };
}

/** One message of an APPEND (MULTIAPPEND allows several). The bytes arrive as literal-chunk events. */
export interface AppendMessage {
  flags: string[];
  /** `date-time` as sent, e.g. `17-Jul-1996 02:44:25 -0700`. */
  date?: string;
  size: number;
  /** Sent as literal8 `~{n}` (BINARY, RFC 3516; UTF8 (...) of RFC 6855 also uses literal8). */
  binary: boolean;
  /** Wrapped in `UTF8 (...)` (RFC 6855 UTF8=ACCEPT). */
  utf8: boolean;
}

export interface ListReturnOptions {
  subscribed?: boolean;
  children?: boolean;
  specialUse?: boolean;
  myRights?: boolean;
  /** LIST-STATUS (RFC 5819). */
  status?: StatusItem[];
}

/** STORE action: `FLAGS`, `+FLAGS`, `-FLAGS`, with `.SILENT`. */
export interface StoreAction {
  operation: "set" | "add" | "remove";
  silent: boolean;
  flags: string[];
}

interface Tagged {
  tag: string;
}

type NoArgumentName =
  | "CAPABILITY"
  | "NOOP"
  | "LOGOUT"
  | "STARTTLS"
  | "CHECK"
  | "CLOSE"
  | "UNSELECT"
  | "NAMESPACE"
  | "IDLE";

/** A client command, discriminated by `name` (upper case). */
export type Command =
  | (Tagged & { name: NoArgumentName })
  | (Tagged & { name: "EXPUNGE"; uid: false })
  | (Tagged & { name: "EXPUNGE"; uid: true; set: SequenceSet })
  | (Tagged & { name: "AUTHENTICATE"; mechanism: string; initialResponse?: string })
  | (Tagged & { name: "LOGIN"; username: string; password: string })
  | (Tagged & { name: "ENABLE"; capabilities: string[] })
  | (Tagged & {
      name: "SELECT" | "EXAMINE";
      mailbox: string;
      condstore: boolean;
      qresync?: QresyncParam;
    })
  | (Tagged & { name: "CREATE"; mailbox: string; specialUse?: string[] })
  | (Tagged & { name: "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE"; mailbox: string })
  | (Tagged & { name: "RENAME"; from: string; to: string })
  | (Tagged & {
      name: "LIST";
      reference: string;
      patterns: string[];
      /** LIST-EXTENDED selection options, upper case (SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE). */
      selection: string[];
      returnOptions: ListReturnOptions;
      /** True when any LIST-EXTENDED syntax was used (the reply then uses extended data). */
      extended: boolean;
    })
  | (Tagged & { name: "LSUB"; reference: string; pattern: string })
  | (Tagged & { name: "STATUS"; mailbox: string; items: StatusItem[] })
  | (Tagged & { name: "APPEND"; mailbox: string; messages: AppendMessage[] })
  | (Tagged & {
      name: "SEARCH";
      uid: boolean;
      charset?: string;
      /** Present when RETURN (...) was given (ESEARCH); empty list means RETURN (). */
      returnOptions?: SearchReturnOption[];
      criteria: SearchKey[];
    })
  | (Tagged & {
      name: "FETCH";
      uid: boolean;
      set: SequenceSet;
      macro?: FetchMacro;
      items: FetchAttribute[];
      changedSince?: bigint;
      vanished: boolean;
    })
  | (Tagged & { name: "STORE"; uid: boolean; set: SequenceSet; action: StoreAction; unchangedSince?: bigint })
  | (Tagged & { name: "COPY" | "MOVE"; uid: boolean; set: SequenceSet; mailbox: string })
  | (Tagged & { name: "ID"; params: Array<[string, string | null]> | null })
  | (Tagged & {
      name: "SORT";
      uid: boolean;
      returnOptions?: SearchReturnOption[];
      criteria: SortCriterion[];
      charset: string;
      search: SearchKey[];
    })
  | (Tagged & { name: "THREAD"; uid: boolean; algorithm: string; charset: string; search: SearchKey[] });

export type CommandName = Command["name"];
