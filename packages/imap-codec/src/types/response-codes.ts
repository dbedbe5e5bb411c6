import type { SequenceSet } from "./common.js";

/** Response codes that carry no argument (RFC 9051 section 7.1, RFC 5530, RFC 7162, RFC 4315, RFC 6154...). */
export type SimpleResponseCodeName =
  | "ALERT"
  | "PARSE"
  | "READ-ONLY"
  | "READ-WRITE"
  | "TRYCREATE"
  | "UIDNOTSTICKY"
  | "NOMODSEQ"
  | "CLOSED"
  | "UNAVAILABLE"
  | "AUTHENTICATIONFAILED"
  | "AUTHORIZATIONFAILED"
  | "EXPIRED"
  | "PRIVACYREQUIRED"
  | "CONTACTADMIN"
  | "NOPERM"
  | "INUSE"
  | "EXPUNGEISSUED"
  | "CORRUPTION"
  | "SERVERBUG"
  | "CLIENTBUG"
  | "CANNOT"
  | "LIMIT"
  | "OVERQUOTA"
  | "ALREADYEXISTS"
  | "NONEXISTENT"
  | "NOTSAVED"
  | "HASCHILDREN"
  | "TOOBIG"
  | "USEATTR"
  | "UNKNOWN-CTE"
  | "COMPRESSIONACTIVE";

/** The bracketed code of a status response, e.g. `[UIDNEXT 4392]`. */
export type ResponseCode =
  | { name: SimpleResponseCodeName }
  | { name: "BADCHARSET"; charsets: string[] }
  | { name: "CAPABILITY"; capabilities: string[] }
  | { name: "PERMANENTFLAGS"; flags: string[] }
  | { name: "UIDNEXT" | "UIDVALIDITY" | "UNSEEN"; value: number }
  | { name: "HIGHESTMODSEQ"; modseq: bigint }
  | { name: "APPENDUID"; uidValidity: number; uids: SequenceSet }
  | { name: "COPYUID"; uidValidity: number; sourceUids: SequenceSet; destinationUids: SequenceSet }
  | { name: "MODIFIED"; set: SequenceSet }
  /** Any other code: its atom (upper case) and the raw text after it, if any. */
  | { name: "OTHER"; atom: string; text?: string };
