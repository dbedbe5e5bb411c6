import { join } from "node:path";
import { StoreInputError } from "./errors.js";
import { isSameOrBelow } from "./names.js";
import { MailboxListFile, RecordFile } from "./record-file.js";

/** RFC 6154 special-use attributes the store knows. */
export type SpecialUse = "\\Sent" | "\\Trash" | "\\Drafts" | "\\Junk" | "\\Archive";
export const SPECIAL_USES: readonly SpecialUse[] = ["\\Sent", "\\Trash", "\\Drafts", "\\Junk", "\\Archive"];

/** The folders every new user gets, with their special-use attributes. */
export const DEFAULT_MAILBOXES: readonly { name: string; specialUse?: SpecialUse }[] = [
  { name: "INBOX" },
  { name: "Sent", specialUse: "\\Sent" },
  { name: "Drafts", specialUse: "\\Drafts" },
  { name: "Trash", specialUse: "\\Trash" },
  { name: "Junk", specialUse: "\\Junk" },
  { name: "Archive", specialUse: "\\Archive" },
];

/**
 * One name in the list. `id` is null for a \Noselect placeholder: a name that exists only
 * because mailboxes exist below it (created as a missing parent, or a deleted mailbox that
 * still has children, RFC 9051 §6.3.4). A selectable mailbox has an id (its folder is
 * mailboxes/<id>) and the UIDVALIDITY of this incarnation of the name.
 */
export interface MailboxEntry {
  name: string;
  id: number | null;
  uidValidity: number;
  specialUse?: SpecialUse;
  createdAt: number;
}

export interface MailboxListDocument {
  /** Next mailbox id to hand out (ids are never reused). */
  nextId: number;
  /** Largest UIDVALIDITY handed out for this user (each new one is larger). */
  lastUidValidity: number;
  mailboxes: MailboxEntry[];
  /** Subscribed names (RFC 9051 allows names that do not exist). */
  subscriptions: string[];
}

/**
 * A user's mailbox list in memory plus its file (<user>/mailboxes.list + mailboxes.list.backup).
 * Callers serialise changes (UserStore holds a mutex) and call `save()` to make them
 * durable; the document is never changed without being saved before the operation resolves.
 */
export class MailboxList {
  private generation = 0;
  private readonly file: RecordFile<MailboxListDocument>;

  private constructor(
    userDir: string,
    public doc: MailboxListDocument,
  ) {
    this.file = new RecordFile(join(userDir, "mailboxes.list"), MailboxListFile);
  }

  /** Read the list of a user; undefined when there is none. */
  static async load(userDir: string): Promise<MailboxList | undefined> {
    const list = new MailboxList(userDir, emptyDocument());
    const read = await list.file.read();
    if (!read) return undefined;
    list.doc = checkDocument(read.value);
    list.generation = read.generation;
    return list;
  }

  static fresh(userDir: string): MailboxList {
    return new MailboxList(userDir, emptyDocument());
  }

  get path(): string {
    return this.file.path;
  }

  inspect() {
    return this.file.inspect();
  }

  async save(): Promise<void> {
    this.generation++;
    this.doc.mailboxes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    await this.file.write(this.doc, this.generation);
  }

  /** A copy of the document, to restore when a save fails. */
  snapshot(): MailboxListDocument {
    return structuredClone(this.doc);
  }

  restore(doc: MailboxListDocument): void {
    this.doc = doc;
  }

  find(name: string): MailboxEntry | undefined {
    return this.doc.mailboxes.find((m) => m.name === name);
  }

  byId(id: number): MailboxEntry | undefined {
    return this.doc.mailboxes.find((m) => m.id === id);
  }

  /** Entries strictly below `name`. */
  descendants(name: string): MailboxEntry[] {
    return this.doc.mailboxes.filter((m) => m.name !== name && isSameOrBelow(m.name, name));
  }

  allocateId(): number {
    return this.doc.nextId++;
  }

  /** A UIDVALIDITY never used before by this user: larger than every earlier one. */
  allocateUidValidity(): number {
    const now = Math.floor(Date.now() / 1000) >>> 0;
    const next = Math.max(this.doc.lastUidValidity + 1, now);
    if (next > 0xffff_ffff) throw new StoreInputError("UIDVALIDITY space exhausted");
    this.doc.lastUidValidity = next;
    return next;
  }
}

function emptyDocument(): MailboxListDocument {
  return { nextId: 1, lastUidValidity: 0, mailboxes: [], subscriptions: [] };
}

function checkDocument(value: unknown): MailboxListDocument {
  const d = value as MailboxListDocument;
  if (
    typeof d !== "object" ||
    d === null ||
    !Number.isInteger(d.nextId) ||
    !Number.isInteger(d.lastUidValidity) ||
    !Array.isArray(d.mailboxes) ||
    !Array.isArray(d.subscriptions)
  )
    throw new StoreInputError("mailbox list document has the wrong shape");
  return d;
}
