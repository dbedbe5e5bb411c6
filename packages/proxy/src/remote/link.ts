import type { MailboxChange } from "@holdfast/session";
import type { AuthContext } from "../backend.js";
import { BackendError } from "../backend.js";
import type { Logger } from "../logger.js";
import { toBackendError } from "./backend-errors.js";
import { ImapConnectionError, LoginRefusedError } from "./errors.js";
import type { ImapClient } from "./imap-client.js";
import { MailboxTracker } from "./mailbox-tracker.js";
import type { ResolvedRemoteOptions, RoutedHost } from "./open-connection.js";
import { openConnection } from "./open-connection.js";
import { fetchNew, reselect, SessionEnded } from "./selection.js";

/*
 * The backend connection of one client session, kept alive across failures: the failover
 * state machine of issue #8.
 *
 *   UP ──(connection lost: reset, timeout, BYE, TLS error)──▶ RECOVERING
 *   RECOVERING ──(connect + login + ENABLE + re-select OK)──▶ UP   (changes the client is
 *                                                                  owed go to the feed)
 *   RECOVERING ──(reconnect budget spent)──▶ DEAD: `* BYE [UNAVAILABLE]` to the client
 *   RECOVERING ──(UIDVALIDITY changed / mailbox gone)──▶ DEAD: `* BYE` with the reason
 *   any ──(close(): client logged out)──▶ CLOSED
 *
 * Recovery order: the same host first, `sameHostAttempts` times with a short exponential
 * backoff (a restart of the same Dovecot is the common case), then the other hosts of
 * route(user) in order; a new route is asked each round, so health checks and admin moves
 * apply. The first delay of each session is random in [0, initialDelayMs): when one
 * backend dies, its thousands of sessions do not reconnect in the same millisecond.
 * `reconnectUser()` (admin move) skips the same-host preference.
 *
 * Exclusive use: every backend exchange runs under `acquire()`, one at a time, so the
 * client's commands, the new-message fetch triggered by EXISTS and IDLE never interleave.
 * Between commands, once the session has been quiet for `idleAfterMs`, the connection sits
 * in IDLE (or NOOPs every `pollMs` without IDLE), so changes by other sessions reach the
 * feed at once whether or not the client itself is idling; acquire() ends the IDLE
 * (DONE is written just before the next command, without waiting a round trip).
 *
 * Commands in flight when the connection breaks (`run(…, idempotent)`):
 * - idempotent (FETCH, SEARCH, STATUS, LIST, NOOP, STORE with flags and no UNCHANGEDSINCE,
 *   UID EXPUNGE of a set, the re-select itself): re-issued on the new connection, the
 *   client only sees the answer;
 * - not idempotent (APPEND, COPY, MOVE, EXPUNGE of all \Deleted, CREATE, DELETE, RENAME,
 *   SUBSCRIBE, STORE with UNCHANGEDSINCE whose retry would report MODIFIED for our own
 *   change): BackendError UNAVAILABLE (tagged NO [UNAVAILABLE]); the outcome is unknown to
 *   the client, which may retry. The session itself recovers in the background.
 *   Exception: APPEND checks its outcome after the reconnect (remote-append.ts: every
 *   message found by Message-ID + size → OK [APPENDUID]). COPY is not checked: COPYUID
 *   only exists in the answer that was lost.
 *
 * Bounded waits (a client must get its tagged answer, or BYE, long before its own timeout,
 * whatever the backend does; issue #8's soak stall: Dovecot waiting 120 s on a dotlock of
 * shared storage left by a killed instance, sending `* NO Mailbox is locked, will abort in
 * N seconds` every 30 s, which kept a silence timeout from ever firing):
 * - a recovery ends within `reconnect.budgetMs`: every attempt (connect, greeting, login,
 *   ID, ENABLE, re-select) is cut at `attemptTimeoutMs` or at the budget's end, whichever
 *   comes first, by destroying its connection; the budget is not only checked between
 *   attempts;
 * - one backend exchange of a client command (`run()`) is cut at `commandDeadlineMs` in
 *   total (the connection then counts as broken: replayed or NO [UNAVAILABLE]);
 * - once the connection broke under a command, that command is answered within
 *   `budgetMs + attemptTimeoutMs` of the break: re-connections and replays share that
 *   deadline, after which it is NO [UNAVAILABLE] (or BYE if the budget was spent);
 * - entering IDLE (waiting for the backend's `+`) is cut at `commandDeadlineMs`, the APPEND
 *   outcome check at `attemptTimeoutMs`, other side connections at `commandDeadlineMs`.
 */

