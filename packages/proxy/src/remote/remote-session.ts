import { STATUS_ITEMS, type StatusAttributes, type StatusItem, type UntaggedData } from "@holdfast/imap-codec";
import type {
  AppendTransaction,
  BackendSession,
  ListedMailbox,
  ListOptions,
  SelectedMailbox,
  SelectedState,
} from "../backend.js";
import { BackendError } from "../backend.js";
import { backendLacks } from "../capabilities.js";
import type { ImapClient } from "./imap-client.js";
import type { Link } from "./link.js";
import type { MailboxNames } from "./mailbox-names.js";
import { RemoteAppend } from "./remote-append.js";
import { RemoteSelectedMailbox } from "./remote-mailbox.js";
import { openSelection } from "./selection.js";

/*
 * One authenticated user on a backend: mailbox-level commands, SELECT, APPEND. Reads
 * (LIST, STATUS, SELECT) are re-issued after a failover; changes (CREATE, DELETE, RENAME,
 * SUBSCRIBE, UNSUBSCRIBE) are not: their outcome is unknown, the client gets UNAVAILABLE.
 */

/** STATUS items and the capability the backend needs for each (none: always there). */
const STATUS_NEEDS: Partial<Record<StatusItem, string>> = {
  SIZE: "STATUS=SIZE",
  HIGHESTMODSEQ: "CONDSTORE",
  DELETED: "IMAP4REV2",
};

/** RFC 6154 special-use attributes. */
const SPECIAL_USE = /^\\(all|archive|drafts|flagged|junk|sent|trash)$/i;

export class RemoteSession implements BackendSession {
  readonly appendLimit: number | null;
  private lacking: { client: ImapClient; set: ReadonlySet<string> } | null = null;

  constructor(
    readonly user: string,
    private readonly link: Link,
    private readonly names: MailboxNames,
    private readonly streamThreshold: number,
  ) {
    let limit: number | null = null;
    for (const cap of link.client?.capabilities ?? []) {
      const m = /^APPENDLIMIT=(\d+)$/.exec(cap);
      if (m) limit = Number(m[1]);
    }
    this.appendLimit = limit;
  }

  /** The backend session ended for good: the front end says BYE with the reason. */
  onTerminate(listener: (reason: string) => void): () => void {
    return this.link.onTerminate(listener);
  }

  /**
   * The front end's capabilities the connection serving this session now cannot honour
   * (capabilities.ts `backendLacks`), worked out once per backend connection.
   */
  withheldCapabilities(): ReadonlySet<string> {
    const c = this.link.client;
    // Reconnecting: the last connection's answer (the command then runs on the new
    // connection, whose own checks refuse UID EXPUNGE and MOVE without UIDPLUS).
    if (!c) return this.lacking?.set ?? new Set();
    if (this.lacking?.client !== c) this.lacking = { client: c, set: backendLacks(c) };
    return this.lacking.set;
  }

  /** How many times this session's backend connection was re-established. */
  get reconnects(): number {
    return this.link.reconnects;
  }

  /** The backend host serving this session now. */
  get hostId(): string {
    return this.link.host.id;
  }

