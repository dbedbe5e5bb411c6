import type { FetchAttribute, FetchResponseItem, SearchKey, StoreAction } from "@holdfast/imap-codec";
import type { MailboxChange, MessageState } from "@holdfast/session";
import type { MailboxSession, SyncResult, UserStore } from "@holdfast/store";
import type { SelectedMailbox, SelectedState } from "../backend.js";
import { storeCall } from "./errors.js";
import { fetchItems } from "./fetch-items.js";
import { toStoreKey } from "./search-keys.js";

type MailboxHandle = MailboxSession["handle"];

const SYSTEM_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/** A mailbox's message list as SELECT reports it, for one state of the mailbox. */
interface Listing {
  /** uidValidity, uidNext, highestModseq and count of the state it was made from. */
  key: string;
  messages: readonly MessageState[];
  flags: readonly string[];
}

/**
 * The last listing made without \Recent per mailbox (per open store handle, so it goes with
 * the handle). Every commit raises HIGHESTMODSEQ, so the key identifies one state.
 *
 * Why: SELECT used to build a fresh MessageState per message per session. Thousands of
 * clients selecting the same mailbox (reconnect storms, 10,000 sessions going to IDLE)
 * allocated ~100 bytes per message each time, and since those objects live across the
 * SELECT's writes V8 promoted (or pretenured) them: old-space garbage that RSS carried for
 * a long time (120 MB of 340 MB with 10,000 sessions on a 200-message INBOX). Sessions
 * that select an unchanged mailbox now share one frozen listing.
 */
const listings = new WeakMap<MailboxHandle, Listing>();

/** An empty Set still costs hundreds of bytes; most sessions have no \Recent message. */
const NO_RECENT: ReadonlySet<number> = new Set<number>();

function listingKey(session: MailboxSession): string {
  return `${session.uidValidity}:${session.uidNext}:${session.highestModseq}:${session.count}`;
}

/**
 * A mailbox of the local store, selected by one connection. The store's session keeps an
 * index read view; its changes (by any session in this process) arrive in order through
 * the store's push subscription and are handed on as UID-level MailboxChanges.
 */
export class LocalSelectedMailbox implements SelectedMailbox {
  private readonly listeners = new Set<(change: MailboxChange) => void>();
  /** Changes that arrived before anyone listened (between SELECT's state and onChange). */
  private early: MailboxChange[] | null = [];
  /** This session's \Recent UIDs (fixed at SELECT); usually none, then a shared empty set. */
  private readonly recent: ReadonlySet<number>;
  private readonly unsubscribeStore: () => void;

  private constructor(
    private readonly mail: UserStore,
    private readonly session: MailboxSession,
  ) {
    // SELECT claims \Recent; EXAMINE shows what is still unclaimed without claiming it.
    const recent = session.recentUids();
    this.recent = recent.length > 0 ? new Set(recent) : NO_RECENT;
    this.unsubscribeStore = session.subscribe((changes) => this.deliver(changes));
  }

  /** Open on a store session; the state is for SELECT's answer and is not kept. */
  static open(mail: UserStore, session: MailboxSession): { mailbox: LocalSelectedMailbox; state: SelectedState } {
    const mailbox = new LocalSelectedMailbox(mail, session);
    const listing = mailbox.listing();
    const state: SelectedState = {
      uidValidity: session.uidValidity,
      uidNext: session.uidNext,
      highestModseq: BigInt(session.highestModseq),
      flags: [...listing.flags],
      permanentFlags: [...listing.flags, "\\*"],
      // Shared and frozen (see listings): consumers read it and do not keep it.
      messages: listing.messages as MessageState[],
      recent: [...mailbox.recent],
      readOnly: session.readOnly,
    };
    return { mailbox, state };
  }

  /** The session's messages, from the shared listing when this session has no \Recent. */
  private listing(): Listing {
    const key = listingKey(this.session);
    const shareable = this.recent.size === 0;
    const cached = shareable ? listings.get(this.session.handle) : undefined;
    if (cached?.key === key) return cached;
    const keywords = new Set<string>();
    // Messages with the same flags share one frozen array.
    const flagArrays = new Map<string, readonly string[]>();
    const messages = this.session.messages().map((m) => {
      for (const k of m.keywords) keywords.add(k);
      const all = this.recent.has(m.uid) ? [...m.flags, "\\Recent"] : m.flags;
      const id = all.join(" ");
      let flags = flagArrays.get(id);
      if (flags === undefined) {
        flags = Object.freeze([...all]);
        flagArrays.set(id, flags);
      }
      return Object.freeze({ uid: m.uid, flags, modseq: BigInt(m.modseq) });
    });
    const listing: Listing = {
      key,
      messages: Object.freeze(messages),
      flags: Object.freeze([...SYSTEM_FLAGS, ...[...keywords].sort()]),
    };
    if (shareable) listings.set(this.session.handle, listing);
    return listing;
  }

