import { STATUS_ITEMS, type StatusAttributes, type StatusItem } from "@holdfast/imap-codec";
import { canonicalUsername, type SpecialUse, type Store, type UserStore } from "@holdfast/store";
import type {
  AppendInput,
  AppendTransaction,
  AuthContext,
  Authenticator,
  Backend,
  BackendSession,
  ListedMailbox,
  ListOptions,
  SelectedMailbox,
  SelectedState,
} from "../backend.js";
import { BackendError } from "../backend.js";
import { matchesListPattern } from "../list-pattern.js";
import { storeCall } from "./errors.js";
import { LocalSelectedMailbox } from "./local-mailbox.js";

/** Messages up to this size are gathered in memory and handed to the store as one buffer. */
export const SMALL_APPEND_LIMIT = 64 * 1024;

/**
 * What the store is given for an APPENDed message. A small one is collected first (bounded:
 * at most SMALL_APPEND_LIMIT bytes per connection): the store then writes header and message
 * in one call when it commits the blob, instead of opening a temp file at once, writing each
 * chunk and then the header — fewer thread-pool file calls per APPEND, which compete with
 * every session's reads and fsyncs. A larger message streams to disk as it arrives.
 */
async function messageSource(message: AppendInput): Promise<Buffer | AsyncIterable<Buffer>> {
  if (message.size > SMALL_APPEND_LIMIT) return message.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of message.body) {
    chunks.push(chunk);
    size += chunk.length;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * The embedded default: the IMAP front end on Holdfast's own local store. One process owns
 * the store's data folder (the store takes a lock on it), so every session of a mailbox
 * is in this process and sees the others' changes through the store's change feed.
 */
export class LocalBackend implements Backend, Authenticator {
  constructor(
    readonly store: Store,
    private readonly options: { appendLimit?: number } = {},
  ) {}

  async authenticate(user: string, password: string): Promise<string | null> {
    let canonical: string;
    try {
      canonical = canonicalUsername(user);
    } catch {
      return null;
    }
    return (await this.store.users.authenticate(canonical, password)) ? canonical : null;
  }

  async open(user: string, _context: AuthContext): Promise<BackendSession> {
    return new LocalSession(user, await this.store.mailboxes(user), this.options.appendLimit ?? 64 * 1024 * 1024);
  }
}

class LocalSession implements BackendSession {
  constructor(
    readonly user: string,
    private readonly mail: UserStore,
    readonly appendLimit: number | null,
  ) {}

  async list(reference: string, patterns: string[], options: ListOptions): Promise<ListedMailbox[]> {
    const all = this.mail.listMailboxes();
    const selection = new Set(options.selection.map((s) => s.toUpperCase()));
    const out: ListedMailbox[] = [];
    for (const box of all) {
      if (!patterns.some((p) => matchesListPattern(box.name, reference, p))) continue;
      if (selection.has("SPECIAL-USE") && !box.specialUse) continue;
      let attributes = [...box.attributes];
      if (selection.has("SUBSCRIBED") && !box.subscribed) {
        if (!selection.has("RECURSIVEMATCH")) continue;
        const prefix = `${box.name}/`;
        if (!all.some((b) => b.subscribed && b.name.startsWith(prefix))) continue;
        out.push({
          name: box.name,
          attributes: attributes.filter((a) => !/^\\subscribed$/i.test(a)),
          childInfo: ["SUBSCRIBED"],
        });
        continue;
      }
      const wantSubscribed = selection.has("SUBSCRIBED") || options.returnOptions.subscribed;
      if (!wantSubscribed) attributes = attributes.filter((a) => !/^\\subscribed$/i.test(a));
      // With LIST-EXTENDED selection options, child information only when asked for
      // (RFC 5258 §4: RETURN (CHILDREN)); a plain LIST always has it (RFC 3348).
      if (selection.size > 0 && !options.returnOptions.children) {
        attributes = attributes.filter((a) => !/^\\has(no)?children$/i.test(a));
      }
      out.push({ name: box.name, attributes });
    }
    if (selection.has("SUBSCRIBED")) {
      // A subscription outlives its mailbox (RFC 9051 §6.3.9): list it as \NonExistent.
      const existing = new Set(all.map((b) => b.name));
      for (const name of this.mail.subscriptions()) {
        if (existing.has(name) || !patterns.some((p) => matchesListPattern(name, reference, p))) continue;
        out.push({ name, attributes: ["\\NonExistent", "\\Subscribed"] });
      }
    }
    return out;
  }

  async status(mailbox: string, items: StatusItem[]): Promise<StatusAttributes> {
    const c = await storeCall(() => this.mail.status(mailbox));
    const out: StatusAttributes = {};
    const order = [...STATUS_ITEMS];
    for (const item of [...items].sort((a, b) => order.indexOf(a) - order.indexOf(b))) {
      switch (item) {
        case "MESSAGES":
          out.MESSAGES = c.messages;
          break;
        case "RECENT":
          out.RECENT = c.recent;
          break;
        case "UIDNEXT":
          out.UIDNEXT = c.uidNext;
          break;
        case "UIDVALIDITY":
          out.UIDVALIDITY = c.uidValidity;
          break;
        case "UNSEEN":
          out.UNSEEN = c.unseen;
          break;
        case "DELETED":
          out.DELETED = c.deleted;
          break;
        case "SIZE":
          out.SIZE = c.size;
          break;
        case "HIGHESTMODSEQ":
          out.HIGHESTMODSEQ = BigInt(c.highestModseq);
          break;
        case "APPENDLIMIT":
          out.APPENDLIMIT = this.appendLimit;
          break;
      }
    }
    return out;
  }

  async create(mailbox: string, specialUse?: string[]): Promise<void> {
    if (specialUse && specialUse.length > 1) throw new BackendError("CANNOT", "At most one special use per mailbox.");
    await storeCall(() =>
      this.mail.create(mailbox, specialUse?.[0] ? { specialUse: specialUse[0] as SpecialUse } : {}),
    );
  }

  async delete(mailbox: string): Promise<void> {
    await storeCall(() => this.mail.delete(mailbox));
  }

  async rename(from: string, to: string): Promise<void> {
    await storeCall(() => this.mail.rename(from, to));
  }

  async subscribe(mailbox: string): Promise<void> {
    await storeCall(() => this.mail.subscribe(mailbox));
  }

  async unsubscribe(mailbox: string): Promise<void> {
    await storeCall(() => this.mail.unsubscribe(mailbox));
  }

  async select(
    mailbox: string,
    options: { readOnly: boolean },
  ): Promise<{ mailbox: SelectedMailbox; state: SelectedState }> {
    const session = await storeCall(() => this.mail.select(mailbox, options));
    return LocalSelectedMailbox.open(this.mail, session);
  }

  /**
   * Each message streams straight into the store (blob written and fsynced, then one index
   * transaction) while its bytes arrive; commit waits for all. If the command fails after a
   * message was stored, abort expunges what was stored. Known limit: between those two
   * moments other sessions can see the message, and a MULTIAPPEND whose later message fails
   * is undone the same way rather than never having been visible.
   */
  async beginAppend(mailbox: string): Promise<AppendTransaction> {
    await storeCall(() => this.mail.handleByName(mailbox)); // NONEXISTENT before any byte is taken
    const results: Promise<{ uid: number; uidValidity: number }>[] = [];
    const mail = this.mail;
    return {
      stage: async (message: AppendInput) => {
        const stored = storeCall(async () =>
          mail.append(mailbox, await messageSource(message), { flags: message.flags, internalDate: message.date }),
        );
        results.push(stored);
        await stored;
      },
      commit: async () => {
        const done = await Promise.all(results);
        return { uidValidity: done[0]?.uidValidity ?? 0, uids: done.map((r) => r.uid) };
      },
      abort: async () => {
        const settled = await Promise.allSettled(results);
        const uids = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value.uid] : []));
        if (uids.length === 0) return;
        // Not mail.expunge(): that removes only \Deleted messages.
        await storeCall(async () => mail.expungeUids(await mail.handleByName(mailbox), uids, false)).catch(() => {});
      },
    };
  }

  async close(): Promise<void> {}
}
