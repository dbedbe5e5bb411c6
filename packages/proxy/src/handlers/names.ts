import { MailboxNameError, mailboxNameFromWire, mailboxNameToWire } from "@holdfast/imap-codec";
import type { ImapConnection } from "../connection.js";

/** Mailbox names travel as modified UTF-7, or UTF-8 once UTF8=ACCEPT is enabled (RFC 6855). */
function utf8(conn: ImapConnection): boolean {
  return conn.enabled.has("UTF8=ACCEPT") || conn.enabled.has("IMAP4rev2");
}

/** The internal (UTF-8) name, or null after answering BAD when the wire form is invalid. */
export async function nameFromWire(conn: ImapConnection, tag: string, wire: string): Promise<string | null> {
  try {
    const name = mailboxNameFromWire(wire, utf8(conn));
    return /^inbox$/i.test(name) ? "INBOX" : name;
  } catch (error) {
    if (error instanceof MailboxNameError) {
      await conn.tagged(tag, "BAD", `Invalid mailbox name: ${error.message}`);
      return null;
    }
    throw error;
  }
}

/** The internal name, or null when the wire form is invalid (for callers that answer later). */
export function decodeName(conn: ImapConnection, wire: string): string | null {
  try {
    const name = mailboxNameFromWire(wire, utf8(conn));
    return /^inbox$/i.test(name) ? "INBOX" : name;
  } catch (error) {
    if (error instanceof MailboxNameError) return null;
    throw error;
  }
}

export function nameToWire(conn: ImapConnection, name: string): string {
  return mailboxNameToWire(name, utf8(conn));
}
