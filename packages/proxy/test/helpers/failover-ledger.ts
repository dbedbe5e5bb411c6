import { RawClient } from "./raw-client.js";

/*
 * What the soak test's clients were told: every APPEND, STORE and EXPUNGE with its outcome.
 * A tagged OK is a promise (the change happened and is durable); a NO or a broken command
 * leaves the outcome unknown — allowed, as long as it is never both OK'd and lost.
 *
 * Each client owns its messages (only the owner marks \Deleted and expunges them) and its
 * keywords ($c<i>a, $c<i>b: only client i changes them, on any message). So for every message
 * and keyword the last acknowledged change is well defined, and the backend's state can be
 * checked against it exactly.
 */

/** A soak message: everything about it follows from its id, so a fetched copy can be checked. */
export function soakMessage(id: string): string {
  const size = Number(/-(\d+)$/.exec(id)?.[1] ?? 0);
  const head = [
    `From: soak <${id.split("-")[0]}@example.org>`,
    "To: soak@example.org",
    `Subject: soak ${id}`,
    "Date: Sat, 28 Nov 2026 18:00:00 +0000",
    `Message-ID: <${id}@soak.example>`,
    "",
    "",
  ].join("\r\n");
  let body = "";
  for (let n = 0; head.length + body.length < size; n++) body += `${id} line ${n} ${"x".repeat(n % 60)}\r\n`;
  return head + body;
}

/** Message ids carry their owner and size: c<owner>-<n>-<size>. */
export function messageId(owner: number, n: number, size: number): string {
  return `c${owner}-${n}-${size}`;
}

export type Known<T> = T | "unknown";

export interface LedgerMessage {
  id: string;
  owner: number;
  /** "ok": APPEND answered OK with this UID; "unknown": it failed or broke (may exist or not). */
  appended: Known<"ok">;
  uid?: number;
  expunged: Known<boolean>;
  /** Keyword → set or not, as last acknowledged. */
  keywords: Map<string, Known<boolean>>;
}

export interface BackendMessage {
  uid: number;
  flags: string[];
  id: string | undefined;
  size: number;
}

export interface BackendListing {
  uidValidity: number;
  messages: BackendMessage[];
}

export function ownKeywords(owner: number): string[] {
  return [`$c${owner}a`, `$c${owner}b`];
}

export class Ledger {
  readonly messages = new Map<string, LedgerMessage>();
  readonly byUid = new Map<number, LedgerMessage>();
  /** Every keyword any client uses (to check keywords nobody set are absent). */
  readonly keywords = new Set<string>();
  /** "uid keyword" → the STOREs of it, in order (for problem reports). */
  private readonly history = new Map<string, string[]>();
  readonly counts = {
    appendOk: 0,
    appendUnknown: 0,
    storeOk: 0,
    storeUnknown: 0,
    expungeOk: 0,
    expungeUnknown: 0,
  };

  constructor(clients: number) {
    for (let i = 0; i < clients; i++) for (const k of ownKeywords(i)) this.keywords.add(k);
  }

  appended(id: string, owner: number, keywords: string[], uid: number | undefined): void {
    const entry: LedgerMessage = {
      id,
      owner,
      appended: uid === undefined ? "unknown" : "ok",
      expunged: false,
      keywords: new Map([...this.keywords].map((k) => [k, keywords.includes(k)])),
    };
    if (uid !== undefined) {
      entry.uid = uid;
      this.byUid.set(uid, entry);
      this.counts.appendOk++;
    } else {
      // Unknown: its keywords too, if it exists.
      for (const k of this.keywords) entry.keywords.set(k, "unknown");
      this.counts.appendUnknown++;
    }
    this.messages.set(id, entry);
  }

  stored(uid: number, keyword: string, value: boolean, ok: boolean, via = ""): void {
    const key = `${uid} ${keyword}`;
    const list = this.history.get(key) ?? [];
    list.push(`${value ? "+" : "-"}${keyword} ${ok ? "OK" : "not acknowledged"}${via ? ` (${via})` : ""}`);
    this.history.set(key, list.slice(-6));
    const entry = this.byUid.get(uid);
    if (ok) this.counts.storeOk++;
    else this.counts.storeUnknown++;
    if (!entry) return;
    entry.keywords.set(keyword, ok ? value : "unknown");
  }

