import type { Command, SequenceSet } from "@holdfast/imap-codec";
import { FlagSetTable, mergeRanges, NotificationQueue, SequenceMap } from "@holdfast/session";
import type { SelectedState } from "../backend.js";
import type { ImapConnection, SelectedContext } from "../connection.js";
import { uidSetOf, uidsInRanges } from "../uid-ranges.js";
import { visibleFlags } from "../visible-flags.js";
import { nameFromWire } from "./names.js";

/*
 * SELECT / EXAMINE (CONDSTORE, QRESYNC), CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE, CHECK, ENABLE.
 */

export async function select(
  conn: ImapConnection,
  command: Extract<Command, { name: "SELECT" | "EXAMINE" }>,
): Promise<void> {
  const name = await nameFromWire(conn, command.tag, command.mailbox);
  if (name === null) return;
  if (command.qresync && !conn.enabled.has("QRESYNC")) {
    await conn.tagged(command.tag, "BAD", "QRESYNC parameter without ENABLE QRESYNC.");
    return;
  }
  if (conn.selected) {
    await conn.deselect();
    // RFC 7162 §3.2.11 / RFC 9051: the previous mailbox is closed before the new one is reported.
    await conn.untagged("OK", "Previous mailbox closed.", { name: "CLOSED" });
  }
  const readOnly = command.name === "EXAMINE";
  const { mailbox, state } = await conn.session!.select(name, { readOnly });
  if (command.condstore) conn.enabled.add("CONDSTORE");
  const flagSets = new FlagSetTable();
  let map: SequenceMap;
  try {
    // Messages usually share their flag arrays (LocalBackend hands out one per distinct set):
    // each array is interned once, not once per message.
    const ids = new Map<readonly string[], number>();
    const n = state.messages.length;
    const uids = new Float64Array(n); // as given: fromUids checks the range
    const flagIds = new Uint32Array(n);
    const modseqs = new BigUint64Array(n);
    for (let i = 0; i < n; i++) {
      const m = state.messages[i]!;
      let id = ids.get(m.flags);
      if (id === undefined) {
        id = flagSets.intern(visibleFlags(conn.enabled, m.flags));
        ids.set(m.flags, id);
      }
      uids[i] = m.uid;
      flagIds[i] = id;
      modseqs[i] = m.modseq ?? 0n;
    }
    map = SequenceMap.fromUids(uids, flagIds, modseqs);
  } catch (error) {
    await mailbox.close();
    throw error;
  }
  const queue = new NotificationQueue(map, flagSets, { qresync: conn.enabled.has("QRESYNC") });
  const sel: SelectedContext = {
    name,
    mailbox,
    queue,
    readOnly: readOnly || state.readOnly,
    unsubscribe: () => {},
    flagList: [...state.flags],
    knownFlags: new Set(state.flags.map((f) => f.toLowerCase())),
  };
  sel.unsubscribe = mailbox.onChange((change) => conn.onBackendChange(sel, change));
  conn.selected = sel;
  conn.state = "selected";

  const send = (data: Parameters<ImapConnection["send"]>[0]) => conn.send(data);
  await send({ kind: "untagged", data: { type: "FLAGS", flags: state.flags } });
  await conn.untagged("OK", "Flags permitted.", {
    name: "PERMANENTFLAGS",
    flags: sel.readOnly ? [] : state.permanentFlags,
  });
  await send({ kind: "untagged", data: { type: "EXISTS", count: map.size } });
  if (!conn.enabled.has("IMAP4rev2")) {
    await send({ kind: "untagged", data: { type: "RECENT", count: state.recent.length } });
    const firstUnseen = state.messages.findIndex((m) => !m.flags.some((f) => /^\\seen$/i.test(f)));
    if (firstUnseen >= 0) await conn.untagged("OK", "First unseen.", { name: "UNSEEN", value: firstUnseen + 1 });
  }
  await conn.untagged("OK", "UIDs valid.", { name: "UIDVALIDITY", value: state.uidValidity });
  await conn.untagged("OK", "Predicted next UID.", { name: "UIDNEXT", value: state.uidNext });
  if (state.highestModseq > 0n) {
    await conn.untagged("OK", "Highest.", { name: "HIGHESTMODSEQ", modseq: state.highestModseq });
  } else {
    await conn.untagged("OK", "No permanent modsequences.", { name: "NOMODSEQ" });
  }
  const q = command.qresync;
  if (q && q.uidValidity === state.uidValidity && state.highestModseq > 0n) {
    await qresyncReplay(conn, sel, state, q.modseq, q.knownUids);
  }
  await conn.tagged(command.tag, "OK", `${command.name} completed.`, {
    name: sel.readOnly ? "READ-ONLY" : "READ-WRITE",
  });
}

