import type { MailboxChange, MessageState } from "./changes.js";
import type { NotificationQueue } from "./notification-queue.js";

/**
 * What a backend says the selected mailbox holds after a reconnect (same UIDVALIDITY):
 * - "full": every message, ascending UID (from `UID FETCH 1:* (UID FLAGS [MODSEQ])`);
 * - "changes": a QRESYNC-style answer relative to a state the session already holds:
 *   the UIDs that vanished and the messages whose flags or MODSEQ changed or that are new.
 */
export type BackendTruth =
  | { kind: "full"; messages: readonly MessageState[] }
  | { kind: "changes"; vanished: ArrayLike<number>; changed: readonly MessageState[] };

export type ResyncResult =
  | { ok: true; changes: MailboxChange[] }
  /** The backend's state cannot be shown to this client honestly: end the session (`* BYE`). */
  | { ok: false; reason: string };

/**
 * Bring a session in line with a backend's truth after a reconnect. The truth is compared
 * with what the client has been told (the SequenceMap, flags and MODSEQs included), not
 * with what was queued: changes queued from the backend that went away were never sent and
 * may not hold on the new one, so the queue is replaced by the difference computed here.
 * The notifications the client then gets (at the moments the protocol allows) are exactly
 * those that make its view equal to the backend's: an expunge for each message gone, one
 * EXISTS for the new ones, a FETCH for each message whose flags or MODSEQ differ, nothing
 * for what already matches.
 *
 * For kind "changes", the change set must be relative to the state in the map, e.g. from
 * `SELECT mbox (QRESYNC (uidvalidity highestModseqInMap))`.
 *
 * Refused (ok: false), leaving the queue untouched: a UID the client never saw that is
 * not above every UID it has seen (including one it was told was expunged). IMAP clients
 * assume UIDs only grow; such a message cannot be put into their view.
 */
export function resync(queue: NotificationQueue, truth: BackendTruth): ResyncResult {
  const map = queue.map;
  const flagSets = queue.flagSets;
  const highest = map.highestUidSeen;

  const expunged: number[] = [];
  const appended: MessageState[] = [];
  const changed: MessageState[] = [];

  const consider = (m: MessageState): string | null => {
    const have = map.attributes(m.uid);
    if (have) {
      const modseq = m.modseq ?? 0n;
      if (flagSets.intern(m.flags) !== have.flagSet || (modseq !== 0n && modseq !== have.modseq)) changed.push(m);
      return null;
    }
    const lastNew = appended[appended.length - 1];
    if (m.uid > highest && (!lastNew || m.uid > lastNew.uid)) {
      appended.push(m);
      return null;
    }
    return `the backend has UID ${m.uid}, which the client never saw and which is not above UID ${highest} it has seen`;
  };

  if (truth.kind === "full") {
    let previous = 0;
    for (const m of truth.messages) {
      if (m.uid <= previous) return { ok: false, reason: `the backend's UID list is not ascending at UID ${m.uid}` };
      previous = m.uid;
      const problem = consider(m);
      if (problem) return { ok: false, reason: problem };
    }
    // Every UID the client sees that the (ascending) truth lacks is gone.
    const present = truth.messages;
    let i = 0;
    for (const uid of map.toUids()) {
      while (i < present.length && present[i]!.uid < uid) i++;
      if (i >= present.length || present[i]!.uid !== uid) expunged.push(uid);
    }
  } else {
    const sorted = [...truth.changed].sort((a, b) => a.uid - b.uid);
    for (const m of sorted) {
      const problem = consider(m);
      if (problem) return { ok: false, reason: problem };
    }
    for (let i = 0; i < truth.vanished.length; i++) {
      const uid = truth.vanished[i]!;
      if (map.has(uid)) expunged.push(uid);
    }
  }

  queue.discardPending();
  const changes: MailboxChange[] = [];
  if (expunged.length > 0) changes.push({ kind: "expunge", uids: expunged });
  if (changed.length > 0) changes.push({ kind: "flags", messages: changed });
  if (appended.length > 0) changes.push({ kind: "append", messages: appended });
  for (const change of changes) queue.apply(change);
  return { ok: true, changes };
}
