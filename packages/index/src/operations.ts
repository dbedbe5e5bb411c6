import type { MessageRecord } from "./message-table.js";

/*
 * What a transaction does, operation by operation. The same objects are produced by a
 * write transaction, encoded into the log, decoded on replay and applied by
 * MailboxState.apply, so a replay reaches exactly the state the writer had.
 *
 * Operations carry results, not requests: a flag change carries the message's complete new
 * flags, keywords and MODSEQ, so applying it twice or after a snapshot that already has it
 * gives the same state.
 */
export type Operation =
  | { op: "append"; record: MessageRecord }
  | { op: "setFlags"; uid: number; flags: number; keywords: Uint32Array; modseq: number }
  | { op: "expunge"; uid: number; modseq: number }
  | { op: "defineKeyword"; id: number; name: string }
  | { op: "setUidValidity"; uidValidity: number }
  | { op: "setFirstRecent"; uid: number }
  | { op: "trimTombstones"; floor: number };

export interface Transaction {
  /** Sequence number: 1 for the first transaction of a mailbox, +1 each. */
  seq: number;
  /** UIDNEXT after the transaction. */
  uidNext: number;
  /** HIGHESTMODSEQ after the transaction. */
  highestModseq: number;
  ops: Operation[];
}
