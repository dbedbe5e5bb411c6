/**
 * Where imported messages go, and how a re-run knows what is already there: every message of
 * a target mailbox is keyed by its content hash (xxh64, seed 0 — the value the index keeps for
 * each message) and size. A source message whose key is present consumes one match and is
 * skipped, so re-running an import (or resuming an interrupted one) adds nothing twice, while
 * true duplicates in the source are still kept as many times as they occur.
 */
import { xxh64 } from "@holdfast/checksum";
import type { Store, UserStore } from "@holdfast/store";

export interface ImportCounts {
  mailbox: string;
  seen: number;
  imported: number;
  skipped: number;
}

export interface IncomingMessage {
  bytes: Uint8Array;
  flags: string[];
  internalDate: number;
}

export class ImportTarget {
  private constructor(
    readonly mail: UserStore,
    readonly mailbox: string,
    private readonly existing: Map<string, number>,
    /** (size, internal date) of what is there: lets IMAP skip a download (see imap.ts). */
    readonly sizeDates: Map<string, number>,
    readonly counts: ImportCounts,
  ) {}

  static async open(store: Store, user: string, mailbox: string): Promise<ImportTarget> {
    const mail = await store.mailboxes(user);
    if (!mail.listMailboxes().some((m) => m.name === mailbox && m.id !== null)) {
      if (mail.listMailboxes().some((m) => m.name === mailbox)) {
        // a \Noselect parent: recreate it as a real mailbox
        await mail.create(mailbox).catch(() => undefined);
      } else await mail.create(mailbox);
    }
    const existing = new Map<string, number>();
    const sizeDates = new Map<string, number>();
    const session = await mail.select(mailbox, { readOnly: true });
    try {
      for (const m of session.messages()) {
        const key = `${m.contentHash.toString(16)}:${m.size}`;
        existing.set(key, (existing.get(key) ?? 0) + 1);
        const sd = `${m.size}:${m.internalDate}`;
        sizeDates.set(sd, (sizeDates.get(sd) ?? 0) + 1);
      }
    } finally {
      session.close();
    }
    return new ImportTarget(mail, mailbox, existing, sizeDates, { mailbox, seen: 0, imported: 0, skipped: 0 });
  }

  /** Append unless already present (see above). Returns whether it was appended. */
  async add(m: IncomingMessage): Promise<boolean> {
    this.counts.seen++;
    const key = `${xxh64(m.bytes, 0n).toString(16)}:${m.bytes.byteLength}`;
    const have = this.existing.get(key) ?? 0;
    if (have > 0) {
      this.existing.set(key, have - 1);
      this.counts.skipped++;
      return false;
    }
    await this.mail.append(this.mailbox, m.bytes, { flags: m.flags, internalDate: m.internalDate });
    this.counts.imported++;
    return true;
  }
}

/** LF or CRLF line ends to CRLF (IMAP's form; bare CRs are left alone). */
export function toCrlf(bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let lf = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 0x0a && (i === 0 || b[i - 1] !== 0x0d)) lf++;
  if (lf === 0) return b;
  const out = Buffer.allocUnsafe(b.length + lf);
  let o = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a && (i === 0 || b[i - 1] !== 0x0d)) out[o++] = 0x0d;
    out[o++] = b[i]!;
  }
  return out;
}
