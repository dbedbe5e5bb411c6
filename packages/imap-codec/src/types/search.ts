import type { IsoDate, SequenceSet } from "./common.js";

/** Search keys without argument (RFC 9051 section 6.4.4, plus RFC 3501's NEW/OLD/RECENT). */
export type SearchFlagKey =
  | "ALL"
  | "ANSWERED"
  | "DELETED"
  | "DRAFT"
  | "FLAGGED"
  | "NEW"
  | "OLD"
  | "RECENT"
  | "SEEN"
  | "UNANSWERED"
  | "UNDELETED"
  | "UNDRAFT"
  | "UNFLAGGED"
  | "UNSEEN";

export type SearchStringKey = "BCC" | "BODY" | "CC" | "FROM" | "SUBJECT" | "TEXT" | "TO";
export type SearchDateKey = "BEFORE" | "ON" | "SINCE" | "SENTBEFORE" | "SENTON" | "SENTSINCE";

/** One node of a search program. A command's keys are implicitly ANDed. */
export type SearchKey =
  | { type: SearchFlagKey }
  | { type: "KEYWORD" | "UNKEYWORD"; flag: string }
  | { type: SearchStringKey; value: string }
  | { type: "HEADER"; field: string; value: string }
  | { type: SearchDateKey; date: IsoDate }
  | { type: "LARGER" | "SMALLER"; size: number }
  | { type: "OLDER" | "YOUNGER"; seconds: number }
  | { type: "UID"; set: SequenceSet }
  | { type: "SEQ"; set: SequenceSet }
  | { type: "NOT"; key: SearchKey }
  | { type: "OR"; left: SearchKey; right: SearchKey }
  | { type: "AND"; keys: SearchKey[] }
  | { type: "MODSEQ"; modseq: bigint; entry?: { name: string; kind: "priv" | "shared" | "all" } };

/** ESEARCH result options (RFC 4731, RFC 5182 SAVE). */
export type SearchReturnOption = "MIN" | "MAX" | "ALL" | "COUNT" | "SAVE";

/** SORT criteria (RFC 5256). */
export interface SortCriterion {
  key: "ARRIVAL" | "CC" | "DATE" | "FROM" | "SIZE" | "SUBJECT" | "TO" | "DISPLAYFROM" | "DISPLAYTO";
  reverse: boolean;
}