/**
 * RFC 7162 §3.2.5.2: VANISHED (EARLIER) for what went away since `modseq`, FETCH for what
 * changed. When the backend's expunge tombstones still reach back to `modseq` the list is
 * exact; when they do not, every UID below UIDNEXT that is not present is reported (RFC 7162
 * allows UIDs the client never knew), so no expunge is ever missed. Either way only UIDs in
 * the client's known-UIDs set, when it gave one.
 */
async function qresyncReplay(
  conn: ImapConnection,
  sel: SelectedContext,
  state: SelectedState,
  modseq: bigint,
  known?: SequenceSet,
): Promise<void> {
  const top = state.uidNext - 1;
  const knownRanges =
    known && known !== "$"
      ? known.map((r) => {
          const a = r.start === "*" ? top : r.start;
          const b = r.end === "*" ? top : r.end;
          return { lo: Math.min(a, b), hi: Math.max(a, b) };
        })
      : [{ lo: 1, hi: top }];
  const gone = await sel.mailbox.vanishedSince(modseq);
  let vanished: { start: number; end: number }[];
  if (gone.exact) {
    vanished = uidSetOf(uidsInRanges(gone.uids, knownRanges)) as { start: number; end: number }[];
  } else {
    // Complement of the present UIDs within each known range.
    vanished = [];
    for (const r of mergeRanges(knownRanges)) {
      let next = r.lo;
      for (const uid of sel.queue.map.resolveUidSet([{ start: r.lo, end: r.hi }])) {
        if (uid > next) vanished.push({ start: next, end: uid - 1 });
        next = uid + 1;
      }
      if (next <= r.hi) vanished.push({ start: next, end: r.hi });
    }
  }
  if (vanished.length > 0) {
    await conn.send({ kind: "untagged", data: { type: "VANISHED", earlier: true, uids: vanished } });
  }
  const map = sel.queue.map;
  for (const m of state.messages) {
    if ((m.modseq ?? 0n) <= modseq) continue;
    await conn.send({
      kind: "untagged",
      data: {
        type: "FETCH",
        seq: map.seqOf(m.uid)!,
        items: [
          { name: "UID", value: m.uid },
          { name: "FLAGS", value: [...m.flags] },
          { name: "MODSEQ", value: m.modseq ?? 0n },
        ],
      },
    });
  }
}

export async function close(conn: ImapConnection, command: { tag: string; name: "CLOSE" | "UNSELECT" }): Promise<void> {
  const sel = conn.selected!;
  if (command.name === "CLOSE" && !sel.readOnly) {
    // CLOSE expunges \Deleted messages without EXPUNGE responses (RFC 9051 §6.4.2).
    await sel.mailbox.expunge();
  }
  await conn.deselect();
  await conn.tagged(command.tag, "OK", `${command.name} completed.`);
}

export async function expunge(conn: ImapConnection, command: Extract<Command, { name: "EXPUNGE" }>): Promise<void> {
  const sel = conn.selected!;
  if (sel.readOnly) {
    await conn.tagged(command.tag, "NO", "Mailbox is read-only.", { name: "CANNOT" }, { expunge: true });
    return;
  }
  let uids: Uint32Array | undefined;
  if (command.uid) uids = sel.queue.map.resolveUidSet(command.set, { saved: sel.saved });
  const removed = await sel.mailbox.expunge(uids);
  sel.queue.apply({ kind: "expunge", uids: removed });
  await conn.tagged(command.tag, "OK", "EXPUNGE completed.", undefined, { expunge: true });
}

export async function check(conn: ImapConnection, tag: string, name: string): Promise<void> {
  await conn.selected?.mailbox.poll();
  const permission = { expunge: true };
  await conn.tagged(tag, "OK", `${name} completed.`, undefined, permission);
}

const ENABLEABLE = new Set(["CONDSTORE", "QRESYNC", "UTF8=ACCEPT", "IMAP4REV2"]);

export async function enable(conn: ImapConnection, command: Extract<Command, { name: "ENABLE" }>): Promise<void> {
  const newly: string[] = [];
  for (const raw of command.capabilities) {
    const cap = raw.toUpperCase();
    if (!ENABLEABLE.has(cap)) continue;
    const name = cap === "IMAP4REV2" ? "IMAP4rev2" : cap;
    // Withheld from this session (its backend lacks it): not enabled, as if unknown.
    if (conn.withheld.has(name)) continue;
    if (!conn.enabled.has(name)) newly.push(name);
    conn.enabled.add(name);
    if (name === "QRESYNC" && !conn.enabled.has("CONDSTORE")) conn.enabled.add("CONDSTORE");
  }
  await conn.send({ kind: "untagged", data: { type: "ENABLED", capabilities: newly } });
  await conn.tagged(command.tag, "OK", "ENABLE completed.");
}
