import { MailboxNameError, mailboxNameFromWire, mailboxNameToWire } from "@holdfast/imap-codec";
import { BackendError } from "../backend.js";

/*
 * Mailbox names between the front end and a backend. The front end's names are UTF-8 with
 * `/` as the hierarchy delimiter; the backend has its own delimiter (Dovecot's maildir
 * default is `.`) and, since the proxy does not ENABLE UTF8=ACCEPT there, takes modified
 * UTF-7. A name that cannot be expressed on the backend (its delimiter inside a component)
 * is refused instead of being silently mapped to a different mailbox.
 */
export class MailboxNames {
  constructor(readonly delimiter: string | null) {}

  toBackend(name: string): string {
    if (/^inbox$/i.test(name)) return "INBOX";
    const d = this.delimiter;
    let mapped = name;
    if (d !== null && d !== "/") {
      if (name.split("/").some((part) => part.includes(d))) {
        throw new BackendError("CANNOT", `Mailbox names may not contain "${d}" on this server.`);
      }
      mapped = name.split("/").join(d);
    }
    return mailboxNameToWire(mapped, false);
  }

  /** A LIST pattern: only the delimiter is mapped (wildcards pass). */
  patternToBackend(pattern: string): string {
    const d = this.delimiter;
    const mapped = d !== null && d !== "/" ? pattern.split("/").join(d) : pattern;
    return mailboxNameToWire(mapped, false);
  }

  /** The front end's name, or null for a backend name it cannot represent (skipped in LIST). */
  fromBackend(wire: string): string | null {
    let name: string;
    try {
      name = mailboxNameFromWire(wire, false);
    } catch (error) {
      if (error instanceof MailboxNameError) return null;
      throw error;
    }
    if (/^inbox$/i.test(name)) return "INBOX";
    const d = this.delimiter;
    if (d === null || d === "/") return name;
    if (name.includes("/")) return null; // would be read back as a hierarchy
    return name.split(d).join("/");
  }
}
