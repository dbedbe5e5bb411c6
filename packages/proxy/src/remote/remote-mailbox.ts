import type {
  FetchAttribute,
  FetchResponseItem,
  ResponseCode,
  SearchKey,
  StoreAction,
  UntaggedData,
} from "@holdfast/imap-codec";
import type { MailboxChange, MessageState } from "@holdfast/session";
import type { SelectedMailbox } from "../backend.js";
import { BackendError } from "../backend.js";
import { uidSetOf } from "../uid-ranges.js";
import type { ImapClient } from "./imap-client.js";
import type { Link } from "./link.js";
import type { MailboxNames } from "./mailbox-names.js";
import { expand } from "./mailbox-tracker.js";
import { assemble, bodyRequest, byUid, complete, fetchMessages, metaItems } from "./remote-fetch.js";

/*
 * The selected mailbox of a remote session. Every operation is a UID command on the
 * session's Link (failover included); which of them are re-issued after a broken
 * connection is decided here, per operation (`idempotent` below), and documented in
 * link.ts. The change feed: the Link's MailboxTracker emits into `emit()`.
 */

type CopyResult = { uidValidity: number; source: number[]; destination: number[] };

const CHUNK = 1000;
/** Most UIDs a metadata-only FETCH asks the backend for in one command (as fetchMessages). */
const METADATA_CHUNK = 500;

const notBody = (item: FetchAttribute): boolean => bodyRequest(item) === null;

/** The bodies of a metadata-only FETCH: none (assemble only reads it). */
const NO_BODIES = new Map<string, never>();

function copyUid(codes: (ResponseCode | undefined)[]): CopyResult | null {
  for (const code of codes) {
    if (code?.name === "COPYUID") {
      return {
        uidValidity: code.uidValidity,
        source: expand(code.sourceUids),
        destination: expand(code.destinationUids),
      };
    }
  }
  return null;
}

function statusCodes(untagged: UntaggedData[]): ResponseCode[] {
  return untagged.flatMap((u) => (u.type === "STATUS-RESPONSE" && u.code ? [u.code] : []));
}

/** Search keys the backend can take: an empty UID set (nothing matches) becomes NOT ALL. */
function backendKeys(keys: SearchKey[]): SearchKey[] {
  const fix = (k: SearchKey): SearchKey => {
    switch (k.type) {
      case "UID":
        return k.set !== "$" && k.set.length === 0 ? { type: "NOT", key: { type: "ALL" } } : k;
      case "NOT":
        return { type: "NOT", key: fix(k.key) };
      case "OR":
        return { type: "OR", left: fix(k.left), right: fix(k.right) };
      case "AND":
        return { type: "AND", keys: k.keys.map(fix) };
      default:
        return k;
    }
  };
  return keys.map(fix);
}

export class RemoteSelectedMailbox implements SelectedMailbox {
  private readonly listeners = new Set<(change: MailboxChange) => void>();
  /** Changes that arrived before the front end subscribed. */
  private early: MailboxChange[] | null = [];
  /** Expunged UIDs seen while an EXPUNGE/MOVE runs (its result). */
  private collecting: number[] | null = null;
  private closed = false;

  constructor(
    private readonly link: Link,
    private readonly names: MailboxNames,
    private readonly streamThreshold: number,
  ) {}

  /** The tracker's output. */
  readonly emit = (change: MailboxChange): void => {
    if (this.closed) return;
    if (change.kind === "expunge" && this.collecting)
      for (let i = 0; i < change.uids.length; i++) this.collecting.push(change.uids[i]!);
    if (this.early) {
      this.early.push(change);
      return;
    }
    for (const listener of this.listeners) listener(change);
  };

  onChange(listener: (change: MailboxChange) => void): () => void {
    this.listeners.add(listener);
    const early = this.early;
    this.early = null;
    for (const change of early ?? []) listener(change);
    return () => this.listeners.delete(listener);
  }

  private check(): void {
    if (this.closed) throw new BackendError("CANNOT", "The mailbox is no longer selected.");
  }

  /** NOOP on the backend: whatever it has queued arrives (and new messages are fetched). */
  async poll(): Promise<void> {
    this.check();
    await this.link.run((c) => c.noop(), true);
    await this.link.settle();
  }

  fetch(
    uids: Uint32Array,
    items: FetchAttribute[],
    options: { markSeen: boolean; changedSince?: bigint },
  ): AsyncIterable<{ uid: number; items: FetchResponseItem[] }> {
    this.check();
    if (uids.length > 0 && uids.length <= METADATA_CHUNK && !options.markSeen && items.every(notBody)) {
      return this.fetchMetadata(uids, items, options.changedSince);
    }
    return fetchMessages(this.link, uids, items, options, this.streamThreshold);
  }

