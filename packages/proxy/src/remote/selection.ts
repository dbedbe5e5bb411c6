import type { FetchResponseItem, ResponseCode, UntaggedData } from "@holdfast/imap-codec";
import type { MailboxChange, MessageState } from "@holdfast/session";
import type { SelectedState } from "../backend.js";
import { ImapCommandError, ImapConnectionError } from "./errors.js";
import type { ImapClient } from "./imap-client.js";
import { expand, type MailboxTracker, type TrackerInit } from "./mailbox-tracker.js";

/*
 * SELECT/EXAMINE on a backend, first time and after a reconnect.
 *
 * First time: SELECT, then `UID FETCH 1:* (UID FLAGS MODSEQ)` for the message list (the
 * front end builds its sequence map from it).
 *
 * After a reconnect (the failover re-select), same mailbox, same session:
 * - UIDVALIDITY differs → SessionEnded: the client's UIDs mean nothing any more, the
 *   session cannot continue honestly (the client gets `* BYE`).
 * - with QRESYNC: `SELECT box (QRESYNC (uidvalidity syncedModseq 1:highestUid))`: VANISHED
 *   (EARLIER) → expunge changes, FETCH → flags changes; then, with the new tracker already
 *   listening, `UID FETCH highestUid+1:*` → append (UIDs above the last delivered one are
 *   new messages, whatever their MODSEQ).
 * - without QRESYNC (or without MODSEQ): the full list; every known UID missing from it is
 *   an expunge, every present one a flags change (the front end's queue drops those that
 *   equal what the client has), every UID above the last delivered one an append.
 * The changes go through the ordinary change feed, so the client gets them as EXPUNGE /
 * VANISHED, EXISTS and FETCH at the moments the protocol allows, like any other change.
 */

/** The session cannot go on (UIDVALIDITY changed, mailbox gone): the client gets BYE. */
export class SessionEnded extends Error {
  override name = "SessionEnded";
}

export interface Opened {
  state: SelectedState;
  init: TrackerInit;
}

function codes(untagged: UntaggedData[]): ResponseCode[] {
  const out: ResponseCode[] = [];
  for (const u of untagged) if (u.type === "STATUS-RESPONSE" && u.code) out.push(u.code);
  return out;
}

function messageOf(items: FetchResponseItem[]): { uid: number; flags: string[] | null; modseq?: bigint } {
  let uid = 0;
  let flags: string[] | null = null;
  let modseq: bigint | undefined;
  for (const item of items) {
    if (item.name === "UID") uid = item.value;
    else if (item.name === "FLAGS") flags = item.value;
    else if (item.name === "MODSEQ") modseq = item.value;
  }
  return modseq === undefined ? { uid, flags } : { uid, flags, modseq };
}

function modseqEnabled(c: ImapClient): boolean {
  return c.enabled.has("CONDSTORE") || c.enabled.has("QRESYNC");
}

/** The message list in backend sequence order, applying EXPUNGE/VANISHED that arrived meanwhile. */
async function listMessages(c: ImapClient, exists: number): Promise<{ messages: MessageState[]; more: boolean }> {
  if (exists === 0) return { messages: [], more: false };
  const items = modseqEnabled(c)
    ? [{ type: "UID" as const }, { type: "FLAGS" as const }, { type: "MODSEQ" as const }]
    : [{ type: "UID" as const }, { type: "FLAGS" as const }];
  const result = await c.command({
    name: "FETCH",
    uid: true,
    set: [{ start: 1, end: "*" }],
    items,
    vanished: false,
  });
  const bySeq: (MessageState | null)[] = [];
  let more = false;
  for (const u of result.untagged) {
    if (u.type === "FETCH") {
      const m = messageOf(u.items);
      if (m.uid > 0 && m.flags) {
        bySeq[u.seq - 1] =
          m.modseq === undefined ? { uid: m.uid, flags: m.flags } : { uid: m.uid, flags: m.flags, modseq: m.modseq };
      }
    } else if (u.type === "EXPUNGE") bySeq.splice(u.seq - 1, 1);
    else if (u.type === "VANISHED" && !u.earlier) {
      const gone = new Set(expand(u.uids));
      for (let i = 0; i < bySeq.length; i++) if (bySeq[i] && gone.has(bySeq[i]!.uid)) bySeq[i] = null;
    } else if (u.type === "EXISTS" && u.count > exists) more = true;
  }
  const messages = bySeq.filter((m): m is MessageState => !!m).sort((a, b) => a.uid - b.uid);
  return { messages, more };
}