export interface SelectionSpec {
  wire: string;
  readOnly: boolean;
  tracker: MailboxTracker;
  emit(change: MailboxChange): void;
}

const MAX_BACKOFF_MS = 2000;

/** What a Link is doing, for logs and failure reports (`describe()`). */
export interface LinkState {
  host: string;
  connected: boolean;
  /** The lock is held (by `activity`). */
  busy: boolean;
  /** Exchanges holding or waiting for the lock. */
  holders: number;
  waiting: number;
  inIdle: boolean;
  recovering: boolean;
  reconnects: number;
  dead: string | null;
  closing: boolean;
  /** The current step and how long it has been running (ms). */
  activity: string;
  activityMs: number;
  /** The last recovery failure or timeout, if any. */
  lastProblem: string | null;
}

export class Link {
  client: ImapClient | null;
  host: RoutedHost;
  selection: SelectionSpec | null = null;
  /** Why the session ended; set once. */
  dead: string | null = null;
  private closing = false;
  /** The lock: held by one exchange at a time; the others wait in order. */
  private busy = false;
  private readonly waiters: (() => void)[] = [];
  private holders = 0;
  private idleHandle: { done(): Promise<void> } | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private forceSwitch = false;
  private recoveryScheduled = false;
  private readonly terminateListeners = new Set<(reason: string) => void>();
  /** How many times this session reconnected (tests, logs, metrics). */
  reconnects = 0;
  private recovering = false;
  private activity = "none";
  private activitySince = Date.now();
  private lastProblem: string | null = null;
  /**
   * The exchange holding the lock now and its total-time bound (`bounded()`), if any. One
   * timer per Link enforces it, armed lazily and re-armed for the remainder when it fires
   * early: a timer created and cleared around every command costs more than the command's
   * own work on the proxy (measured: the 1-client latency benchmark).
   */
  private exchange: { c: ImapClient; deadline: number; limitMs: number; what: string } | null = null;
  private exchangeTimer: NodeJS.Timeout | null = null;
  /** A new-message fetch waiting out `newMessagesDelayMs` (onNewMessages). */
  private newFetchTimer: NodeJS.Timeout | null = null;
  private exchangeTimerDue = 0;
  /** When the lock was last let go with nobody waiting (performance.now()): quiet since then. */
  private quietSince = 0;

  constructor(
    client: ImapClient,
    host: RoutedHost,
    readonly user: string,
    private readonly password: string,
    private readonly auth: AuthContext,
    private readonly options: ResolvedRemoteOptions,
    readonly log: Logger,
  ) {
    this.client = client;
    this.host = host;
    this.watch(client);
  }

  /** The bound on one recovery step (an attempt, IDLE's start, the APPEND outcome check). */
  get attemptTimeoutMs(): number {
    return this.options.reconnect.attemptTimeoutMs;
  }

  /** The client should be told BYE with this reason (the session cannot continue). */
  onTerminate(listener: (reason: string) => void): () => void {
    if (this.dead !== null) {
      const reason = this.dead;
      queueMicrotask(() => listener(reason));
    }
    this.terminateListeners.add(listener);
    return () => this.terminateListeners.delete(listener);
  }

  private watch(client: ImapClient): void {
    client.onClose((error) => {
      if (this.client !== client) return;
      this.client = null;
      this.idleHandle = null;
      if (this.closing || this.dead !== null) return;
      this.log.warn({ host: this.host.id, err: error.message }, "backend connection lost");
      // Nobody may be using the connection right now (client idle or in IDLE): recover
      // now so that notifications keep flowing and the next command finds a connection.
      if (this.holders === 0) this.recoverInBackground();
    });
  }