  /**
   * The common FETCH of metadata only (FLAGS, UID, sizes, envelopes, structures; no body,
   * nothing to mark \Seen) for at most one backend command's worth of UIDs: one idempotent
   * exchange, answered whole, then handed out. The same backend command and the same
   * response items as fetchMessages gives (its helpers), without its per-message generator
   * steps and without holding the backend connection while the client reads the answer.
   */
  private fetchMetadata(
    uids: Uint32Array,
    items: FetchAttribute[],
    changedSince: bigint | undefined,
  ): AsyncIterable<{ uid: number; items: FetchResponseItem[] }> {
    // Built once (not per attempt: a replay after failover sends the same command).
    const command = {
      name: "FETCH" as const,
      uid: true,
      set: uidSetOf(uids),
      items: metaItems(items, false, changedSince !== undefined),
      vanished: false,
      ...(changedSince !== undefined ? { changedSince } : {}),
    };
    const answer = async (): Promise<{ uid: number; items: FetchResponseItem[] }[]> => {
      const result = complete(await this.link.run((c) => c.command(command), true));
      const byUids = byUid(result.untagged, new Set(uids));
      const out: { uid: number; items: FetchResponseItem[] }[] = [];
      // In the order asked for (UIDs ascending): a UID missing from the answer is gone.
      for (let i = 0; i < uids.length; i++) {
        const uid = uids[i]!;
        const m = byUids.get(uid);
        if (m) out.push({ uid, items: assemble(items, uid, m, NO_BODIES) });
      }
      return out;
    };
    return {
      [Symbol.asyncIterator]() {
        let messages: { uid: number; items: FetchResponseItem[] }[] | null = null;
        let next = 0;
        return {
          async next(): Promise<IteratorResult<{ uid: number; items: FetchResponseItem[] }>> {
            messages ??= await answer();
            if (next < messages.length) return { value: messages[next++]!, done: false };
            return { value: undefined, done: true };
          },
        };
      },
    };
  }

  async store(
    uids: Uint32Array,
    action: StoreAction,
    options: { unchangedSince?: bigint },
  ): Promise<{ updated: MessageState[]; modified: number[] }> {
    this.check();
    if (uids.length === 0) return { updated: [], modified: [] };
    const flags = action.flags.filter((f) => !/^\\recent$/i.test(f));
    const wanted = new Set(uids);
    // With UNCHANGEDSINCE a re-issued STORE would report our own first attempt as a
    // conflict (MODIFIED): not idempotent. Plain flag STOREs are.
    const idempotent = options.unchangedSince === undefined;
    const result = await this.link.run(async (c) => {
      const updated = new Map<number, MessageState>();
      const modified: number[] = [];
      for (let i = 0; i < uids.length; i += CHUNK) {
        const r = await c.command({
          name: "STORE",
          uid: true,
          set: uidSetOf(Array.from(uids.subarray(i, i + CHUNK))),
          action: { operation: action.operation, silent: false, flags },
          ...(options.unchangedSince !== undefined ? { unchangedSince: options.unchangedSince } : {}),
        });
        for (const u of r.untagged) {
          if (u.type !== "FETCH") continue;
          let uid = 0;
          let fl: string[] | null = null;
          let modseq: bigint | undefined;
          for (const item of u.items) {
            if (item.name === "UID") uid = item.value;
            else if (item.name === "FLAGS") fl = item.value;
            else if (item.name === "MODSEQ") modseq = item.value;
          }
          if (!wanted.has(uid) || fl === null) continue;
          updated.set(uid, modseq === undefined ? { uid, flags: fl } : { uid, flags: fl, modseq });
        }
        if (r.code?.name === "MODIFIED") modified.push(...expand(r.code.set));
      }
      return { updated, modified };
    }, idempotent);
    // No settle(): news from other sessions may wait for the next command or newMessagesDelayMs.
    const failed = new Set(result.modified);
    return {
      updated: [...result.updated.values()].filter((m) => !failed.has(m.uid)),
      modified: result.modified,
    };
  }

  async search(keys: SearchKey[], options: { charset?: string }): Promise<{ uids: number[]; highestModseq?: bigint }> {
    this.check();
    const criteria = backendKeys(keys);
    return this.link.run(async (c) => {
      const esearch = c.capabilities.has("ESEARCH");
      const r = await c.command({
        name: "SEARCH",
        uid: true,
        ...(options.charset ? { charset: options.charset } : {}),
        ...(esearch ? { returnOptions: ["ALL" as const] } : {}),
        criteria,
      });
      const uids: number[] = [];
      let highestModseq: bigint | undefined;
      for (const u of r.untagged) {
        if (u.type === "SEARCH") {
          uids.push(...u.numbers);
          if (u.modseq !== undefined) highestModseq = u.modseq;
        } else if (u.type === "ESEARCH") {
          if (u.all) uids.push(...expand(u.all));
          if (u.modseq !== undefined) highestModseq = u.modseq;
        }
      }
      uids.sort((a, b) => a - b);
      return highestModseq === undefined ? { uids } : { uids, highestModseq };
    }, true);
  }

