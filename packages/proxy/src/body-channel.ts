/**
 * A one-reader channel for the bytes of one APPEND message: the connection pushes chunks as
 * the parser delivers them and waits until the backend has taken each, so the socket is
 * paused rather than the message piling up in memory.
 */
export class BodyChannel implements AsyncIterable<Buffer> {
  private chunks: Buffer[] = [];
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private drained: (() => void) | null = null;

  async push(chunk: Buffer): Promise<void> {
    this.chunks.push(chunk);
    this.wake?.();
    if (this.chunks.length > 4) await new Promise<void>((resolve) => (this.drained = resolve));
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  fail(error: Error): void {
    this.error = error;
    this.wake?.();
    this.drained?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.error) throw this.error;
      const chunk = this.chunks.shift();
      if (chunk) {
        if (this.chunks.length <= 1) {
          const d = this.drained;
          this.drained = null;
          d?.();
        }
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}
