/**
 * Failed-authentication policy: every failure is answered only after a delay (so guessing
 * is slow even on one connection), and after too many failures within a window from one
 * address or for one user name, further attempts are refused outright until the window
 * passes. Memory is bounded: at most `maxTracked` keys, oldest evicted first.
 */
export interface AuthThrottleOptions {
  /** Delay before answering a failed attempt. Default 1000 ms. */
  failureDelayMs?: number;
  /** Failures allowed per key within the window. Default 10. */
  maxFailures?: number;
  /** Window length. Default 15 minutes. */
  windowMs?: number;
  maxTracked?: number;
}

export class AuthThrottle {
  readonly failureDelayMs: number;
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly failures = new Map<string, number[]>();

  constructor(options: AuthThrottleOptions = {}) {
    this.failureDelayMs = options.failureDelayMs ?? 1000;
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 15 * 60 * 1000;
    this.maxTracked = options.maxTracked ?? 100_000;
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Whether an attempt from `address` for `user` may be checked at all. */
  allowed(address: string, user: string, now = Date.now()): boolean {
    return (
      this.recent(`ip:${address}`, now).length < this.maxFailures &&
      this.recent(`user:${user.toLowerCase()}`, now).length < this.maxFailures
    );
  }

  recordFailure(address: string, user: string, now = Date.now()): void {
    for (const key of [`ip:${address}`, `user:${user.toLowerCase()}`]) {
      const list = this.recent(key, now);
      list.push(now);
      this.failures.delete(key);
      this.failures.set(key, list);
    }
    while (this.failures.size > this.maxTracked) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  recordSuccess(address: string, user: string): void {
    this.failures.delete(`user:${user.toLowerCase()}`);
    void address; // a success for one user says nothing about other guesses from that address
  }
}