  /** COPY is not idempotent (a second copy duplicates): a broken connection is UNAVAILABLE. */
  async copy(uids: Uint32Array, target: string): Promise<CopyResult> {
    this.check();
    const mailbox = this.names.toBackend(target);
    const result = await this.link.run(async (c) => {
      const r = await c.command({ name: "COPY", uid: true, set: uidSetOf(Array.from(uids)), mailbox });
      return copyUid([r.code, ...statusCodes(r.untagged)]) ?? { uidValidity: 0, source: [], destination: [] };
    }, false);
    await this.link.settle(); // a copy into the selected mailbox: its EXISTS goes out with the OK
    return result;
  }

  /**
   * MOVE (RFC 6851), or COPY + STORE \Deleted + UID EXPUNGE where the backend lacks MOVE
   * (needs UIDPLUS; without it MOVE is refused rather than expunging other \Deleted mail).
   * Not idempotent.
   */
  async move(uids: Uint32Array, target: string): Promise<CopyResult> {
    this.check();
    const mailbox = this.names.toBackend(target);
    const set = uidSetOf(Array.from(uids));
    return this.link.run(async (c: ImapClient) => {
      if (c.capabilities.has("MOVE")) {
        const r = await c.command({ name: "MOVE", uid: true, set, mailbox });
        return (
          copyUid([r.code, ...statusCodes(r.untagged)]) ?? { uidValidity: 0, source: Array.from(uids), destination: [] }
        );
      }
      // The front end refuses MOVE when withheld; this is a failover to a lesser host.
      if (!c.capabilities.has("UIDPLUS"))
        throw new BackendError("UNAVAILABLE", "MOVE is not available on this server now.");
      const r = await c.command({ name: "COPY", uid: true, set, mailbox });
      await c.command({
        name: "STORE",
        uid: true,
        set,
        action: { operation: "add", silent: true, flags: ["\\Deleted"] },
      });
      await c.command({ name: "EXPUNGE", uid: true, set });
      return copyUid([r.code]) ?? { uidValidity: 0, source: Array.from(uids), destination: [] };
    }, false);
  }

  /**
   * UID EXPUNGE of a set (needs UIDPLUS: without it the proxy refuses rather than expunging
   * every \Deleted message, which the client did not ask for) is idempotent and re-issued
   * after a failover; EXPUNGE of all \Deleted messages is not re-issued (UNAVAILABLE).
   */
  async expunge(uids?: Uint32Array): Promise<number[]> {
    this.check();
    if (uids && uids.length === 0) return [];
    return this.link.run(async (c) => {
      if (uids && !c.capabilities.has("UIDPLUS")) {
        throw new BackendError("UNAVAILABLE", "UID EXPUNGE is not available on this server now (no UIDPLUS).");
      }
      this.collecting = [];
      try {
        if (uids) {
          for (let i = 0; i < uids.length; i += CHUNK) {
            await c.command({ name: "EXPUNGE", uid: true, set: uidSetOf(Array.from(uids.subarray(i, i + CHUNK))) });
          }
        } else await c.command({ name: "EXPUNGE", uid: false });
        return [...new Set(this.collecting)].sort((a, b) => a - b);
      } finally {
        this.collecting = null;
      }
    }, uids !== undefined);
  }

  /** QRESYNC: `UID FETCH 1:* (UID) (CHANGEDSINCE m VANISHED)`; without QRESYNC: not exact. */
  async vanishedSince(modseq: bigint): Promise<{ uids: number[]; exact: boolean }> {
    this.check();
    return this.link.run(async (c) => {
      if (!c.enabled.has("QRESYNC")) return { uids: [], exact: false };
      const r = await c.command({
        name: "FETCH",
        uid: true,
        set: [{ start: 1, end: "*" }],
        items: [{ type: "UID" }],
        changedSince: modseq,
        vanished: true,
      });
      const uids: number[] = [];
      for (const u of r.untagged) if (u.type === "VANISHED" && u.earlier) uids.push(...expand(u.uids));
      return { uids: uids.sort((a, b) => a - b), exact: true };
    }, true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.link.exclusive(async () => {
      if (this.link.selection?.emit === this.emit) this.link.untrack();
    });
  }
}