  async list(reference: string, patterns: string[], options: ListOptions): Promise<ListedMailbox[]> {
    const ref = this.names.patternToBackend(reference);
    const pats = patterns.map((p) => this.names.patternToBackend(p));
    const selection = options.selection.map((s) => s.toUpperCase());
    const plain = selection.length === 0 && Object.values(options.returnOptions).every((v) => !v);
    let specialUseOnly = false;
    const untagged = await this.link.run(async (c) => {
      // The SPECIAL-USE selection where the backend cannot apply it: applied below.
      specialUseOnly =
        selection.includes("SPECIAL-USE") &&
        !(c.capabilities.has("LIST-EXTENDED") && c.capabilities.has("SPECIAL-USE"));
      // A plain LIST stays plain: the backend then includes child and special-use
      // attributes as it does for any LIST (with LIST-EXTENDED syntax only when asked).
      if (c.capabilities.has("LIST-EXTENDED") && !plain) {
        const ro = options.returnOptions;
        const r = await c.command({
          name: "LIST",
          reference: ref,
          patterns: pats,
          selection: selection.filter((s) => s !== "SPECIAL-USE" || c.capabilities.has("SPECIAL-USE")),
          returnOptions: {
            ...(ro.subscribed ? { subscribed: true } : {}),
            ...(ro.children ? { children: true } : {}),
            ...(ro.specialUse && c.capabilities.has("SPECIAL-USE") ? { specialUse: true } : {}),
          },
          extended: true,
        });
        return r.untagged;
      }
      // Without LIST-EXTENDED only SUBSCRIBED (as LSUB) can be answered; other selection
      // options would be silently ignored (the front end refuses them when withheld).
      if (selection.some((s) => s !== "SUBSCRIBED" && s !== "SPECIAL-USE") || options.returnOptions.subscribed) {
        throw new BackendError("UNAVAILABLE", "LIST-EXTENDED is not available on this server now.");
      }
      const out: UntaggedData[] = [];
      for (const p of pats) {
        const r = selection.includes("SUBSCRIBED")
          ? await c.command({ name: "LSUB", reference: ref, pattern: p })
          : await c.command({
              name: "LIST",
              reference: ref,
              patterns: [p],
              selection: [],
              returnOptions: {},
              extended: false,
            });
        out.push(...r.untagged);
      }
      return out;
    }, true);
    const out: ListedMailbox[] = [];
    const seen = new Set<string>();
    for (const u of untagged) {
      if (u.type !== "LIST" && u.type !== "LSUB") continue;
      const name = this.names.fromBackend(u.mailbox);
      if (name === null || seen.has(name)) continue;
      seen.add(name);
      if (specialUseOnly && !u.attributes.some((a) => SPECIAL_USE.test(a))) continue;
      const childInfo = u.extended?.find(([k]) => k.toUpperCase() === "CHILDINFO")?.[1];
      const attributes = u.type === "LSUB" ? [...u.attributes, "\\Subscribed"] : u.attributes;
      out.push({
        name,
        attributes,
        ...(Array.isArray(childInfo) ? { childInfo: childInfo.map((v) => String(v)) } : {}),
      });
    }
    return out;
  }

  async status(mailbox: string, items: StatusItem[]): Promise<StatusAttributes> {
    const wire = this.names.toBackend(mailbox);
    let emulateDeleted = false;
    const attributes = await this.link.run(async (c) => {
      const asked = items.filter(
        (i) => i !== "APPENDLIMIT" && (!STATUS_NEEDS[i] || c.capabilities.has(STATUS_NEEDS[i]!)),
      );
      // SIZE / HIGHESTMODSEQ the backend cannot give (the front end refuses them when
      // withheld; here after a failover to a lesser host): not silently left out.
      const missing = items.find((i) => i !== "DELETED" && i !== "APPENDLIMIT" && !asked.includes(i));
      if (missing) throw new BackendError("UNAVAILABLE", `STATUS ${missing} is not available on this server now.`);
      emulateDeleted = items.includes("DELETED") && !asked.includes("DELETED");
      let out: StatusAttributes = {};
      if (asked.length > 0) {
        const r = await c.command({ name: "STATUS", mailbox: wire, items: asked });
        for (const u of r.untagged) if (u.type === "STATUS") out = { ...out, ...u.attributes };
      }
      if (items.includes("APPENDLIMIT")) out.APPENDLIMIT = this.appendLimit;
      return out;
    }, true);
    if (emulateDeleted) attributes.DELETED = await this.deletedCount(wire);
    // In the canonical order, as LocalBackend answers (the backend's own order may differ).
    const ordered: StatusAttributes = {};
    for (const item of [...STATUS_ITEMS] as StatusItem[]) {
      if (!items.includes(item) || attributes[item] === undefined) continue;
      (ordered as Record<string, unknown>)[item] = attributes[item];
    }
    return ordered;
  }

