import type { Command, FetchAttribute, FetchResponseItem, SearchKey, SequenceSet } from "@holdfast/imap-codec";
import { flushPermissionFor } from "@holdfast/session";
import { BackendError } from "../backend.js";
import { searchUsesModseq } from "../capabilities.js";
import type { ImapConnection, SelectedContext } from "../connection.js";
import { uidSetOf, uidsInRanges } from "../uid-ranges.js";
import { visibleFlags } from "../visible-flags.js";
import { nameFromWire } from "./names.js";

/*
 * Selected-state message commands: FETCH, STORE, SEARCH, COPY, MOVE (and their UID forms).
 * Sequence numbers are turned into UIDs here, with the session's map; the backend sees UIDs
 * only. Untagged notifications go out only as flushPermissionFor() allows (no EXPUNGE during
 * FETCH, STORE or SEARCH by sequence number).
 */

/**
 * Resolve the command's set to UIDs. A sequence set that does not resolve gives a string
 * (the reason), which the caller answers BAD with. Synchronous: no await on the hot path.
 */
function resolveTargets(sel: SelectedContext, set: SequenceSet, uid: boolean): Uint32Array | string {
  if (uid) {
    // One UID (a client fetching or flagging one message): no range arithmetic.
    const only = set !== "$" && set.length === 1 ? set[0]! : null;
    if (only && typeof only.start === "number" && only.start === only.end) {
      return sel.queue.map.has(only.start) ? Uint32Array.of(only.start) : new Uint32Array(0);
    }
    return sel.queue.map.resolveUidSet(set, { saved: sel.saved });
  }
  const resolved = sel.queue.map.resolveSequenceSet(set, { saved: sel.saved });
  if (!resolved.ok) return `Invalid message sequence set: ${resolved.error}.`;
  const out = new Uint32Array(resolved.seqs.length);
  for (let i = 0; i < out.length; i++) out[i] = sel.queue.map.uidAt(resolved.seqs[i]!)!;
  return out;
}

/** Resolve the command's set to UIDs; answers BAD (and returns null) when it is invalid. */
async function targetUids(
  conn: ImapConnection,
  tag: string,
  set: SequenceSet,
  uid: boolean,
): Promise<Uint32Array | null> {
  const uids = resolveTargets(conn.selected!, set, uid);
  if (typeof uids !== "string") return uids;
  await conn.tagged(tag, "BAD", uids);
  return null;
}

function marksSeen(items: FetchAttribute[]): boolean {
  return items.some(
    (i) =>
      ((i.type === "BODY[]" || i.type === "BINARY[]") && !i.peek) || i.type === "RFC822" || i.type === "RFC822.TEXT",
  );
}

function hasItem(items: readonly FetchAttribute[], type: FetchAttribute["type"]): boolean {
  for (let i = 0; i < items.length; i++) if (items[i]!.type === type) return true;
  return false;
}

/** flushPermissionFor("FETCH", uid), made once (it builds a new object per call). */
const FETCH_BY_UID = flushPermissionFor("FETCH", true);
const FETCH_BY_SEQ = flushPermissionFor("FETCH", false);

