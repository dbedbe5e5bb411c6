import { ImapFlow } from "imapflow";
import { type Ledger, type LedgerMessage, messageId, ownKeywords, soakMessage } from "./failover-ledger.js";

/*
 * One soak client: an imapflow connection doing a random mix of what mail clients do (SELECT
 * once, FETCH flags and bodies, STORE keywords by UID and by sequence number, APPEND, delete by
 * UID EXPUNGE, SEARCH, IDLE, NOOP), recording every acknowledged change in the ledger, and
 * keeping its own picture of the mailbox (sequence number → UID) from the notifications it
 * gets, so that a notification sent wrongly (an EXPUNGE for the wrong number, an EXISTS lost)
 * shows up as a UID at the wrong place.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SoakClientOptions {
  index: number;
  port: number;
  user: string;
  password: string;
  ledger: Ledger;
  /** Use QRESYNC (VANISHED instead of EXPUNGE). */
  qresync: boolean;
  /** Most live messages this client keeps (it expunges when above). */
  maxOwn: number;
  random: () => number;
  /** Where problems go (they fail the test at the end, with context). */
  problem: (text: string) => void;
}

export class SoakClient {
  readonly client: ImapFlow;
  /** Sequence number - 1 → UID (undefined: a message announced by EXISTS, not fetched yet). */
  private view: Array<number | undefined> = [];
  /** A VANISHED named a UID the view does not know: positions are unknown until the next sync. */
  private viewLost = false;
  private appendCount = 0;
  closed = false;
  readonly ops = new Map<string, number>();
  private paused = true;
  private gate: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  /** UIDs expunged (EXPUNGE/VANISHED received) during the operation in progress. */
  private goneDuringOp = new Set<number>();
  /** Bodies that came back as NIL (or otherwise not the message) for a message expunged during that FETCH. */
  nilForExpunged = 0;
  /** The operation in progress (for problem reports). */
  current = "";

