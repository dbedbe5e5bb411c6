import type { Command, FetchAttribute, ResponseCode, SearchKey, StatusItem } from "@holdfast/imap-codec";

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
  /**
   * Post-login capabilities this session's backend cannot honour (a remote backend lacking
   * what they need, see `backendLacks`): left out of the post-login list. Spelled as in
   * the list (`IMAP4rev2`, `STATUS=SIZE`).
   */
  withheld?: ReadonlySet<string>;
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
  if (!ctx.authenticated) {
    const out = [...COMMON];
    if (ctx.startTls) out.push("STARTTLS");
    if (ctx.secure || ctx.plaintextAuth) out.push("AUTH=PLAIN", "AUTH=LOGIN");
    else out.push("LOGINDISABLED");
    return out;
  }
  const withheld = ctx.withheld;
  const out = [...COMMON, ...AFTER_AUTH];
  const kept = withheld && withheld.size > 0 ? out.filter((c) => !withheld.has(c)) : out;
  kept.push(ctx.appendLimit === null ? "APPENDLIMIT" : `APPENDLIMIT=${ctx.appendLimit}`);
  return kept;
}

/*
 * Capabilities that depend on the backend (stateful remote mode). Everything else in the
 * lists above is implemented by the front end itself whatever the backend is: ESEARCH from
 * a plain SEARCH result, SEARCHRES kept in the session, LIST-STATUS as LIST + STATUS, IDLE
 * by the backend's IDLE or NOOP polling, UTF8=ACCEPT by name conversion, SPECIAL-USE (a
 * backend without it has no special-use mailboxes; the proxy applies the LIST (SPECIAL-USE)
 * selection itself). The table is in the package README. A predicate says whether a
 * backend connection can honour the capability; `enabled` is what the proxy managed to
 * ENABLE there (it asks for CONDSTORE and QRESYNC on every backend that offers them).
 */
interface BackendView {
  /** Upper case. */
  readonly capabilities: ReadonlySet<string>;
  /** Upper case: extensions ENABLEd on that connection. */
  readonly enabled: ReadonlySet<string>;
}

const BACKEND_NEEDS: ReadonlyArray<readonly [string, (b: BackendView) => boolean]> = [
  // APPENDUID / COPYUID and UID EXPUNGE: without UIDPLUS an expunge of a set would remove
  // every \Deleted message, which the client did not ask for.
  ["UIDPLUS", (b) => b.capabilities.has("UIDPLUS")],
  // MOVE, or its emulation COPY + STORE \Deleted + UID EXPUNGE (which needs UIDPLUS).
  ["MOVE", (b) => b.capabilities.has("MOVE") || b.capabilities.has("UIDPLUS")],
  // MODSEQs come from the backend: without them the front end has none to give.
  ["CONDSTORE", (b) => b.enabled.has("CONDSTORE") || b.enabled.has("QRESYNC")],
  // VANISHED (EARLIER) needs the backend's expunge history.
  ["QRESYNC", (b) => b.enabled.has("QRESYNC")],
  // BINARY[] / BINARY.SIZE are fetched from the backend as such (it decodes).
  ["BINARY", (b) => b.capabilities.has("BINARY")],
  // All-or-nothing APPEND of several messages: one APPEND per message is not atomic.
  ["MULTIAPPEND", (b) => b.capabilities.has("MULTIAPPEND")],
  // STATUS (SIZE) is asked of the backend.
  ["STATUS=SIZE", (b) => b.capabilities.has("STATUS=SIZE")],
  // Selection options (SUBSCRIBED, RECURSIVEMATCH, REMOTE, SPECIAL-USE) and RETURN
  // (SUBSCRIBED / CHILDREN): a plain LIST cannot answer them.
  ["LIST-EXTENDED", (b) => b.capabilities.has("LIST-EXTENDED")],
  // \HasChildren / \HasNoChildren come from the backend's LIST.
  ["CHILDREN", (b) => b.capabilities.has("CHILDREN") || b.capabilities.has("IMAP4REV2")],
];

/**
 * IMAP4rev2 (RFC 9051) includes UIDPLUS, MOVE, BINARY, LIST-EXTENDED, STATUS SIZE and the
 * child attributes: a client told IMAP4rev2 may use any of them, so withholding
 * one withholds IMAP4rev2 too (the front end emulates what else rev2 needs, STATUS DELETED).
 */
const PART_OF_REV2 = ["UIDPLUS", "MOVE", "BINARY", "LIST-EXTENDED", "STATUS=SIZE", "CHILDREN"];

