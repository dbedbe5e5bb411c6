/**
 * RFC 5322 address lists as Dovecot's lib-mail reads them for ENVELOPE: groups become a
 * start marker (mailbox = group name, host NIL) and an end marker (all NIL); a missing
 * local part or domain is filled with MISSING_MAILBOX / MISSING_DOMAIN, an unterminated
 * angle address gets the domain SYNTAX_ERROR; a comment stands in for a missing display
 * name. Names keep their encoded words and 8-bit bytes (byte strings).
 */
import { isAtomChar, Rfc822Lexer } from "./rfc822-lexer.js";

export interface Address {
  name: string | undefined;
  route: string | undefined;
  mailbox: string | undefined;
  host: string | undefined;
}

class AddressParser {
  readonly out: Address[] = [];
  /** Set by addrSpec when an "@" was not followed by a usable domain. */
  domainFailed = false;
  constructor(readonly lx: Rfc822Lexer) {}

  /** phrase = 1*word / obs-phrase; returns the words joined by single spaces. */
  phrase(): { ret: number; text: string } {
    const lx = this.lx;
    let text = "";
    if (lx.atEnd) return { ret: 0, text };
    if (lx.peek() === 0x2e) return { ret: -1, text };
    for (;;) {
      if (lx.peek() === 0x22) {
        const q = lx.quotedString();
        // an unterminated quoted string ends the phrase; the words before it stay
        if (q === undefined) return { ret: -1, text };
        text += q;
      } else {
        const start = lx.pos;
        while (!lx.atEnd && (isAtomChar(lx.peek()) || lx.peek() === 0x2e)) lx.pos++;
        if (lx.pos === start) return { ret: -1, text };
        text += lx.data.slice(start, lx.pos);
        lx.skipLwsp();
      }
      if (lx.atEnd) return { ret: 0, text };
      const c = lx.peek();
      if (!isAtomChar(c) && c !== 0x22 && c !== 0x2e) break;
      text += " ";
    }
    return { ret: lx.skipLwsp() ? 1 : 0, text };
  }

  /** dot-atom or quoted-string local part (dots accepted anywhere); undefined when there is none. */
  localPart(): string | undefined {
    const lx = this.lx;
    let out = "";
    for (;;) {
      if (lx.peek() === 0x2e) {
        out += ".";
        lx.pos++;
        lx.skipLwsp();
        continue;
      }
      if (lx.peek() === 0x22) {
        const q = lx.quotedString();
        if (q === undefined) return out === "" ? undefined : out;
        out += q;
      } else {
        const a = lx.atom();
        if (a === "") return out === "" ? undefined : out;
        out += a;
      }
      if (lx.peek() !== 0x2e) return out;
    }
  }

  domain(): string | undefined {
    const lx = this.lx;
    if (lx.peek() === 0x5b) {
      const start = lx.pos;
      while (!lx.atEnd && lx.peek() !== 0x5d) {
        if (lx.peek() === 0x5c) lx.pos++;
        lx.pos++;
      }
      if (lx.atEnd) return undefined;
      lx.pos++;
      const lit = lx.data.slice(start, lx.pos).replace(/[\r\n]/g, "");
      lx.skipLwsp();
      return lx.broken ? undefined : lit;
    }
    let out = "";
    for (;;) {
      const a = lx.atom();
      // an empty label (nothing after a dot) makes the domain unusable, as in Dovecot
      if (lx.broken || a === "") return undefined;
      out += a;
      if (lx.peek() !== 0x2e) return out;
      out += ".";
      lx.pos++;
      lx.skipLwsp();
    }
  }

  /** addr-spec; fills `addr`. Returns -1 on a syntax error. */
  addrSpec(addr: Address, allowName = false): number {
    const lx = this.lx;
    lx.lastComment = "";
    const quoted = lx.peek() === 0x22;
    // an unterminated comment inside the local part makes it unusable (Dovecot: error)
    const local = this.localPart();
    if (lx.broken) {
      addr.mailbox = undefined;
      return -1;
    }
    let ret = 1;
    addr.mailbox = local;
    if (local === undefined) ret = -1;
    let sawAt = false;
    this.domainFailed = false;
    if (lx.peek() === 0x40) {
      sawAt = true;
      lx.pos++;
      lx.skipLwsp();
      const d = this.domain();
      addr.host = d;
      if (d === undefined) {
        ret = -1;
        this.domainFailed = true;
      }
    }
    if (lx.lastComment !== "" && addr.name === undefined) {
      addr.name = lx.lastComment;
    } else if (allowName && !sawAt && local !== undefined) {
      // "user" alone is a mailbox without domain, but a quoted string or more words
      // after it make it a display name without an address (Dovecot's reading)
      const more = this.phrase().text;
      if (more !== "" || quoted) {
        addr.name = more !== "" ? `${local} ${more}` : local;
        addr.mailbox = undefined;
      }
    }
    return ret;
  }

