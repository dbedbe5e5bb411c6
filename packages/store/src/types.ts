import type { UidSetInput } from "@holdfast/index";
import type { SpecialUse } from "./mailbox-list.js";

/** A mailbox as LIST shows it. */
export interface MailboxInfo {
  name: string;
  /** Stable id (its folder is mailboxes/<id>); null for a \Noselect name. */
  id: number | null;
  uidValidity: number;
  /** LIST attributes: \Noselect, \HasChildren / \HasNoChildren, \Subscribed, special use. */
  attributes: string[];
  specialUse?: SpecialUse;
  subscribed: boolean;
  selectable: boolean;
  hasChildren: boolean;
}

/** STATUS counters (RFC 9051 §6.3.11 plus CONDSTORE HIGHESTMODSEQ, RECENT and DELETED). */
export interface MailboxCounters {
  messages: number;
  uidNext: number;
  uidValidity: number;
  unseen: number;
  /** Sum of message sizes in bytes (as stored). */
  size: number;
  highestModseq: number;
  recent: number;
  deleted: number;
}

export interface AppendOptions {
  /** System flags and keywords, e.g. ["\\Seen", "$Forwarded"]. */
  flags?: readonly string[];
  /** Internal date (ms since the epoch or a Date). Default: now. */
  internalDate?: number | Date;
}

export interface AppendResult {
  uid: number;
  uidValidity: number;
  /** Message GUID (hex). */
  guid: string;
  size: number;
}

/** COPY / MOVE result: COPYUID data (RFC 4315). */
export interface CopyResult {
  uidValidity: number;
  /** [source UID, destination UID] pairs, ascending by source UID. */
  pairs: [number, number][];
}

export interface MoveResult extends CopyResult {
  /** Source UIDs expunged. */
  expunged: number[];
}

export interface FlagStoreResult {
  /** Messages whose flags changed: their UID, new MODSEQ and new flags. */
  modified: { uid: number; modseq: number; flags: string[] }[];
  /** UIDs not changed because their MODSEQ was above UNCHANGEDSINCE (MODIFIED response code). */
  failedUnchangedSince: number[];
  highestModseq: number;
}

export type FlagStoreMode = "add" | "remove" | "replace";

/** A UID set: one UID, a list of UIDs, a list of [from, to] ranges or an IMAP set string ("1:4,7,9:*"). */
export type UidSet = UidSetInput | number;

export function toUidSetInput(uids: UidSet): UidSetInput {
  return typeof uids === "number" ? [uids] : uids;
}