/** SELECT (or EXAMINE) and the message list. */
export async function openSelection(
  c: ImapClient,
  wire: string,
  readOnly: boolean,
): Promise<Opened & { more: boolean }> {
  const result = await c.command({ name: readOnly ? "EXAMINE" : "SELECT", mailbox: wire, condstore: false });
  let exists = 0;
  let flags: string[] = [];
  for (const u of result.untagged) {
    if (u.type === "EXISTS") exists = u.count;
    else if (u.type === "FLAGS") flags = u.flags;
  }
  let uidValidity = 0;
  let uidNext = 0;
  let highestModseq = 0n;
  let permanentFlags: string[] = [];
  for (const code of codes(result.untagged)) {
    if (code.name === "UIDVALIDITY") uidValidity = code.value;
    else if (code.name === "UIDNEXT") uidNext = code.value;
    // Only when MODSEQs are on here (Dovecot reports one even without CONDSTORE enabled,
    // but the messages then come without MODSEQ: no MODSEQs for the session, NOMODSEQ).
    else if (code.name === "HIGHESTMODSEQ" && modseqEnabled(c)) highestModseq = code.modseq;
    else if (code.name === "PERMANENTFLAGS") permanentFlags = code.flags;
  }
  const backendReadOnly = result.code?.name === "READ-ONLY";
  const { messages, more } = await listMessages(c, exists);
  const highestUid = messages.length > 0 ? messages[messages.length - 1]!.uid : 0;
  const qresync = c.enabled.has("QRESYNC");
  const state: SelectedState = {
    uidValidity,
    uidNext: Math.max(uidNext, highestUid + 1),
    highestModseq,
    flags,
    permanentFlags: readOnly || backendReadOnly ? [] : permanentFlags,
    messages,
    recent: messages.filter((m) => m.flags.some((f) => /^\\recent$/i.test(f))).map((m) => m.uid),
    readOnly: readOnly || backendReadOnly,
  };
  return {
    state,
    more,
    init: {
      uidValidity,
      highestUid,
      exists: messages.length,
      highestModseq,
      uids: qresync ? null : messages.map((m) => m.uid),
    },
  };
}

/** The messages above `highestUid` (new since it), ascending. */
export async function fetchNew(c: ImapClient, highestUid: number): Promise<MessageState[]> {
  const items = modseqEnabled(c)
    ? [{ type: "UID" as const }, { type: "FLAGS" as const }, { type: "MODSEQ" as const }]
    : [{ type: "UID" as const }, { type: "FLAGS" as const }];
  const result = await c.command({
    name: "FETCH",
    uid: true,
    set: [{ start: highestUid + 1, end: "*" }],
    items,
    vanished: false,
  });
  const found = new Map<number, MessageState>();
  for (const u of result.untagged) {
    if (u.type !== "FETCH") continue;
    const m = messageOf(u.items);
    // `n:*` also matches the last message when nothing is above n (RFC 9051 §6.4.8).
    if (m.uid > highestUid && m.flags)
      found.set(
        m.uid,
        m.modseq === undefined ? { uid: m.uid, flags: m.flags } : { uid: m.uid, flags: m.flags, modseq: m.modseq },
      );
  }
  return [...found.values()].sort((a, b) => a.uid - b.uid);
}

/**
 * Re-select after a reconnect and work out what the client is owed. Returns the changes
 * (expunge, flags, append, in that order) and the tracker's new starting point.
 */
export async function reselect(
  c: ImapClient,
  wire: string,
  readOnly: boolean,
  old: MailboxTracker,
): Promise<{ changes: MailboxChange[]; init: TrackerInit }> {
  const qresync = c.enabled.has("QRESYNC") && old.syncedModseq > 0n;
  if (!qresync) return reselectFull(c, wire, readOnly, old);
  let result: Awaited<ReturnType<ImapClient["command"]>>;
  try {
    result = await c.command({
      name: readOnly ? "EXAMINE" : "SELECT",
      mailbox: wire,
      condstore: false,
      qresync: {
        uidValidity: old.uidValidity,
        modseq: old.syncedModseq,
        ...(old.highestUid > 0 ? { knownUids: [{ start: 1, end: old.highestUid }] } : {}),
      },
    });
  } catch (error) {
    throw selectFailure(error);
  }
  let uidValidity = 0;
  let uidNext = 0;
  let highestModseq = 0n;
  for (const code of codes(result.untagged)) {
    if (code.name === "UIDVALIDITY") uidValidity = code.value;
    else if (code.name === "UIDNEXT") uidNext = code.value;
    else if (code.name === "HIGHESTMODSEQ") highestModseq = code.modseq;
  }
  if (uidValidity !== old.uidValidity) {
    throw new SessionEnded(`the mailbox's UIDVALIDITY changed from ${old.uidValidity} to ${uidValidity}`);
  }
  behindCheck(uidNext, old);
  let exists = 0;
  const vanished: number[] = [];
  const changed = new Map<number, MessageState>();
  for (const u of result.untagged) {
    if (u.type === "EXISTS") exists = u.count;
    else if (u.type === "VANISHED") {
      for (const uid of expand(u.uids)) if (uid <= old.highestUid) vanished.push(uid);
    } else if (u.type === "FETCH") {
      const m = messageOf(u.items);
      if (m.uid > 0 && m.uid <= old.highestUid && m.flags) {
        changed.set(
          m.uid,
          m.modseq === undefined ? { uid: m.uid, flags: m.flags } : { uid: m.uid, flags: m.flags, modseq: m.modseq },
        );
      }
    }
  }
  // New messages are not fetched here: the caller installs the tracker first and lets it
  // fetch them (`expectNew`), so that whatever the backend says meanwhile (a VANISHED
  // during that fetch, say) goes through the tracker instead of being lost.
  const changes: MailboxChange[] = [];
  if (vanished.length > 0) changes.push({ kind: "expunge", uids: vanished });
  if (changed.size > 0) changes.push({ kind: "flags", messages: [...changed.values()] });
  return {
    changes,
    init: {
      uidValidity,
      highestUid: old.highestUid,
      exists,
      highestModseq: highestModseq || old.syncedModseq,
      uids: null,
    },
  };
}

