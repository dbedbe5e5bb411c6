import type { Envelope, ImapValue } from "@holdfast/imap-codec";

/*
 * @holdfast/mime produces BODYSTRUCTURE, BODY and ENVELOPE as IMAP-ready text (Latin-1
 * exact). The response encoder takes value trees, so that text is read back into one here:
 * lists, NIL, numbers, quoted strings and literals. Strings with 8-bit bytes become
 * Buffers, which the encoder sends as literals, exactly as they were.
 */

class ValueReader {
  i = 0;
  constructor(private readonly s: string) {}

  value(): ImapValue {
    const c = this.s[this.i];
    if (c === "(") {
      this.i++;
      const list: ImapValue[] = [];
      while (this.s[this.i] !== ")") {
        if (this.i >= this.s.length) throw new Error("unterminated list");
        list.push(this.value());
        if (this.s[this.i] === " ") this.i++;
      }
      this.i++;
      return list;
    }
    if (c === '"') {
      let out = "";
      for (this.i++; this.s[this.i] !== '"'; this.i++) {
        if (this.i >= this.s.length) throw new Error("unterminated string");
        if (this.s[this.i] === "\\") this.i++;
        out += this.s[this.i];
      }
      this.i++;
      return text(out);
    }
    if (c === "{") {
      const close = this.s.indexOf("}", this.i);
      const size = Number(this.s.slice(this.i + 1, close).replace("+", ""));
      const start = close + 3; // "}\r\n"
      this.i = start + size;
      return text(this.s.slice(start, start + size));
    }
    const m = /^[^ ()]+/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) throw new Error(`unexpected ${JSON.stringify(c)}`);
    this.i += m[0].length;
    if (m[0].toUpperCase() === "NIL") return null;
    if (/^\d+$/.test(m[0])) return Number(m[0]);
    return m[0];
  }
}

function text(latin1: string): string | Buffer {
  return /[^\x00-\x7f]/.test(latin1) ? Buffer.from(latin1, "latin1") : latin1;
}

/** Parse one serialized IMAP value (a BODYSTRUCTURE list, an ENVELOPE list...). */
export function parseImapValue(serialized: string): ImapValue {
  return new ValueReader(serialized).value();
}

function str(v: ImapValue): string | null {
  if (v === null) return null;
  if (Buffer.isBuffer(v)) return v.toString("latin1");
  return String(v);
}

function addresses(v: ImapValue): Envelope["from"] {
  if (!Array.isArray(v)) return null;
  return v.map((a) => {
    const [name, adl, mailbox, host] = (a as ImapValue[]).map(str);
    return { name: name ?? null, adl: adl ?? null, mailbox: mailbox ?? null, host: host ?? null };
  });
}

/** The typed ENVELOPE the encoder wants, from its serialized form. */
export function parseEnvelope(serialized: string): Envelope {
  const v = parseImapValue(serialized) as ImapValue[];
  return {
    date: str(v[0] ?? null),
    subject: str(v[1] ?? null),
    from: addresses(v[2] ?? null),
    sender: addresses(v[3] ?? null),
    replyTo: addresses(v[4] ?? null),
    to: addresses(v[5] ?? null),
    cc: addresses(v[6] ?? null),
    bcc: addresses(v[7] ?? null),
    inReplyTo: str(v[8] ?? null),
    messageId: str(v[9] ?? null),
  };
}