  /** angle-addr = "<" [route ":"] addr-spec ">" */
  angleAddr(addr: Address): number {
    const lx = this.lx;
    lx.pos++; // '<'
    lx.skipLwsp();
    if (lx.peek() === 0x40) {
      // obs-route: 1#("@" domain) ":"
      let route = "";
      while (lx.peek() === 0x40 || lx.peek() === 0x2c) {
        if (lx.peek() === 0x2c) {
          route += ",";
          lx.pos++;
          lx.skipLwsp();
          continue;
        }
        lx.pos++;
        lx.skipLwsp();
        const d = this.domain();
        if (d === undefined) {
          addr.route = "INVALID_ROUTE";
          return -1;
        }
        route += `@${d}`;
      }
      if (lx.peek() !== 0x3a) {
        addr.route = "INVALID_ROUTE";
        return -1;
      }
      lx.pos++;
      lx.skipLwsp();
      addr.route = route;
    }
    const keepName = addr.name;
    // an empty or broken addr-spec inside <> is filled in later, only a missing ">" is an error
    this.addrSpec(addr);
    addr.name = keepName;
    if (this.domainFailed || lx.peek() !== 0x3e) return -1;
    lx.pos++;
    lx.skipLwsp();
    return lx.broken ? -1 : 1;
  }

  mailbox(): void {
    const lx = this.lx;
    const start = lx.pos;
    const addr: Address = { name: undefined, route: undefined, mailbox: undefined, host: undefined };
    if (lx.peek() === 0x3c) {
      // "<address>" without a display name
      if (this.angleAddr(addr) < 0) addr.host = "SYNTAX_ERROR";
      this.add(addr);
      return;
    }
    const ph = this.phrase();
    if (ph.ret <= 0 || lx.peek() !== 0x3c) {
      lx.pos = start;
      lx.broken = false;
      this.addrSpec(addr, true);
    } else {
      addr.name = ph.text === "" ? undefined : ph.text;
      if (this.angleAddr(addr) < 0) addr.host = "SYNTAX_ERROR";
    }
    this.add(addr);
  }

  add(addr: Address): void {
    if (addr.mailbox === undefined || addr.mailbox === "") addr.mailbox = "MISSING_MAILBOX";
    if (addr.host === undefined || addr.host === "") addr.host = "MISSING_DOMAIN";
    this.out.push(addr);
  }

  /** address = mailbox / group */
  address(): void {
    const lx = this.lx;
    const start = lx.pos;
    const ph = lx.peek() === 0x3a ? { ret: 1, text: "" } : this.phrase();
    if (ph.ret > 0 && lx.peek() === 0x3a) {
      lx.pos++;
      this.out.push({ name: undefined, route: undefined, mailbox: ph.text, host: undefined });
      lx.skipLwsp();
      while (!lx.atEnd && lx.peek() !== 0x3b) {
        this.mailbox();
        if (lx.peek() !== 0x2c) break; // junk ends the group (and the list)
        lx.pos++;
        lx.skipLwsp();
      }
      if (lx.peek() === 0x3b) {
        lx.pos++;
        lx.skipLwsp();
      }
      this.out.push({ name: undefined, route: undefined, mailbox: undefined, host: undefined });
      return;
    }
    lx.pos = start;
    lx.broken = false;
    this.mailbox();
  }
}

/** Parses an address-list header value (a byte string). Never throws. */
export function parseAddressList(value: string): Address[] {
  const lx = new Rfc822Lexer(value);
  const p = new AddressParser(lx);
  if (!lx.skipLwsp()) return [];
  let guard = value.length + 2;
  while (guard-- > 0) {
    const before = lx.pos;
    p.address();
    if (lx.atEnd) break;
    if (lx.peek() !== 0x2c) {
      // Dovecot stops at the first junk after an address
      if (lx.pos === before) lx.pos++;
      break;
    }
    lx.pos++;
    if (!lx.skipLwsp()) {
      break;
    }
  }
  return p.out;
}