/** The post-login capabilities a backend connection cannot honour (withheld from the client). */
export function backendLacks(backend: BackendView): Set<string> {
  const out = new Set<string>();
  for (const [capability, has] of BACKEND_NEEDS) if (!has(backend)) out.add(capability);
  if (PART_OF_REV2.some((c) => out.has(c))) out.add("IMAP4rev2");
  return out;
}

function fetchNeeds(items: FetchAttribute[], out: Set<string>): void {
  for (const item of items) {
    if (item.type === "MODSEQ") out.add("CONDSTORE");
    else if (item.type === "BINARY[]" || item.type === "BINARY.SIZE") out.add("BINARY");
  }
}

/** Whether search keys use MODSEQ anywhere (nested in NOT, OR, AND too): CONDSTORE's. */
export function searchUsesModseq(keys: SearchKey[]): boolean {
  return keys.some(
    (k) =>
      k.type === "MODSEQ" ||
      (k.type === "NOT" && searchUsesModseq([k.key])) ||
      (k.type === "OR" && searchUsesModseq([k.left, k.right])) ||
      (k.type === "AND" && searchUsesModseq(k.keys)),
  );
}

function statusNeeds(items: readonly StatusItem[], out: Set<string>): void {
  if (items.includes("SIZE")) out.add("STATUS=SIZE");
  if (items.includes("HIGHESTMODSEQ")) out.add("CONDSTORE");
}

/**
 * The backend-dependent capabilities a command relies on (those `backendLacks` can name),
 * empty for most commands. ENABLE is not here: enabling a withheld extension is simply
 * not done (RFC 5161 ignores unknown ones), see the ENABLE handler.
 */
export function capabilitiesUsedBy(command: Command): Set<string> {
  const out = new Set<string>();
  switch (command.name) {
    case "EXPUNGE":
      if (command.uid) out.add("UIDPLUS");
      break;
    case "MOVE":
      out.add("MOVE");
      break;
    case "SELECT":
    case "EXAMINE":
      if (command.condstore) out.add("CONDSTORE");
      if (command.qresync) out.add("QRESYNC");
      break;
    case "FETCH":
      fetchNeeds(command.items, out);
      if (command.changedSince !== undefined) out.add("CONDSTORE");
      if (command.vanished) out.add("QRESYNC");
      break;
    case "STORE":
      if (command.unchangedSince !== undefined) out.add("CONDSTORE");
      break;
    case "SEARCH":
      if (searchUsesModseq(command.criteria)) out.add("CONDSTORE");
      break;
    case "STATUS":
      statusNeeds(command.items, out);
      break;
    case "LIST": {
      const ro = command.returnOptions;
      if (command.selection.length > 0 || ro.subscribed || ro.children) out.add("LIST-EXTENDED");
      if (ro.status) statusNeeds(ro.status, out);
      break;
    }
    case "APPEND":
      if (command.messages.length > 1) out.add("MULTIAPPEND");
      // UTF8 (~{n}) is a literal8 too (RFC 6855) but not BINARY content.
      if (command.messages.some((m) => m.binary && !m.utf8)) out.add("BINARY");
      break;
  }
  return out;
}

/** How the front end refuses a command that relies on a capability the backend lacks. */
export interface CapabilityRefusal {
  status: "BAD" | "NO";
  text: string;
  code?: ResponseCode;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Whether to refuse `command`, and how:
 * - it uses a capability withheld at login (never advertised to this client): BAD, as for
 *   any extension the server does not have;
 * - it uses a capability that was advertised but the backend connection serving the
 *   session now lacks (a failover to a host with fewer capabilities): NO [UNAVAILABLE];
 *   the client was told it exists and cannot be told otherwise, so the command fails
 *   rather than being carried out wrongly (e.g. UID EXPUNGE as a plain EXPUNGE).
 * `withheldNow` is only asked when the command uses such a capability at all.
 */
export function refusalFor(
  command: Command,
  withheldAtLogin: ReadonlySet<string>,
  withheldNow: (() => ReadonlySet<string> | undefined) | undefined,
): CapabilityRefusal | null {
  if (withheldAtLogin.size === 0 && withheldNow === undefined) return null;
  const used = capabilitiesUsedBy(command);
  if (used.size === 0) return null;
  for (const capability of used) {
    if (withheldAtLogin.has(capability)) {
      return {
        status: "BAD",
        text: `${command.name} with ${capability} is not available: the mail server behind this proxy lacks ${capability}.`,
      };
    }
  }
  const now = withheldNow?.() ?? NONE;
  for (const capability of used) {
    if (now.has(capability)) {
      return {
        status: "NO",
        text: `${capability} is not available on the mail server serving this session now; try again later.`,
        code: { name: "UNAVAILABLE" },
      };
    }
  }
  return null;
}