  /**
   * Nobody waits for this connection (the client is idle or idling): reconnect, but start
   * at a random moment within `spreadMs`, so that the thousands of sessions of a backend
   * that died do not all knock on the next one in the same millisecond.
   */
  private recoverInBackground(): void {
    if (this.recoveryScheduled) return;
    this.recoveryScheduled = true;
    // The wait is outside the lock: a command arriving meanwhile reconnects at once.
    const timer = setTimeout(() => {
      this.recoveryScheduled = false;
      void this.exclusive(async () => {
        if (this.dead !== null || this.closing || (this.client && !this.client.closed)) return;
        await this.ensure();
      }).catch(() => {});
    }, Math.random() * this.options.reconnect.spreadMs);
    timer.unref();
  }

  /** Take exclusive use of the backend connection. Ends IDLE first. */
  async acquire(): Promise<() => void> {
    this.holders++;
    // A pending idle timer stays: it finds the lock held when it fires and does nothing.
    if (this.busy) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.busy = true;
    this.leaveIdle();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders--;
      const next = this.waiters.shift();
      if (next) next();
      else this.busy = false;
      if (this.holders > 0 || this.closing || this.dead !== null) return;
      if (this.client === null) this.recoverInBackground();
      else {
        this.quietSince = performance.now();
        this.scheduleIdle();
      }
    };
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Run one backend exchange with failover. The op gets a live connection; a connection
   * failure during an idempotent op reconnects and runs it again; during another op it is
   * UNAVAILABLE. Backend refusals become BackendError.
   */
  async run<T>(op: (c: ImapClient) => Promise<T>, idempotent: boolean): Promise<T> {
    const release = await this.acquire();
    try {
      return await this.runHeld(op, idempotent, this.options.commandDeadlineMs);
    } finally {
      release();
    }
  }

  /**
   * run() for a caller that already holds the lock (FETCH). `limitMs`: the most one exchange
   * may take in total (default `commandDeadlineMs`); an exchange whose pace the client sets
   * from some point on (a streamed body) lifts it with `unbound()` then.
   */
  async runHeld<T>(
    op: (c: ImapClient) => Promise<T>,
    idempotent: boolean,
    limitMs: number = this.options.commandDeadlineMs,
  ): Promise<T> {
    // Set at the first break: from then on, reconnecting and replaying share one deadline.
    let deadline: number | null = null;
    for (;;) {
      const c = await this.ensure(deadline ?? undefined);
      const left = deadline === null ? Number.POSITIVE_INFINITY : deadline - Date.now();
      // Out of time on a live connection: answer now rather than start and cut the replay.
      if (left <= 0) throw new BackendError("UNAVAILABLE", "The mail server did not answer in time; please try again.");
      const limit = Math.min(limitMs, left);
      try {
        this.setActivity(deadline === null ? "exchange" : "replay");
        return await this.bounded(c, op, limit, deadline === null ? "the command" : "the re-issued command");
      } catch (error) {
        if (!(error instanceof ImapConnectionError) || !c.closed) throw toBackendError(error);
        this.dropClient(c);
        if (!idempotent) {
          throw new BackendError(
            "UNAVAILABLE",
            "The mail server connection broke during this command; it may or may not have been carried out.",
          );
        }
        const { budgetMs, attemptTimeoutMs } = this.options.reconnect;
        deadline ??= Date.now() + budgetMs + attemptTimeoutMs;
        if (Date.now() >= deadline) {
          throw new BackendError("UNAVAILABLE", "The mail server did not answer in time; please try again.");
        }
      } finally {
        this.setActivity("none");
      }
    }
  }

  /**
   * Run `op` on `c`, destroying the connection if it has not finished within `limitMs`
   * (that fails whatever command it waits for with a TIMEOUT connection error, so the op
   * settles). Infinity: no bound.
   */
  private async bounded<T>(
    c: ImapClient,
    op: (c: ImapClient) => Promise<T>,
    limitMs: number,
    what: string,
  ): Promise<T> {
    if (!Number.isFinite(limitMs)) return op(c);
    const limit = Math.max(0, limitMs);
    const exchange = { c, deadline: performance.now() + limit, limitMs: limit, what };
    this.exchange = exchange;
    if (this.exchangeTimer === null || this.exchangeTimerDue > exchange.deadline) this.armExchangeTimer(limit);
    try {
      return await op(c);
    } finally {
      if (this.exchange === exchange) this.exchange = null;
    }
  }

  private armExchangeTimer(ms: number): void {
    if (this.exchangeTimer) clearTimeout(this.exchangeTimer);
    this.exchangeTimerDue = performance.now() + ms;
    this.exchangeTimer = setTimeout(this.onExchangeTimer, ms);
    this.exchangeTimer.unref();
  }

