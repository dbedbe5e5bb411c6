/**
 * Token buckets for bytes and files per second. `take` waits until the budget allows the
 * next read; a limit of 0 means unlimited. The bucket starts empty and holds at most a quarter
 * second of budget, so the long-run rate stays within a few percent of the limit and bursts are short.
 */
export interface RateLimits {
  /** Bytes per second (0: unlimited). */
  bytesPerSecond: number;
  /** Files per second (0: unlimited). */
  filesPerSecond: number;
}

class Bucket {
  // Starts empty: no burst at the start of a pass.
  private tokens = 0;
  private last = performance.now();
  constructor(private readonly rate: number) {}
  /** Milliseconds to wait before `n` units may pass (and spend them). */
  spend(n: number): number {
    if (this.rate <= 0) return 0;
    const now = performance.now();
    this.tokens = Math.min(this.rate / 4, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000;
  }
}

export class RateLimiter {
  private bytes: Bucket;
  private readonly files: Bucket;
  constructor(readonly limits: RateLimits) {
    this.limits = { ...limits };
    this.bytes = new Bucket(limits.bytesPerSecond);
    this.files = new Bucket(limits.filesPerSecond);
  }
  /** Change the byte rate (daemon spreading a pass over its interval). */
  setBytesPerSecond(rate: number): void {
    this.limits.bytesPerSecond = rate;
    this.bytes = new Bucket(rate);
  }

  async takeBytes(n: number): Promise<void> {
    const wait = this.bytes.spend(n);
    if (wait > 0) await sleep(wait);
  }
  async takeFile(): Promise<void> {
    const wait = this.files.spend(1);
    if (wait > 0) await sleep(wait);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