/**
 * A refused re-select: the mailbox is gone (NONEXISTENT, "doesn't exist") → the session
 * ends; anything else (locked by an instance that died, INUSE, UNAVAILABLE) → this host is
 * not ready yet, failover tries again within its budget.
 */
function selectFailure(error: unknown): unknown {
  if (!(error instanceof ImapCommandError)) return error;
  const gone = error.code?.name === "NONEXISTENT" || (!error.code && /doesn't exist|does not exist/i.test(error.text));
  if (gone) return new SessionEnded(`the mailbox cannot be selected any more: ${error.message}`);
  return new ImapConnectionError("PROTOCOL", `the backend cannot select the mailbox now: ${error.message}`);
}

/**
 * A backend whose UIDNEXT is not above every UID the client has seen does not see the
 * mailbox as far as the previous backend did (shared storage still locked by the instance
 * that died, a lagging replica). Carrying on there would be silently wrong (a STORE on a
 * UID it does not know is a no-op OK), so this host is treated as not ready: failover
 * tries again (same host later, or the next one) within the reconnect budget.
 */
function behindCheck(uidNext: number, old: MailboxTracker): void {
  if (uidNext > 0 && uidNext <= old.highestUid) {
    throw new ImapConnectionError(
      "PROTOCOL",
      `the backend's view of the mailbox is behind (UIDNEXT ${uidNext}, the client has seen UID ${old.highestUid})`,
    );
  }
}

/**
 * The session's MODSEQs (the client was given HIGHESTMODSEQ and may use CONDSTORE at any
 * time: it was advertised) cannot go on on a host without them (no CONDSTORE there): this
 * host is not usable for the session; failover tries the others within its budget, then
 * ends the session with BYE (capabilities.ts: what was advertised is not taken back).
 */
function modseqCheck(c: ImapClient, highestModseq: bigint, old: MailboxTracker): void {
  if (old.syncedModseq > 0n && (highestModseq === 0n || !modseqEnabled(c))) {
    throw new ImapConnectionError(
      "PROTOCOL",
      "the backend has no MODSEQs (CONDSTORE) for the mailbox, which this session was given",
    );
  }
}

async function reselectFull(
  c: ImapClient,
  wire: string,
  readOnly: boolean,
  old: MailboxTracker,
): Promise<{ changes: MailboxChange[]; init: TrackerInit }> {
  let opened: Opened;
  try {
    opened = await openSelection(c, wire, readOnly);
  } catch (error) {
    throw selectFailure(error);
  }
  const { state, init } = opened;
  if (state.uidValidity !== old.uidValidity) {
    throw new SessionEnded(`the mailbox's UIDVALIDITY changed from ${old.uidValidity} to ${state.uidValidity}`);
  }
  behindCheck(state.uidNext, old);
  modseqCheck(c, state.highestModseq, old);
  const present = state.messages;
  const expunged: number[] = [];
  if (old.uids) {
    const now = new Set(present.map((m) => m.uid));
    for (const uid of old.uids) if (uid > 0 && uid <= old.highestUid && !now.has(uid)) expunged.push(uid);
  } else {
    // Every UID up to the last delivered one that is not present (the queue ignores the
    // ones the client never had).
    let next = 1;
    for (const m of present) {
      if (m.uid > old.highestUid) break;
      for (let uid = next; uid < m.uid; uid++) expunged.push(uid);
      next = m.uid + 1;
    }
    for (let uid = next; uid <= old.highestUid; uid++) expunged.push(uid);
  }
  const known = present.filter((m) => m.uid <= old.highestUid);
  const appended = present.filter((m) => m.uid > old.highestUid);
  const changes: MailboxChange[] = [];
  if (expunged.length > 0) changes.push({ kind: "expunge", uids: expunged });
  if (known.length > 0) changes.push({ kind: "flags", messages: known });
  if (appended.length > 0) changes.push({ kind: "append", messages: appended });
  return { changes, init: { ...init, highestUid: Math.max(init.highestUid, old.highestUid) } };
}