export async function fetch(conn: ImapConnection, command: Extract<Command, { name: "FETCH" }>): Promise<void> {
  const sel = conn.selected!;
  const permission = command.uid ? FETCH_BY_UID : FETCH_BY_SEQ;
  const uids = resolveTargets(sel, command.set, command.uid);
  if (typeof uids === "string") {
    await conn.tagged(command.tag, "BAD", uids);
    return;
  }
  // The codec has already expanded FAST/ALL/FULL into `items`. Copied only when changed.
  let items = command.items;
  if (command.uid && !hasItem(items, "UID")) items = [{ type: "UID" }, ...items];
  if (command.changedSince !== undefined) {
    conn.enabled.add("CONDSTORE");
    if (!hasItem(items, "MODSEQ")) items = [...items, { type: "MODSEQ" }];
  }
  if (hasItem(items, "MODSEQ")) conn.enabled.add("CONDSTORE");
  if (command.vanished) {
    if (!command.uid || command.changedSince === undefined || !conn.enabled.has("QRESYNC")) {
      await conn.tagged(command.tag, "BAD", "VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC.");
      return;
    }
    const gone = await sel.mailbox.vanishedSince(command.changedSince);
    // RFC 7162 §3.2.6: every expunged UID within the command's ranges, including UIDs the
    // client has already been told about; `*` is the highest UID the mailbox has had.
    const top = sel.queue.highestKnownUid;
    const ranges =
      command.set === "$"
        ? []
        : command.set.map((r) => {
            const a = r.start === "*" ? top : r.start;
            const b = r.end === "*" ? top : r.end;
            return { lo: Math.min(a, b), hi: Math.max(a, b) };
          });
    const vanished = uidsInRanges(gone.uids, ranges);
    if (vanished.length)
      await conn.send({ kind: "untagged", data: { type: "VANISHED", earlier: true, uids: uidSetOf(vanished) } });
  }
  const markSeen = marksSeen(items) && !sel.readOnly;
  const rev2 = conn.enabled.has("IMAP4rev2");
  // Only a FETCH by number answers NO for messages expunged meanwhile (see below).
  const seen = !command.uid && command.changedSince === undefined ? new Set<number>() : null;
  for await (const message of sel.mailbox.fetch(uids, items, { markSeen, changedSince: command.changedSince })) {
    const seq = sel.queue.map.seqOf(message.uid);
    if (seq === undefined) continue;
    seen?.add(message.uid);
    let fetched = message.items;
    for (let i = 0; i < fetched.length; i++) {
      const item = fetched[i]!;
      if (item.name !== "FLAGS") continue;
      conn.announceFlags(item.value);
      if (rev2) {
        fetched = fetched.slice();
        fetched[i] = { name: "FLAGS", value: visibleFlags(conn.enabled, item.value) };
      }
    }
    await conn.send({ kind: "untagged", data: { type: "FETCH", seq, items: fetched } });
  }
  // Only for FETCH by number: a UID FETCH simply has nothing to say about a vanished UID.
  if (seen !== null && uids.some((u) => !seen.has(u) && sel.queue.isExpungePending(u))) {
    await conn.tagged(
      command.tag,
      "NO",
      "Some of the requested messages no longer exist.",
      { name: "EXPUNGEISSUED" },
      permission,
    );
    return;
  }
  await conn.tagged(
    command.tag,
    "OK",
    command.uid ? "UID FETCH completed." : "FETCH completed.",
    undefined,
    permission,
  );
}

export async function store(conn: ImapConnection, command: Extract<Command, { name: "STORE" }>): Promise<void> {
  const sel = conn.selected!;
  const permission = flushPermissionFor("STORE", command.uid);
  if (sel.readOnly) {
    await conn.tagged(command.tag, "NO", "Mailbox is read-only.", { name: "READ-ONLY" }, permission);
    return;
  }
  const uids = await targetUids(conn, command.tag, command.set, command.uid);
  if (!uids) return;
  if (command.unchangedSince !== undefined) conn.enabled.add("CONDSTORE");
  const { updated, modified } = await sel.mailbox.store(uids, command.action, {
    unchangedSince: command.unchangedSince,
  });
  const map = sel.queue.map;
  for (const m of updated) {
    const seq = map.seqOf(m.uid);
    if (seq === undefined) continue;
    // The client learns the new flags now; the change feed's copy of this change is then
    // recognised as known and not sent twice.
    map.setAttributes(m.uid, sel.queue.flagSets.intern(m.flags), m.modseq ?? map.attributes(m.uid)!.modseq);
    if (command.action.silent && !conn.condstore) continue;
    const items: Parameters<typeof conn.send>[0] & { kind: "untagged" } = {
      kind: "untagged",
      data: { type: "FETCH", seq, items: [] },
    };
    const list = (items.data as { items: unknown[] }).items as Extract<typeof items.data, { type: "FETCH" }>["items"];
    if (command.uid || conn.enabled.has("QRESYNC")) list.push({ name: "UID", value: m.uid });
    if (!command.action.silent) list.push({ name: "FLAGS", value: [...m.flags] });
    if (conn.condstore && m.modseq !== undefined) list.push({ name: "MODSEQ", value: m.modseq });
    if (!command.action.silent) conn.announceFlags(m.flags);
    if (list.length > 0) await conn.send(items);
  }
  if (!command.action.silent) {
    // RFC 9051 §6.4.6: the new flags of every message in the set, changed or not.
    const changed = new Set(updated.map((m) => m.uid));
    const failed = new Set(modified);
    for (const uid of uids) {
      if (changed.has(uid) || failed.has(uid)) continue;
      const seq = map.seqOf(uid);
      const known = map.attributes(uid);
      if (seq === undefined || !known) continue;
      const flags = visibleFlags(conn.enabled, sel.queue.flagSets.flags(known.flagSet));
      const items: FetchResponseItem[] = [];
      if (command.uid || conn.enabled.has("QRESYNC")) items.push({ name: "UID", value: uid });
      items.push({ name: "FLAGS", value: flags });
      if (conn.condstore && known.modseq !== 0n) items.push({ name: "MODSEQ", value: known.modseq });
      await conn.send({ kind: "untagged", data: { type: "FETCH", seq, items } });
    }
  }
  if (modified.length > 0) {
    const set = command.uid ? modified : modified.map((u) => map.seqOf(u)).filter((s): s is number => s !== undefined);
    await conn.tagged(
      command.tag,
      "OK",
      "Conditional STORE failed for some messages.",
      { name: "MODIFIED", set: uidSetOf(set) },
      permission,
    );
    return;
  }
  await conn.tagged(command.tag, "OK", `${command.uid ? "UID " : ""}STORE completed.`, undefined, permission);
}