  /** Ends an exchange past its bound; otherwise waits for the running one's remainder. */
  private readonly onExchangeTimer = (): void => {
    this.exchangeTimer = null;
    const x = this.exchange;
    if (!x) return;
    const left = x.deadline - performance.now();
    if (left > 0) {
      this.armExchangeTimer(left);
      return;
    }
    this.exchange = null;
    const message = `${x.c.host.id} did not complete ${x.what} within ${Math.round(x.limitMs)} ms`;
    this.lastProblem = message;
    this.log.warn({ host: x.c.host.id, activity: this.activity }, message);
    x.c.destroy(new ImapConnectionError("TIMEOUT", message));
  };

  /**
   * Lift the total-time bound of the exchange running now: a streamed body has started, and
   * from here its pace is the client's (the connection's silence timeout, which does not run
   * while the proxy holds back because the client is slow, still applies).
   */
  unbound(): void {
    this.exchange = null;
  }

  private setActivity(what: string): void {
    this.activity = what;
    this.activitySince = Date.now();
  }

  /** A snapshot of what this session's backend side is doing (failure reports, logs). */
  describe(): LinkState {
    return {
      host: this.host.id,
      connected: this.client !== null && !this.client.closed,
      busy: this.busy,
      holders: this.holders,
      waiting: this.waiters.length,
      inIdle: this.idleHandle !== null,
      recovering: this.recovering,
      reconnects: this.reconnects,
      dead: this.dead,
      closing: this.closing,
      activity: this.activity,
      activityMs: Date.now() - this.activitySince,
      lastProblem: this.lastProblem,
    };
  }

  private dropClient(c: ImapClient): void {
    if (this.client === c) {
      this.client = null;
      this.idleHandle = null;
    }
  }

  /**
   * A live connection, reconnecting (within the budget, and before `deadline` when given:
   * a command whose connection already broke once) if there is none. Lock held.
   */
  async ensure(deadline?: number): Promise<ImapClient> {
    if (this.dead !== null) throw new BackendError("UNAVAILABLE", this.dead);
    if (this.closing) throw new BackendError("UNAVAILABLE", "The session is closing.");
    if (this.client && !this.client.closed) return this.client;
    return this.recover(deadline);
  }

  /**
   * A second, short-lived connection to the session's current host (after making sure the
   * session itself is connected): for checks that need another mailbox selected without
   * disturbing the session's own selection (the APPEND outcome check).
   */
  async withSideConnection<T>(
    fn: (c: ImapClient) => Promise<T>,
    limitMs: number = this.options.commandDeadlineMs,
  ): Promise<T> {
    await this.exclusive(() => this.ensure());
    // Bounded as a whole (connect, login, and whatever fn does): past `limitMs` the side
    // connection is destroyed, which fails the command fn waits for.
    const host = this.host;
    const message = `${host.id}: the side connection did not finish within ${limitMs} ms`;
    try {
      return await this.openBounded(host, limitMs, message, async (c, expired) => {
        try {
          return await fn(c);
        } finally {
          // Not awaited: the answer does not wait for the backend's goodbye.
          if (expired()) c.destroy();
          else void c.logout();
        }
      });
    } catch (error) {
      // Connection failures and the timeout are "not reachable now" for the client; a
      // backend's refusal stays as it is for the caller to map.
      if (error instanceof ImapConnectionError) {
        throw new BackendError("UNAVAILABLE", `The mail server did not answer in time (${error.message}).`);
      }
      throw error;
    }
  }

