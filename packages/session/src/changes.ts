import type { NumberRange } from "./sequence-set.js";

/** One message as a backend reports it: UID, flags, and MODSEQ where the backend has them. */
export interface MessageState {
  uid: number;
  flags: readonly string[];
  modseq?: bigint;
}

/**
 * A change in the selected mailbox, in UIDs only: what a backend's change feed delivers
 * and what a resync produces. Sequence numbers never appear here (DESIGN: the Backend
 * interface is UID-only).
 */
export type MailboxChange =
  /** New messages, in ascending UID order, above every UID the session knows. */
  | { kind: "append"; messages: readonly MessageState[] }
  /** Messages gone from the mailbox. UIDs the session does not know are ignored. */
  | { kind: "expunge"; uids: ArrayLike<number> }
  /** New flags (and MODSEQ) of existing messages. */
  | { kind: "flags"; messages: readonly MessageState[] };

/**
 * What the client is sent. Applied in order, they move the client's view exactly as they
 * moved the session's SequenceMap: each EXPUNGE's number is valid after the previous one.
 */
export type Notification =
  | { type: "expunge"; seq: number }
  /** QRESYNC (RFC 7162 §3.2.10): `* VANISHED uid-set` instead of EXPUNGEs. */
  | { type: "vanished"; uids: NumberRange[] }
  | { type: "exists"; count: number }
  | { type: "fetch"; seq: number; uid: number; flags: readonly string[]; modseq?: bigint };