  constructor(private readonly options: SoakClientOptions) {
    this.client = new ImapFlow({
      host: "127.0.0.1",
      port: options.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: options.user, pass: options.password },
      logger: false,
      disableAutoIdle: true,
      qresync: options.qresync,
      // Longer than any failover may take (docs/failover.md, "Bounded waits": at most
      // commandDeadlineMs + budget + attemptTimeoutMs, 70 s with the defaults the soak uses),
      // shorter than imapflow's default 5 minutes: a stall fails here, with the stall report.
      socketTimeout: 90_000,
    } as ConstructorParameters<typeof ImapFlow>[0]);
    this.client.on("close", () => {
      this.closed = true;
      if (!this.stopping) options.problem(`client ${options.index}: connection closed (during ${this.current})`);
    });
    this.client.on("error", (err: Error) => {
      if (!this.stopping) options.problem(`client ${options.index}: error ${err.message} (during ${this.current})`);
    });
    this.client.on("exists", (e: { count: number }) => {
      while (this.view.length < e.count) this.view.push(undefined);
      if (this.view.length > e.count)
        options.problem(`client ${options.index}: EXISTS ${e.count} below the ${this.view.length} messages it knew`);
    });
    // Every FETCH the server sends names a sequence number and (with CONDSTORE/QRESYNC or
    // when asked) its UID: it must agree with what the notifications made of the view.
    this.client.on("flags", (e: { seq: number; uid?: number }) => {
      if (e.uid === undefined || this.viewLost) return;
      const known = this.view[e.seq - 1];
      if (known !== undefined && known !== e.uid)
        options.problem(
          `client ${options.index}: FETCH says sequence number ${e.seq} is UID ${e.uid}, its notifications said UID ${known} (during ${this.current})`,
        );
      else if (e.seq <= this.view.length) this.view[e.seq - 1] = e.uid;
    });
    this.client.on("expunge", (e: { seq?: number; uid?: number; vanished: boolean; earlier?: boolean }) => {
      if (e.vanished) {
        if (e.earlier) return;
        if (e.uid !== undefined) this.goneDuringOp.add(e.uid);
        const at = this.view.indexOf(e.uid);
        if (at >= 0) this.view.splice(at, 1);
        else {
          this.viewLost = true;
          this.view.pop();
        }
        return;
      }
      if (!e.seq || e.seq > this.view.length) {
        options.problem(`client ${options.index}: EXPUNGE ${e.seq} with ${this.view.length} messages`);
        return;
      }
      const [uid] = this.view.splice(e.seq - 1, 1);
      if (uid !== undefined) this.goneDuringOp.add(uid);
    });
  }

  async connect(): Promise<void> {
    await this.client.connect();
    const mailbox = await this.client.mailboxOpen("INBOX");
    this.view = new Array(mailbox.exists).fill(undefined);
    await this.sync();
  }

  private count(op: string): void {
    this.ops.set(op, (this.ops.get(op) ?? 0) + 1);
  }

  /**
   * FETCH 1:* (UID FLAGS) by sequence number; each answer must agree with the view.
   * Returns what the client now sees.
   */
  async fetchView(): Promise<Array<{ seq: number; uid: number; flags: string[] }>> {
    // By sequence number: a message may come twice (its FETCH data, then an unsolicited
    // FETCH with new flags in the same response); the last word counts.
    const bySeq = new Map<number, { seq: number; uid: number; flags: string[] }>();
    if (this.view.length === 0 && this.client.mailbox && this.client.mailbox.exists === 0) return [];
    for await (const m of this.client.fetch("1:*", { uid: true, flags: true })) {
      const known = this.view[m.seq - 1];
      if (!this.viewLost && known !== undefined && known !== m.uid)
        this.options.problem(
          `client ${this.options.index}: sequence number ${m.seq} is UID ${m.uid}, its notifications said UID ${known}`,
        );
      this.view[m.seq - 1] = m.uid;
      bySeq.set(m.seq, { seq: m.seq, uid: m.uid, flags: [...(m.flags ?? [])].filter((f) => f !== "\\Recent").sort() });
    }
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** After a resync: the view is exactly what FETCH 1:* says. */
  async sync(): Promise<Array<{ seq: number; uid: number; flags: string[] }>> {
    const listed = await this.fetchView();
    const exists = this.client.mailbox ? this.client.mailbox.exists : -1;
    if (listed.length !== exists)
      this.options.problem(`client ${this.options.index}: EXISTS says ${exists}, FETCH 1:* returned ${listed.length}`);
    if (!this.viewLost && this.view.length !== listed.length)
      this.options.problem(
        `client ${this.options.index}: notifications left ${this.view.length} messages, FETCH 1:* returned ${listed.length}`,
      );
    // By sequence number: a number FETCH 1:* left out stays unknown (not closed up).
    const view: Array<number | undefined> = new Array(Math.max(exists, listed.at(-1)?.seq ?? 0)).fill(undefined);
    for (const m of listed) view[m.seq - 1] = m.uid;
    this.view = view;
    this.viewLost = false;
    return listed;
  }

  /** Start the operation loop (paused until `resume()`). */
  start(): void {
    this.running = this.loop();
  }

  resume(): void {
    this.paused = false;
    this.gate?.();
  }

  /** Pause after the operation in progress; resolves when it is done. */
  async pause(): Promise<void> {
    this.paused = true;
    await new Promise<void>((resolve) => {
      if (this.gate) resolve();
      else this.idleWaiters.push(resolve);
    });
  }
  private idleWaiters: Array<() => void> = [];

  async stop(): Promise<void> {
    this.stopping = true;
    this.paused = false;
    this.gate?.();
    await this.running;
    await this.client.logout().catch(() => this.client.close());
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (this.paused) {
        await new Promise<void>((resolve) => {
          this.gate = resolve;
          for (const w of this.idleWaiters.splice(0)) w();
        });
        this.gate = undefined;
        continue;
      }
      if (this.closed) return;
      try {
        await this.step();
      } catch (error) {
        this.options.problem(
          `client ${this.options.index}: ${this.current} threw ${(error as Error).message ?? String(error)}`,
        );
      }
    }
  }

  /**
   * Messages this client may act on: acknowledged, not expunged, and already announced to
   * this session. A UID the session has not been told about yet (appended by another client
   * a moment ago) does not exist for it: a UID STORE or UID EXPUNGE of it is ignored with OK
   * (RFC 9051 §6.4.9), as Dovecot does too, so acting on it would prove nothing.
   */
  private known(): LedgerMessage[] {
    const seen = new Set(this.view);
    return this.options.ledger.live().filter((m) => m.uid !== undefined && seen.has(m.uid));
  }

  private pick<T>(list: T[]): T | undefined {
    return list.length === 0 ? undefined : list[Math.floor(this.options.random() * list.length)];
  }

  private async step(): Promise<void> {
    const r = this.options.random();
    const own = this.known().filter((m) => m.owner === this.options.index);
    if (own.length > this.options.maxOwn && r < 0.5) return this.expungeOwn();
    if (r < 0.15) return this.append();
    if (r < 0.4) return this.storeKeyword();
    if (r < 0.52) return this.fetchFlags();
    if (r < 0.67) return this.fetchBody();
    if (r < 0.75) return this.expungeOwn();
    if (r < 0.8) return this.search();
    if (r < 0.93) return this.idle();
    this.current = "NOOP";
    this.count("noop");
    await this.client.noop();
  }

  private async append(): Promise<void> {
    const big = this.options.random() < 0.1;
    const size = big
      ? 60_000 + Math.floor(this.options.random() * 60_000)
      : 200 + Math.floor(this.options.random() * 3000);
    const id = messageId(this.options.index, this.appendCount++, size);
    const keywords = ownKeywords(this.options.index).filter(() => this.options.random() < 0.5);
    this.current = `APPEND ${id}`;
    this.count("append");
    let uid: number | undefined;
    try {
      const result = await this.client.append("INBOX", soakMessage(id), keywords);
      if (result && typeof result.uid === "number") uid = result.uid;
      else if (result) this.options.problem(`client ${this.options.index}: APPEND ${id} OK without APPENDUID`);
    } catch {
      // NO / BAD / broken: the outcome is unknown
    }
    this.options.ledger.appended(id, this.options.index, keywords, uid);
  }

  private async storeKeyword(): Promise<void> {
    const target = this.pick(this.known());
    if (!target?.uid) return;
    const keyword = this.pick(ownKeywords(this.options.index))!;
    const add = this.options.random() < 0.5;
    // By sequence number when the view knows where the message is, else by UID.
    const seq = this.options.random() < 0.4 && !this.viewLost ? this.view.indexOf(target.uid) + 1 : 0;
    const range = seq > 0 ? String(seq) : String(target.uid);
    const byUid = seq === 0;
    this.current = `${byUid ? "UID " : ""}STORE ${range} ${add ? "+" : "-"}FLAGS ${keyword} (UID ${target.uid})`;
    this.count(byUid ? "uid-store" : "store");
    let ok = false;
    try {
      ok = add
        ? await this.client.messageFlagsAdd(range, [keyword], { uid: byUid })
        : await this.client.messageFlagsRemove(range, [keyword], { uid: byUid });
    } catch {
      ok = false;
    }
    this.options.ledger.stored(
      target.uid,
      keyword,
      add,
      ok,
      `client ${this.options.index}: ${this.current} at ${Date.now() % 100000}`,
    );
  }

  private async fetchFlags(): Promise<void> {
    this.current = "FETCH 1:* (UID FLAGS)";
    this.count("fetch-flags");
    await this.fetchView();
  }

  private async fetchBody(): Promise<void> {
    const target = this.pick(this.known());
    if (!target?.uid) return;
    this.current = `UID FETCH ${target.uid} BODY.PEEK[] (${target.id})`;
    this.count("fetch-body");
    this.goneDuringOp.clear();
    const msg = await this.client.fetchOne(String(target.uid), { uid: true, source: true }, { uid: true });
    if (!msg) return; // expunged meanwhile (or NO)
    const expected = soakMessage(target.id);
    const got = msg.source?.toString("latin1");
    // A message expunged by its owner while this UID FETCH ran may come back as BODY[] NIL
    // followed by its VANISHED/EXPUNGE in the same response (RFC 2180 §4.1.3 lets a server
    // answer NIL for the data of an expunged message): counted, not a problem. Any other
    // difference is.
    if (got !== expected && this.goneDuringOp.has(target.uid)) this.nilForExpunged++;
    else if (got !== expected)
      this.options.problem(
        `client ${this.options.index}: UID ${target.uid} body differs from ${target.id} (${got?.length} bytes, expected ${expected.length})`,
      );
  }

  private async expungeOwn(): Promise<void> {
    const mine = this.known().filter((m) => m.owner === this.options.index);
    const target = this.pick(mine);
    if (!target?.uid) return;
    this.current = `delete UID ${target.uid} (${target.id})`;
    this.count("uid-expunge");
    let ok = false;
    try {
      ok = await this.client.messageDelete(String(target.uid), { uid: true });
    } catch {
      ok = false;
    }
    this.options.ledger.expunged(target.uid, ok);
  }

  private async search(): Promise<void> {
    const keyword = this.pick(ownKeywords(this.options.index))!;
    this.current = `UID SEARCH KEYWORD ${keyword}`;
    this.count("search");
    const found = await this.client.search({ keyword }, { uid: true });
    if (!Array.isArray(found)) return;
    for (const uid of found) {
      const entry = this.options.ledger.byUid.get(uid);
      // Only this client changes its keywords, and it is not changing any right now.
      if (entry && entry.keywords.get(keyword) === false)
        this.options.problem(
          `client ${this.options.index}: SEARCH KEYWORD ${keyword} found UID ${uid}, which does not have it`,
        );
    }
  }

  private async idle(): Promise<void> {
    this.current = "IDLE";
    this.count("idle");
    const idling = this.client.idle();
    await sleep(50 + Math.floor(this.options.random() * 300));
    this.current = "NOOP after IDLE";
    await this.client.noop();
    await idling;
  }
}