  /**
   * STATUS DELETED (IMAP4rev2) on a backend without it (Dovecot 2.3): a SEARCH DELETED, on
   * the session's own connection when the mailbox is the selected one, else on a side
   * connection (EXAMINE, so nothing changes).
   */
  private async deletedCount(wire: string): Promise<number> {
    const count = async (c: ImapClient) => {
      const r = await c.command({ name: "SEARCH", uid: true, criteria: [{ type: "DELETED" }] });
      return r.untagged.reduce((n, u) => n + (u.type === "SEARCH" ? u.numbers.length : 0), 0);
    };
    if (this.link.selection?.wire === wire) return this.link.run(count, true);
    return this.link.withSideConnection(async (c) => {
      await c.command({ name: "EXAMINE", mailbox: wire, condstore: false });
      return count(c);
    });
  }

  async create(mailbox: string, specialUse?: string[]): Promise<void> {
    const wire = this.names.toBackend(mailbox);
    await this.link.run(async (c) => {
      if (specialUse?.length && !c.capabilities.has("CREATE-SPECIAL-USE")) {
        throw new BackendError("CANNOT", "This server cannot create special-use mailboxes.");
      }
      await c.command({ name: "CREATE", mailbox: wire, ...(specialUse?.length ? { specialUse } : {}) });
    }, false);
  }

  async delete(mailbox: string): Promise<void> {
    const wire = this.names.toBackend(mailbox);
    await this.link.run((c) => c.command({ name: "DELETE", mailbox: wire }), false);
  }

  async rename(from: string, to: string): Promise<void> {
    const a = this.names.toBackend(from);
    const b = this.names.toBackend(to);
    await this.link.run((c) => c.command({ name: "RENAME", from: a, to: b }), false);
  }

  async subscribe(mailbox: string): Promise<void> {
    const wire = this.names.toBackend(mailbox);
    await this.link.run((c) => c.command({ name: "SUBSCRIBE", mailbox: wire }), false);
  }

  async unsubscribe(mailbox: string): Promise<void> {
    const wire = this.names.toBackend(mailbox);
    await this.link.run((c) => c.command({ name: "UNSUBSCRIBE", mailbox: wire }), false);
  }

  async select(
    mailbox: string,
    options: { readOnly: boolean },
  ): Promise<{ mailbox: SelectedMailbox; state: SelectedState }> {
    const wire = this.names.toBackend(mailbox);
    const selected = new RemoteSelectedMailbox(this.link, this.names, this.streamThreshold);
    const state = await this.link.run(async (c) => {
      this.link.untrack();
      const opened = await openSelection(c, wire, options.readOnly);
      const tracker = this.link.newTracker(opened.init, selected.emit);
      this.link.track({ wire, readOnly: opened.state.readOnly, emit: selected.emit }, tracker, c);
      if (opened.more) tracker.expectNew();
      return opened.state;
    }, true);
    return { mailbox: selected, state };
  }

  async beginAppend(mailbox: string): Promise<AppendTransaction> {
    const wire = this.names.toBackend(mailbox);
    // NONEXISTENT before the client sends any byte (the front end turns it into TRYCREATE).
    // Not for the selected mailbox: it existed at SELECT, and should another session have
    // deleted it since, the backend refuses the APPEND itself (Dovecot: NO [SERVERBUG], then
    // BYE, as it answers a client of its own; nothing is stored). The check would cost a
    // backend command for every APPEND of a client that files into the mailbox it has open.
    if (this.link.selection?.wire !== wire)
      await this.link.run((c) => c.command({ name: "STATUS", mailbox: wire, items: ["UIDVALIDITY"] }), true);
    return new RemoteAppend(this.link, wire);
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}
