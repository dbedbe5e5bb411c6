/**
 * ENVELOPE (RFC 9051 §7.5.2) from a header block. Strings are the raw header values (byte
 * strings, encoded words kept). For string fields the last occurrence wins and address
 * fields collect every occurrence (as in Dovecot); an absent or empty Sender / Reply-To
 * defaults to From.
 */
import { type Address, parseAddressList } from "./address.js";
import { fieldValue, type HeaderField, lastField } from "./header-fields.js";
import { nstringForHumans, nstringNoLf } from "./imap-string.js";

export interface Envelope {
  date: string | undefined;
  subject: string | undefined;
  from: Address[];
  sender: Address[];
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  inReplyTo: string | undefined;
  messageId: string | undefined;
}

export function buildEnvelope(buf: Uint8Array, fields: readonly HeaderField[]): Envelope {
  const raw = (name: string) => {
    const f = lastField(fields, name);
    return f ? fieldValue(buf, f) : undefined;
  };
  // every occurrence of an address field adds to the list (Dovecot appends them)
  const list = (name: string) => {
    const out: Address[] = [];
    for (const f of fields) if (f.name === name && f.hasColon) out.push(...parseAddressList(fieldValue(buf, f)));
    return out;
  };
  const from = list("from");
  const sender = list("sender");
  const replyTo = list("reply-to");
  return {
    date: raw("date"),
    subject: raw("subject"),
    from,
    sender: sender.length > 0 ? sender : from,
    replyTo: replyTo.length > 0 ? replyTo : from,
    to: list("to"),
    cc: list("cc"),
    bcc: list("bcc"),
    inReplyTo: raw("in-reply-to"),
    messageId: raw("message-id"),
  };
}

function writeAddresses(list: readonly Address[]): string {
  if (list.length === 0) return "NIL";
  let out = "(";
  for (const a of list) {
    out += `(${nstringForHumans(a.name)} ${nstringNoLf(a.route)} ${nstringNoLf(a.mailbox)} ${nstringNoLf(a.host)})`;
  }
  return `${out})`;
}

/** The ENVELOPE value as IMAP sends it, parenthesised (a byte string). */
export function serializeEnvelope(env: Envelope | undefined): string {
  if (!env) return "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
  return `(${[
    nstringNoLf(env.date),
    nstringForHumans(env.subject),
    writeAddresses(env.from),
    writeAddresses(env.sender),
    writeAddresses(env.replyTo),
    writeAddresses(env.to),
    writeAddresses(env.cc),
    writeAddresses(env.bcc),
    nstringNoLf(env.inReplyTo),
    nstringNoLf(env.messageId),
  ].join(" ")})`;
}