  /**
   * Open a connection to `host` and run `use` on it, the whole bounded by `limitMs`: past it
   * the connection is destroyed with `message` (which fails whatever `use` waits for), also
   * when the limit passes while connecting. `use` owns the connection it is given.
   */
  private async openBounded<T>(
    host: RoutedHost,
    limitMs: number,
    message: string,
    use: (c: ImapClient, expired: () => boolean) => Promise<T>,
  ): Promise<T> {
    let client: ImapClient | null = null;
    let expired = false;
    const timer = setTimeout(
      () => {
        expired = true;
        client?.destroy(new ImapConnectionError("TIMEOUT", message));
      },
      Math.max(1, limitMs),
    );
    try {
      const c = await openConnection(host, this.user, this.password, this.auth, this.options, {
        connectTimeoutMs: limitMs,
        onClient: (created) => {
          client = created;
          if (expired) created.destroy(new ImapConnectionError("TIMEOUT", message));
        },
      });
      return await use(c, () => expired);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Admin move: leave the current host at the next opportunity (now, when idle). */
  switchHost(): void {
    if (this.dead !== null || this.closing) return;
    this.forceSwitch = true;
    const c = this.client;
    if (this.holders === 0 && c) {
      this.dropClient(c);
      c.destroy(new ImapConnectionError("CLOSED", "moved by an administrator"));
      this.recoverInBackground();
    } else if (c) {
      // A command is running: switch once it is done.
      void this.exclusive(async () => {
        if (this.client === c) {
          this.dropClient(c);
          c.destroy(new ImapConnectionError("CLOSED", "moved by an administrator"));
        }
        await this.ensure();
      }).catch(() => {});
    }
  }

  private backoff(attempt: number): number {
    const base = this.options.reconnect.initialDelayMs;
    if (attempt === 0) return Math.random() * base;
    return Math.min(MAX_BACKOFF_MS, base * 2 ** attempt * (0.5 + Math.random()));
  }

  private async recover(commandDeadline?: number): Promise<ImapClient> {
    this.recovering = true;
    try {
      return await this.recoverOnce(commandDeadline);
    } finally {
      this.recovering = false;
    }
  }

  private async recoverOnce(commandDeadline?: number): Promise<ImapClient> {
    const { budgetMs, sameHostAttempts, attemptTimeoutMs } = this.options.reconnect;
    const budgetEnd = Date.now() + budgetMs;
    // A command that already waited through one recovery does not get a second full budget.
    const deadline = commandDeadline !== undefined && commandDeadline < budgetEnd ? commandDeadline : budgetEnd;
    const previous = this.host;
    const forced = this.forceSwitch;
    this.forceSwitch = false;
    let attempt = 0;
    let lastError = "no host to try";
    while (Date.now() < deadline && !this.closing) {
      let hosts: RoutedHost[];
      try {
        hosts = await this.options.route(this.user);
      } catch (error) {
        hosts = [];
        lastError = `route(${this.user}) failed: ${(error as Error).message}`;
      }
      const order: RoutedHost[] = [];
      if (!forced) {
        for (let i = 0; i < sameHostAttempts; i++) order.push(hosts.find((h) => h.id === previous.id) ?? previous);
      }
      for (const h of hosts) if (forced || h.id !== previous.id) order.push(h);
      if (order.length === 0) order.push(previous);
      for (const host of order) {
        const wait = Math.min(this.backoff(attempt++), Math.max(0, deadline - Date.now()));
        this.setActivity(`reconnect wait before attempt ${attempt} (${host.id})`);
        await new Promise((r) => setTimeout(r, wait));
        if (Date.now() >= deadline || this.closing) break;
        try {
          this.setActivity(`reconnect attempt ${attempt} on ${host.id}`);
          const c = await this.attempt(host, Math.min(attemptTimeoutMs, deadline - Date.now()));
          this.client = c;
          this.host = host;
          this.reconnects++;
          this.watch(c);
          this.log.info({ host: host.id, previous: previous.id, attempts: attempt }, "backend connection restored");
          return c;
        } catch (error) {
          if (error instanceof SessionEnded) {
            this.die(`Session cannot continue: ${error.message}.`);
            throw new BackendError("UNAVAILABLE", error.message);
          }
          lastError = `${host.id}: ${(error as Error).message}`;
          this.lastProblem = lastError;
          if (error instanceof LoginRefusedError && !error.temporary) this.log.warn({ host: host.id }, lastError);
        }
      }
    }
    if (deadline < budgetEnd && !this.closing) {
      // The command's own time is up, not the session's: it gets NO [UNAVAILABLE]; the
      // session keeps recovering in the background (release() schedules it) with a budget
      // of its own.
      throw new BackendError("UNAVAILABLE", `The mail server did not answer in time (${lastError}); please try again.`);
    }
    if (!this.closing) this.die(`No mail server reachable (${lastError}).`);
    throw new BackendError("UNAVAILABLE", "No mail server is reachable right now.");
  }

  /**
   * One reconnect attempt on one host, bounded as a whole by `limitMs`: connect, greeting,
   * login, ID, ENABLE and the re-select. Past the limit the connection is destroyed (which
   * fails the command it waits for), so a host that accepts connections but never gets
   * through cannot hold the session past its budget.
   */
  private async attempt(host: RoutedHost, limitMs: number): Promise<ImapClient> {
    const message = `${host.id} did not get ready within ${Math.round(limitMs)} ms (unresponsive during recovery)`;
    return this.openBounded(host, limitMs, message, async (c, expired) => {
      try {
        await this.restore(c);
        if (expired() || c.closed) throw new ImapConnectionError("TIMEOUT", message);
      } catch (error) {
        c.destroy();
        throw error;
      }
      return c;
    });
  }

  /** Bring a fresh connection to the session's state: the selected mailbox. */
  private async restore(c: ImapClient): Promise<void> {
    const sel = this.selection;
    if (!sel) return;
    const { changes, init } = await reselect(c, sel.wire, sel.readOnly, sel.tracker);
    const tracker = new MailboxTracker(init, sel.emit, () => this.onNewMessages(tracker));
    sel.tracker = tracker;
    c.onMailboxEvent = (data) => tracker.handle(data);
    for (const change of changes) sel.emit(change);
    // New messages (UIDs above the last delivered) are fetched by the tracker itself, now
    // that it listens: whatever the backend says during that fetch reaches it.
    tracker.expectNew();
  }

  /** Install the tracker of a newly selected mailbox on the current connection. */
  track(spec: Omit<SelectionSpec, "tracker">, tracker: MailboxTracker, c: ImapClient): void {
    this.selection = { ...spec, tracker };
    c.onMailboxEvent = (data) => tracker.handle(data);
  }

  untrack(): void {
    this.selection = null;
    if (this.client) this.client.onMailboxEvent = null;
  }

  newTracker(
    init: ConstructorParameters<typeof MailboxTracker>[0],
    emit: (change: MailboxChange) => void,
  ): MailboxTracker {
    const tracker: MailboxTracker = new MailboxTracker(init, emit, () => this.onNewMessages(tracker));
    return tracker;
  }

  /**
   * EXISTS grew: fetch the new UIDs (under the lock, after whatever runs now). In backend
   * IDLE at once (the client may be idling: news goes out as it comes). Between a busy
   * client's commands the fetch may wait up to `newMessagesDelayMs`, so that the EXISTS of
   * several other sessions' APPENDs cost one fetch, not one each: a command that reports news
   * before its OK (NOOP, APPEND, COPY/MOVE: `settle()`) fetches at once. With five sessions
   * per INBOX and a fifth of the commands APPENDs (the bench's mixed load), 200 ms took the
   * fetches from 0.49 to 0.23 per client command and the stateful mode from 74% to 82% of
   * direct Dovecot's ops/s in the same run (2026-11-29).
   */
  private onNewMessages(tracker: MailboxTracker): void {
    if (this.options.newMessagesDelayMs > 0 && this.idleHandle === null && !this.closing) {
      if (this.newFetchTimer === null) {
        this.newFetchTimer = setTimeout(this.onNewFetchTimer, this.options.newMessagesDelayMs);
        this.newFetchTimer.unref();
      }
      return;
    }
    this.fetchNewMessages(tracker);
  }

  /** The delayed fetch is due: for the tracker of now (a reconnect may have replaced it). */
  private readonly onNewFetchTimer = (): void => {
    this.newFetchTimer = null;
    const tracker = this.selection?.tracker;
    if (tracker?.newPending) this.fetchNewMessages(tracker);
  };

  private fetchNewMessages(tracker: MailboxTracker): void {
    void this.exclusive(async () => {
      if (this.selection?.tracker !== tracker || !tracker.newPending) return;
      // The FETCH responses reach the tracker through the mailbox listener (held as
      // `incoming` since they are above highestUid); takeNew() delivers them in order.
      await this.runHeld((c) => fetchNew(c, tracker.highestUid), true);
      // After a reconnect during the fetch the selection has a new tracker, which then
      // received the answers: it delivers them (takeNew is harmless when it holds none).
      this.selection?.tracker.takeNew();
    }).catch((error) => this.log.debug({ err: (error as Error).message }, "new-message fetch failed"));
  }

  /** Wait until the new-message fetch an EXISTS triggered has delivered (so EXISTS goes out before OK). */
  async settle(): Promise<void> {
    const tracker = this.selection?.tracker;
    if (!tracker?.newPending) return;
    if (this.newFetchTimer !== null) {
      clearTimeout(this.newFetchTimer);
      this.newFetchTimer = null;
      this.fetchNewMessages(tracker);
    }
    await this.exclusive(async () => {});
  }

  // --- IDLE between commands ----------------------------------------------------------------

  private cancelIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private leaveIdle(): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
    const handle = this.idleHandle;
    this.idleHandle = null;
    // DONE goes out now; the next command is written right behind it (no round trip).
    handle?.done().catch(() => {});
  }

  /**
   * IDLE (or a NOOP poll) once the lock has been let go for `idleAfterMs` (`pollMs`). The
   * timer is not cleared by the next command: when it fires it checks, and waits for the
   * rest of the quiet period if a command ran meanwhile (no timer per command).
   */
  private scheduleIdle(): void {
    if (!this.selection || !this.client || this.idleHandle || this.idleTimer) return;
    this.armIdleTimer(this.client.capabilities.has("IDLE") ? this.options.idleAfterMs : this.options.pollMs);
  }

  private armIdleTimer(ms: number): void {
    this.idleTimer = setTimeout(this.onIdleTimer, ms);
    this.idleTimer.unref();
  }

  private readonly onIdleTimer = (): void => {
    this.idleTimer = null;
    // In use (its release schedules again), idling already, or nothing to idle on.
    if (this.holders > 0 || this.idleHandle || !this.selection || !this.client) return;
    if (this.closing || this.dead !== null) return;
    // Asked again now: the connection may have been replaced by one to another host.
    const canIdle = this.client.capabilities.has("IDLE");
    const rest = (canIdle ? this.options.idleAfterMs : this.options.pollMs) - (performance.now() - this.quietSince);
    if (rest >= 1) {
      this.armIdleTimer(rest);
      return;
    }
    void this.enterIdle(canIdle).catch(() => {});
  };

  private async enterIdle(canIdle: boolean): Promise<void> {
    if (this.holders > 0 || !this.selection) return;
    await this.exclusive(async () => {
      const c = this.client;
      if (!c || c.closed || !this.selection) return;
      if (!canIdle) {
        await this.runHeld((cc) => cc.noop(), true);
        return;
      }
      // The backend's `+` must come promptly; a backend stuck before it (Dovecot syncs the
      // mailbox first, which waits on a lock of shared storage) would otherwise hold the lock,
      // and every client command behind it, without any timeout (IDLE has none).
      this.setActivity("entering IDLE");
      const handle = await this.bounded(c, (cc) => cc.idle(), this.options.commandDeadlineMs, "IDLE's start");
      this.setActivity("none");
      if (c.closed || this.client !== c) return;
      // Set before the lock is released: release() then does not schedule another IDLE.
      this.idleHandle = handle;
      handle.finished.catch(() => {});
      // RFC 2177: re-issue IDLE at least every 29 minutes.
      this.renewTimer = setTimeout(() => void this.exclusive(async () => {}).catch(() => {}), 25 * 60_000);
      this.renewTimer.unref();
    });
  }

  // --- end ----------------------------------------------------------------------------------

  private die(reason: string): void {
    if (this.dead !== null) return;
    this.dead = reason;
    this.log.warn({ reason }, "backend session ended");
    this.cancelIdleTimer();
    const c = this.client;
    this.client = null;
    c?.destroy();
    for (const listener of this.terminateListeners) listener(reason);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.cancelIdleTimer();
    if (this.renewTimer) clearTimeout(this.renewTimer);
    // The exchange timer is re-armed lazily and may be due up to commandDeadlineMs (30 s)
    // from now: left running, it would keep this session (~11 KB) reachable that long.
    if (this.exchangeTimer) clearTimeout(this.exchangeTimer);
    this.exchangeTimer = null;
    this.exchange = null;
    if (this.newFetchTimer) clearTimeout(this.newFetchTimer);
    this.newFetchTimer = null;
    this.leaveIdle();
    const c = this.client;
    this.client = null;
    if (c && !c.closed) await c.logout().catch(() => {});
  }
}
