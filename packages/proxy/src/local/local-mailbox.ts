import type { FetchAttribute, FetchResponseItem, SearchKey, StoreAction } from "@holdfast/imap-codec";
import type { MailboxChange, MessageState } from "@holdfast/session";
import type { MailboxSession, SyncResult, UserStore } from "@holdfast/store";
import type { SelectedMailbox, SelectedState } from "../backend.js";
import { storeCall } from "./errors.js";
import { fetchItems } from "./fetch-items.js";
import { toStoreKey } from "./search-keys.js";

const SYSTEM_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/**
 * A mailbox of the local store, selected by one connection. The store's session keeps an
 * index read view; its changes (by any session in this process) arrive in order through
 * the store's push subscription and are handed on as UID-level MailboxChanges.
 */
export class LocalSelectedMailbox implements SelectedMailbox {
  private readonly listeners = new Set<(change: MailboxChange) => void>();
  /** Changes that arrived before anyone listened (between SELECT's state and onChange). */
  private early: MailboxChange[] | null = [];
  private readonly recent: Set<number>;
  private readonly unsubscribeStore: () => void;

  private constructor(
    private readonly mail: UserStore,
    private readonly session: MailboxSession,
  ) {
    // SELECT claims \Recent; EXAMINE shows what is still unclaimed without claiming it.
    this.recent = new Set(session.recentUids());
    this.unsubscribeStore = session.subscribe((changes) => this.deliver(changes));
  }

  /** Open on a store session; the state is for SELECT's answer and is not kept. */
  static open(mail: UserStore, session: MailboxSession): { mailbox: LocalSelectedMailbox; state: SelectedState } {
    const mailbox = new LocalSelectedMailbox(mail, session);
    const messages = session.messages();
    const keywords = new Set<string>();
    for (const m of messages) for (const k of m.keywords) keywords.add(k);
    const flags = [...SYSTEM_FLAGS, ...[...keywords].sort()];
    const state: SelectedState = {
      uidValidity: session.uidValidity,
      uidNext: session.uidNext,
      highestModseq: BigInt(session.highestModseq),
      flags,
      permanentFlags: [...flags, "\\*"],
      messages: messages.map((m) => mailbox.messageState(m.uid, m.flags, m.modseq)),
      recent: [...mailbox.recent],
      readOnly: session.readOnly,
    };
    return { mailbox, state };
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