  private messageState(uid: number, flags: readonly string[], modseq: number): MessageState {
    return { uid, flags: this.recent.has(uid) ? [...flags, "\\Recent"] : [...flags], modseq: BigInt(modseq) };
  }

  private deliver(changes: SyncResult): void {
    const out: MailboxChange[] = [];
    if (changes.expunged.length > 0) out.push({ kind: "expunge", uids: changes.expunged });
    const state = (uid: number) => {
      const info = this.session.message(uid);
      return info ? this.messageState(uid, info.flags, info.modseq) : undefined;
    };
    const changed = changes.changed.map((c) => state(c.uid)).filter((m): m is MessageState => m !== undefined);
    if (changed.length > 0) out.push({ kind: "flags", messages: changed });
    const appended = changes.appended.map(state).filter((m): m is MessageState => m !== undefined);
    if (appended.length > 0) out.push({ kind: "append", messages: appended });
    if (this.early) {
      this.early.push(...out);
      return;
    }
    for (const change of out) for (const listener of this.listeners) listener(change);
  }

  onChange(listener: (change: MailboxChange) => void): () => void {
    this.listeners.add(listener);
    const early = this.early;
    this.early = null;
    for (const change of early ?? []) listener(change);
    return () => this.listeners.delete(listener);
  }

  async poll(): Promise<void> {
    this.deliver(this.session.sync());
  }

  async *fetch(
    uids: Uint32Array,
    items: FetchAttribute[],
    options: { markSeen: boolean; changedSince?: bigint },
  ): AsyncIterable<{ uid: number; items: FetchResponseItem[] }> {
    if (options.markSeen && uids.length > 0) {
      // Non-PEEK body fetches set \Seen first (RFC 9051 §6.4.5); the new flags reach the
      // client through the change feed and through the FLAGS item below.
      await storeCall(() => this.mail.storeFlagsIn(this.session.handle, Array.from(uids), "add", ["\\Seen"]));
      this.deliver(this.session.sync());
    }
    for (const uid of uids) {
      const info = this.session.message(uid);
      if (!info) continue;
      if (options.changedSince !== undefined && BigInt(info.modseq) <= options.changedSince) continue;
      yield { uid, items: await fetchItems(this.mail, this.session, info, items, this.recent.has(uid)) };
    }
  }

  async store(
    uids: Uint32Array,
    action: StoreAction,
    options: { unchangedSince?: bigint },
  ): Promise<{ updated: MessageState[]; modified: number[] }> {
    const mode = action.operation === "set" ? "replace" : action.operation;
    const flags = action.flags.filter((f) => !/^\\recent$/i.test(f));
    const result = await storeCall(() =>
      this.mail.storeFlagsIn(this.session.handle, Array.from(uids), mode, flags, {
        unchangedSince: options.unchangedSince === undefined ? undefined : Number(options.unchangedSince),
      }),
    );
    return {
      updated: result.modified.map((m) => this.messageState(m.uid, m.flags, m.modseq)),
      modified: result.failedUnchangedSince,
    };
  }

  async search(keys: SearchKey[], _options: { charset?: string }): Promise<{ uids: number[]; highestModseq?: bigint }> {
    const key =
      keys.length === 1
        ? toStoreKey(keys[0]!, this.recent)
        : { type: "and" as const, keys: keys.map((k) => toStoreKey(k, this.recent)) };
    const result = await storeCall(() =>
      this.mail.searchIn(this.session.handle, this.session.uids(), (uid) => this.session.message(uid), key),
    );
    return { uids: result.uids, highestModseq: BigInt(result.highestModseq) };
  }

  async copy(uids: Uint32Array, target: string) {
    const dst = await storeCall(() => this.mail.handleByName(target));
    const r = await storeCall(() => this.mail.copyBetween(this.session.handle, Array.from(uids), dst));
    return { uidValidity: r.uidValidity, source: r.pairs.map((p) => p[0]), destination: r.pairs.map((p) => p[1]) };
  }

  async move(uids: Uint32Array, target: string) {
    const dst = await storeCall(() => this.mail.handleByName(target));
    const r = await storeCall(() => this.mail.moveBetween(this.session.handle, Array.from(uids), dst));
    return { uidValidity: r.uidValidity, source: r.pairs.map((p) => p[0]), destination: r.pairs.map((p) => p[1]) };
  }

  async expunge(uids?: Uint32Array): Promise<number[]> {
    return storeCall(() => this.mail.expungeUids(this.session.handle, uids ? Array.from(uids) : undefined, true));
  }

  async vanishedSince(modseq: bigint): Promise<{ uids: number[]; exact: boolean }> {
    return this.session.handle.index.expungedSince(Number(modseq));
  }

  async close(): Promise<void> {
    this.unsubscribeStore();
    this.listeners.clear();
    this.session.close();
  }
}
