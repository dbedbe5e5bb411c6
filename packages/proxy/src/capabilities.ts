/**
 * What the server advertises. Only what the front end implements is listed: a client that
 * sees a capability may rely on it (DESIGN: never silently wrong).
 */
export interface CapabilityContext {
  authenticated: boolean;
  /** TLS is on (implicit, or after STARTTLS). */
  secure: boolean;
  /** STARTTLS can be offered (a TLS context is configured and TLS is not on yet). */
  startTls: boolean;
  /** LOGIN / AUTHENTICATE allowed without TLS (localhost development). */
  plaintextAuth: boolean;
  appendLimit: number | null;
}

const COMMON = ["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE"];

const AFTER_AUTH = [
  "NAMESPACE",
  "UIDPLUS",
  "MOVE",
  "UNSELECT",
  "CHILDREN",
  "SPECIAL-USE",
  "LIST-EXTENDED",
  "LIST-STATUS",
  "ESEARCH",
  "SEARCHRES",
  "CONDSTORE",
  "QRESYNC",
  "BINARY",
  "MULTIAPPEND",
  "UTF8=ACCEPT",
  "STATUS=SIZE",
];

export function capabilities(ctx: CapabilityContext): string[] {
  const out = [...COMMON];
  if (!ctx.authenticated) {
    if (ctx.startTls) out.push("STARTTLS");
    if (ctx.secure || ctx.plaintextAuth) out.push("AUTH=PLAIN", "AUTH=LOGIN");
    else out.push("LOGINDISABLED");
    return out;
  }
  out.push(...AFTER_AUTH);
  out.push(ctx.appendLimit === null ? "APPENDLIMIT" : `APPENDLIMIT=${ctx.appendLimit}`);
  return out;
}