/** Rewrite sequence-number keys (and `$`) as UID keys, so the backend sees UIDs only. */
function toUidKeys(sel: SelectedContext, keys: SearchKey[]): SearchKey[] | string {
  const convert = (key: SearchKey): SearchKey | string => {
    switch (key.type) {
      case "SEQ": {
        if (key.set === "$") return { type: "UID", set: uidSetOf([...(sel.saved ?? [])]) };
        const r = sel.queue.map.resolveSequenceSet(key.set);
        // An empty mailbox or a number past the end selects nothing rather than failing SEARCH.
        if (!r.ok) return { type: "UID", set: [] };
        return { type: "UID", set: uidSetOf(Array.from(r.seqs, (s) => sel.queue.map.uidAt(s)!)) };
      }
      case "UID":
        // Resolved against the client's view, so `*` and `n:*` mean what RFC 9051 says.
        if (key.set === "$") return { type: "UID", set: uidSetOf([...(sel.saved ?? [])]) };
        return { type: "UID", set: uidSetOf([...sel.queue.map.resolveUidSet(key.set)]) };
      case "NOT": {
        const inner = convert(key.key);
        return typeof inner === "string" ? inner : { type: "NOT", key: inner };
      }
      case "OR": {
        const left = convert(key.left);
        const right = convert(key.right);
        if (typeof left === "string") return left;
        if (typeof right === "string") return right;
        return { type: "OR", left, right };
      }
      case "AND": {
        const inner = toUidKeys(sel, key.keys);
        return typeof inner === "string" ? inner : { type: "AND", keys: inner };
      }
      default:
        return key;
    }
  };
  const out: SearchKey[] = [];
  for (const key of keys) {
    const c = convert(key);
    if (typeof c === "string") return c;
    out.push(c);
  }
  return out;
}

/** RFC 5182 §2.4: with MIN/MAX but neither ALL nor COUNT, only those messages are saved. */
function savedResult(wanted: Set<string>, uids: number[]): Uint32Array {
  if (uids.length === 0 || wanted.has("ALL") || wanted.has("COUNT") || !(wanted.has("MIN") || wanted.has("MAX"))) {
    return Uint32Array.from(uids);
  }
  const out = new Set<number>();
  if (wanted.has("MIN")) out.add(uids[0]!);
  if (wanted.has("MAX")) out.add(uids[uids.length - 1]!);
  return Uint32Array.from([...out].sort((a, b) => a - b));
}

