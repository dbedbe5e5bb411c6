/**
 * The bytes of one FETCH body literal on their way from the backend to the client. The
 * backend connection pushes chunks as they arrive; the front end's writer pulls them. When
 * more than `highWater` bytes wait, `onPressure(true)` pauses the backend socket, and
 * `onPressure(false)` resumes it once the writer caught up: a slow client slows its own
 * backend connection instead of the message piling up in memory.
 *
 * A body may be fed by more than one backend connection (failover mid-literal: the rest
 * comes from a partial fetch on the new connection), so the stream knows how many bytes it
 * owes (`size`) and how many it got (`received`).
 */
export class BodyStream implements AsyncIterable<Buffer> {
  private chunks: Buffer[] = [];
  private queued = 0;
  received = 0;
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private pressured = false;
  onPressure: ((on: boolean) => void) | null = null;

  constructor(
    readonly size: number,
    private readonly highWater = 1024 * 1024,
  ) {}

  get complete(): boolean {
    return this.received >= this.size;
  }

  push(chunk: Buffer): void {
    if (this.ended || this.error) return;
    const room = this.size - this.received;
    const take = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (take.length === 0) return;
    this.chunks.push(take);
    this.queued += take.length;
    this.received += take.length;
    if (this.queued > this.highWater && !this.pressured) {
      this.pressured = true;
      this.onPressure?.(true);
    }
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  fail(error: Error): void {
    if (this.ended || this.error) return;
    this.error = error;
    this.chunks = [];
    this.queued = 0;
    // Nobody will read on: the backend connection must not stay paused.
    if (this.pressured) {
      this.pressured = false;
      this.onPressure?.(false);
    }
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      for (;;) {
        const chunk = this.chunks.shift();
        if (chunk) {
          this.queued -= chunk.length;
          if (this.pressured && this.queued <= this.highWater / 4) {
            this.pressured = false;
            this.onPressure?.(false);
          }
          yield chunk;
          continue;
        }
        if (this.error) throw this.error;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
    } finally {
      if (this.pressured) {
        this.pressured = false;
        this.onPressure?.(false);
      }
    }
  }
}