  expunged(uid: number, ok: boolean): void {
    const entry = this.byUid.get(uid);
    if (ok) this.counts.expungeOk++;
    else this.counts.expungeUnknown++;
    if (!entry) return;
    if (ok) entry.expunged = true;
    else if (entry.expunged !== true) entry.expunged = "unknown";
  }

  /** Messages a client may act on: appended OK, not known to be expunged. */
  live(): LedgerMessage[] {
    return [...this.byUid.values()].filter((m) => m.expunged !== true);
  }

  /**
   * Compare the backend with what was acknowledged. Returns the differences (empty = fine).
   * `uidValidity`: the value the first APPEND reported (it must never change).
   */
  check(listing: BackendListing, uidValidity: number | undefined): string[] {
    const problems: string[] = [];
    if (uidValidity !== undefined && listing.uidValidity !== uidValidity)
      problems.push(`UIDVALIDITY changed from ${uidValidity} to ${listing.uidValidity}`);
    const seen = new Map<string, BackendMessage>();
    for (const m of listing.messages) {
      if (!m.id) {
        problems.push(`UID ${m.uid} has no Message-ID`);
        continue;
      }
      if (seen.has(m.id)) problems.push(`${m.id} is in the mailbox twice (UIDs ${seen.get(m.id)!.uid} and ${m.uid})`);
      seen.set(m.id, m);
      const entry = this.messages.get(m.id);
      if (!entry) {
        problems.push(`UID ${m.uid} (${m.id}) was never appended by a client`);
        continue;
      }
      if (entry.appended === "ok" && entry.uid !== m.uid)
        problems.push(`${m.id}: APPEND was acknowledged with UID ${entry.uid}, the backend has it as UID ${m.uid}`);
      if (entry.expunged === true) problems.push(`${m.id} (UID ${m.uid}): UID EXPUNGE was acknowledged, still there`);
      if (m.size !== Buffer.byteLength(soakMessage(m.id)))
        problems.push(`${m.id}: size ${m.size}, expected ${Buffer.byteLength(soakMessage(m.id))}`);
      for (const [keyword, expected] of entry.keywords) {
        if (expected === "unknown") continue;
        const has = m.flags.includes(keyword);
        if (has !== expected)
          problems.push(
            `${m.id} (UID ${m.uid}): ${keyword} is ${has ? "set" : "not set"}, the last acknowledged STORE says ${expected ? "set" : "not set"} [STOREs: ${(this.history.get(`${m.uid} ${keyword}`) ?? []).join("; ")}]`,
          );
      }
    }
    for (const entry of this.messages.values()) {
      if (entry.appended === "ok" && entry.expunged === false && !seen.has(entry.id))
        problems.push(
          `${entry.id} (UID ${entry.uid}): APPEND was acknowledged and it was never expunged, but it is gone`,
        );
    }
    return problems;
  }
}

/** The mailbox straight from a backend (EXAMINE: changes nothing, not even \Recent). */
export async function listBackend(
  port: number,
  user: string,
  password: string,
  mailbox = "INBOX",
): Promise<BackendListing> {
  const c = await RawClient.open(port);
  try {
    await c.line();
    const login = await c.command("a", `LOGIN ${user} ${password}`);
    if (!login.at(-1)?.startsWith("a OK")) throw new Error(`direct login failed: ${login.join("\n")}`);
    const examined = await c.command("b", `EXAMINE ${mailbox}`);
    const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(examined.join("\n"))?.[1]);
    const lines = await c.command(
      "c",
      "UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
      15_000,
    );
    const messages: BackendMessage[] = [];
    let current: BackendMessage | undefined;
    for (const line of lines) {
      if (/^\* \d+ FETCH /.test(line)) {
        current = {
          uid: Number(/UID (\d+)/.exec(line)?.[1]),
          flags: (/FLAGS \(([^)]*)\)/.exec(line)?.[1] ?? "").split(" ").filter(Boolean),
          size: Number(/RFC822\.SIZE (\d+)/.exec(line)?.[1]),
          id: undefined,
        };
        messages.push(current);
      } else if (current && /^Message-ID: <([^@>]+)@soak\.example>/i.test(line)) {
        current.id = /^Message-ID: <([^@>]+)@/i.exec(line)![1];
      }
    }
    c.write("z LOGOUT\r\n");
    return { uidValidity, messages };
  } finally {
    c.close();
  }
}
