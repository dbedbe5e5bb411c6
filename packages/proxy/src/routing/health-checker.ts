import { type Logger, silentLogger } from "../logger.js";
import { greetingProbe, type HealthProbe } from "./health-probe.js";
import type { BackendHost } from "./host.js";

/*
 * Active health checks with up/down hysteresis.
 *
 * Each host is probed on its own timer chain (the next probe is scheduled only after the
 * previous one finished, so probes of one host never overlap). A host starts "up" and is
 * marked down after `fall` consecutive failed probes; a down host comes back after `rise`
 * consecutive successes. One failure (a dropped SYN, a slow greeting) therefore never
 * takes a host out, and a flapping host does not bounce users back and forth.
 *
 * Invariants: a probe never runs longer than `timeoutMs` (it is aborted); nothing thrown
 * by a probe escapes (it counts as a failure); after stop() resolves no probe is running
 * and no timer is left.
 */

export interface HealthOptions {
  /** Time between the end of one probe and the start of the next (ms). Default 5 s. */
  intervalMs?: number;
  /** A probe taking longer fails (ms). Default 3 s. */
  timeoutMs?: number;
  /** Consecutive failures that mark a host down. Default 3. */
  fall?: number;
  /** Consecutive successes that mark a down host up again. Default 2. */
  rise?: number;
  /** The check (default: connect + greeting). */
  probe?: HealthProbe;
  logger?: Logger;
}

/** A host went down or came back. */
export interface HealthEvent {
  hostId: string;
  up: boolean;
  /** Why the last probe failed (down events). */
  reason?: string;
}

export interface HostHealth {
  id: string;
  up: boolean;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Probes run and failed in total. */
  checks: number;
  failures: number;
  lastError?: string;
  /** Epoch ms of the last finished probe. */
  lastCheck?: number;
}

interface HostState extends HostHealth {
  host: BackendHost;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  abort?: AbortController;
}

export class HealthChecker {
  private readonly hosts = new Map<string, HostState>();
  private readonly listeners = new Set<(event: HealthEvent) => void>();
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly fall: number;
  private readonly rise: number;
  private readonly probe: HealthProbe;
  private readonly log: Logger;
  private started = false;
  private stopped = false;

  constructor(hosts: readonly BackendHost[], options: HealthOptions = {}) {
    this.intervalMs = positive("intervalMs", options.intervalMs ?? 5_000);
    this.timeoutMs = positive("timeoutMs", options.timeoutMs ?? 3_000);
    this.fall = positive("fall", options.fall ?? 3);
    this.rise = positive("rise", options.rise ?? 2);
    this.probe = options.probe ?? greetingProbe;
    this.log = options.logger ?? silentLogger;
    for (const host of hosts) {
      this.hosts.set(host.id, {
        host,
        id: host.id,
        up: true,
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
        checks: 0,
        failures: 0,
      });
    }
  }

  /** Start the probe loops (the first probe of every host runs at once). Idempotent. */
  start(): this {
    if (this.started || this.stopped) return this;
    this.started = true;
    for (const state of this.hosts.values()) this.schedule(state, 0);
    return this;
  }

  /** Whether a host is usable. Hosts this checker does not know are assumed up. */
  isUp(hostId: string): boolean {
    return this.hosts.get(hostId)?.up ?? true;
  }

  /** The state of every host (admin, metrics). */
  status(): HostHealth[] {
    return [...this.hosts.values()].map(({ host: _h, timer: _t, running: _r, abort: _a, ...health }) => ({
      ...health,
    }));
  }

  /** Called on every up/down transition. Returns an unsubscribe function. */
  onChange(listener: (event: HealthEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Probe every host once now (outside the timers; waits for probes already running). */
  async checkNow(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((state) => this.runProbe(state)));
  }

  /** Stop the loops, abort probes in flight and wait for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    const running: Promise<void>[] = [];
    for (const state of this.hosts.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = undefined;
      state.abort?.abort();
      if (state.running) running.push(state.running);
    }
    await Promise.all(running);
  }

  private schedule(state: HostState, delayMs: number): void {
    if (this.stopped) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.runProbe(state).then(() => this.schedule(state, this.intervalMs));
    }, delayMs);
    state.timer.unref();
  }

  private runProbe(state: HostState): Promise<void> {
    if (state.running) return state.running;
    if (this.stopped) return Promise.resolve();
    const abort = new AbortController();
    state.abort = abort;
    const timeout = setTimeout(() => abort.abort(), this.timeoutMs);
    const run = (async () => {
      let error: Error | undefined;
      try {
        await this.probe(state.host, abort.signal);
        if (abort.signal.aborted) error = new Error(`timed out after ${this.timeoutMs} ms`);
      } catch (e) {
        error =
          abort.signal.aborted && !this.stopped ? new Error(`timed out after ${this.timeoutMs} ms`) : (e as Error);
      } finally {
        clearTimeout(timeout);
      }
      // A probe cut short by stop() says nothing about the host.
      if (this.stopped) return;
      this.record(state, error);
    })().finally(() => {
      state.running = undefined;
      state.abort = undefined;
    });
    state.running = run;
    return run;
  }

  private record(state: HostState, error: Error | undefined): void {
    state.checks++;
    state.lastCheck = Date.now();
    if (error) {
      state.failures++;
      state.consecutiveFailures++;
      state.consecutiveSuccesses = 0;
      state.lastError = error.message;
      this.log.debug({ host: state.id, err: error.message }, "health check failed");
      if (state.up && state.consecutiveFailures >= this.fall) this.transition(state, false, error.message);
    } else {
      state.consecutiveSuccesses++;
      state.consecutiveFailures = 0;
      if (!state.up && state.consecutiveSuccesses >= this.rise) this.transition(state, true);
    }
  }

  private transition(state: HostState, up: boolean, reason?: string): void {
    state.up = up;
    if (up) this.log.info({ host: state.id }, "backend host is up");
    else this.log.warn({ host: state.id, reason }, "backend host is down");
    const event: HealthEvent = reason === undefined ? { hostId: state.id, up } : { hostId: state.id, up, reason };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: (error as Error).message }, "health listener failed");
      }
    }
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`health ${name} must be > 0`);
  return value;
}