export async function search(conn: ImapConnection, command: Extract<Command, { name: "SEARCH" }>): Promise<void> {
  const sel = conn.selected!;
  const permission = flushPermissionFor("SEARCH", command.uid);
  // RFC 5182 §2.1: a SEARCH ... SAVE that fails leaves $ empty, not as it was.
  if (command.returnOptions?.includes("SAVE")) sel.saved = new Uint32Array(0);
  const charset = command.charset?.toUpperCase();
  if (charset !== undefined && charset !== "UTF-8" && charset !== "US-ASCII") {
    await conn.tagged(
      command.tag,
      "NO",
      `Unsupported charset ${command.charset}.`,
      { name: "BADCHARSET", charsets: ["UTF-8", "US-ASCII"] },
      permission,
    );
    return;
  }
  const keys = toUidKeys(sel, command.criteria);
  if (typeof keys === "string") {
    await conn.tagged(command.tag, "BAD", keys, undefined, permission);
    return;
  }
  const modseqSearch = searchUsesModseq(command.criteria);
  if (modseqSearch) conn.enabled.add("CONDSTORE");
  const result = await sel.mailbox.search(keys, { charset });
  const map = sel.queue.map;
  const uids = result.uids.filter((u) => map.has(u));
  const numbers = command.uid ? uids : uids.map((u) => map.seqOf(u)!);
  const modseq = modseqSearch && uids.length > 0 ? result.highestModseq : undefined;
  // IMAP4rev2 has no SEARCH response: a plain SEARCH is answered as RETURN (ALL).
  const options = command.returnOptions ?? (conn.enabled.has("IMAP4rev2") ? [] : undefined);
  if (options === undefined) {
    await conn.send({
      kind: "untagged",
      data: { type: "SEARCH", numbers, ...(modseq !== undefined ? { modseq } : {}) },
    });
  } else {
    const wanted = new Set(options.length === 0 ? ["ALL"] : options);
    if (wanted.has("SAVE")) sel.saved = savedResult(wanted, uids);
    const onlySave = wanted.size === 1 && wanted.has("SAVE");
    if (!onlySave) {
      const data: Record<string, unknown> = { type: "ESEARCH", tag: command.tag, uid: command.uid };
      if (numbers.length > 0) {
        if (wanted.has("MIN")) data.min = numbers[0];
        if (wanted.has("MAX")) data.max = numbers[numbers.length - 1];
        if (wanted.has("ALL")) data.all = uidSetOf(numbers);
      }
      if (wanted.has("COUNT")) data.count = numbers.length;
      if (modseq !== undefined) data.modseq = modseq;
      await conn.send({ kind: "untagged", data: data as never });
    }
  }
  await conn.tagged(command.tag, "OK", `${command.uid ? "UID " : ""}SEARCH completed.`, undefined, permission);
}

export async function copyOrMove(
  conn: ImapConnection,
  command: Extract<Command, { name: "COPY" | "MOVE" }>,
): Promise<void> {
  const sel = conn.selected!;
  const permission = flushPermissionFor(command.name, command.uid);
  const uids = await targetUids(conn, command.tag, command.set, command.uid);
  if (!uids) return;
  const target = await nameFromWire(conn, command.tag, command.mailbox);
  if (target === null) return;
  if (command.name === "MOVE" && sel.readOnly) {
    await conn.tagged(command.tag, "NO", "Mailbox is read-only.", { name: "READ-ONLY" }, permission);
    return;
  }
  if (uids.length === 0) {
    await conn.tagged(command.tag, "OK", `No messages to ${command.name}.`, undefined, permission);
    return;
  }
  let result: Awaited<ReturnType<typeof sel.mailbox.copy>>;
  try {
    result = await (command.name === "COPY" ? sel.mailbox.copy(uids, target) : sel.mailbox.move(uids, target));
  } catch (error) {
    // RFC 9051 §6.4.7: a missing target is TRYCREATE, so clients create it and retry.
    if (error instanceof BackendError && error.code === "NONEXISTENT") {
      await conn.tagged(command.tag, "NO", error.message, { name: "TRYCREATE" }, permission);
      return;
    }
    throw error;
  }
  // No COPYUID when the backend gave none (a remote backend without UIDPLUS): 0 is no UIDVALIDITY.
  const code =
    result.uidValidity > 0 && result.destination.length > 0
      ? {
          name: "COPYUID" as const,
          uidValidity: result.uidValidity,
          sourceUids: uidSetOf(result.source),
          destinationUids: uidSetOf(result.destination),
        }
      : undefined;
  if (command.name === "COPY") {
    await conn.tagged(command.tag, "OK", "COPY completed.", code, permission);
    return;
  }
  // RFC 6851 §4.3: COPYUID in an untagged OK, then the EXPUNGEs of the moved messages, which
  // are the command's result and so go out now whatever the set was given in.
  if (code) await conn.untagged("OK", "Moved UIDs.", code);
  sel.queue.apply({ kind: "expunge", uids: result.source });
  await conn.flushNotifications({ expunge: true });
  await conn.tagged(command.tag, "OK", "MOVE completed.", undefined, permission);
}
