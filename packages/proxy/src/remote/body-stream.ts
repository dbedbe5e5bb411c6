import type { Writable } from "node:stream";

/** Ends a loan on a chunk's memory (large-reads.ts slabs); a write's callback. */
export type ChunkRelease = (error?: unknown) => void;

/**
 * The bytes of one FETCH body literal on their way from the backend to the client. The
 * backend connection pushes chunks as they arrive; the front end either pulls them (async
 * iteration) or, the fast path, hands over its socket (`writeTo`), and from then on every
 * chunk is written to the client socket from the backend connection's data callback: no
 * queue, no promise, no copy per chunk.
 *
 * Back-pressure: when more than `highWater` bytes wait (queued here, or in the client
 * socket's write buffer once it writes directly), `onPressure(true)` pauses the backend
 * socket, and `onPressure(false)` resumes it once the writer caught up (a quarter of the
 * queue left, or the socket drained): a slow client slows its own backend connection
 * instead of the message piling up in memory.
 *
 * Loans: a chunk may come with a `ChunkRelease` (it is a view of a reusable read buffer).
 * The stream calls it exactly once, when it no longer refers to the chunk: right after the
 * client write that sent it when the socket took the bytes at once (nothing left queued;
 * the buffer can then take the next read while cache-warm), else as that write's callback,
 * or when the chunk is dropped (stream failed, bytes beyond `size`). A chunk handed out
 * through async iteration is the reader's to keep, so its loan is never released (its
 * buffer is then simply not reused).
 *
 * A body may be fed by more than one backend connection (failover mid-literal: the rest
 * comes from a partial fetch on the new connection), so the stream knows how many bytes it
 * owes (`size`) and how many it got (`received`).
 */
export class BodyStream implements AsyncIterable<Buffer> {
  private chunks: Buffer[] = [];
  /** Loans of `chunks`, index for index (null: the chunk is ours). */
  private loans: (ChunkRelease | null)[] = [];
  private queued = 0;
  received = 0;
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private pressured = false;
  onPressure: ((on: boolean) => void) | null = null;
  /** The client socket, once `writeTo` took over (direct writes). */
  private sink: Writable | null = null;
  /** Bytes written to `sink` (or dropped when it is gone). */
  private written = 0;
  private settle: ((error: Error | null) => void) | null = null;
  private waitingDrain = false;

  constructor(
    readonly size: number,
    private readonly highWater = 1024 * 1024,
  ) {}

  get complete(): boolean {
    return this.received >= this.size;
  }

  push(chunk: Buffer, release: ChunkRelease | null = null): void {
    const room = this.size - this.received;
    if (this.ended || this.error || room <= 0 || chunk.length === 0) {
      release?.();
      return;
    }
    const take = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.received += take.length;
    if (this.sink !== null) {
      this.send(take, release);
      if (this.received >= this.size) this.finish(null);
      return;
    }
    this.chunks.push(take);
    this.loans.push(release);
    this.queued += take.length;
    if (this.queued > this.highWater && !this.pressured) {
      this.pressured = true;
      this.onPressure?.(true);
    }
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    if (this.sink !== null) this.finish(this.written < this.size ? this.shortError() : null);
    this.wake?.();
  }

  fail(error: Error): void {
    if (this.ended || this.error) return;
    this.error = error;
    this.dropQueued();
    // Nobody will read on: the backend connection must not stay paused.
    this.unpressure();
    if (this.sink !== null) this.finish(error);
    this.wake?.();
  }

  /**
   * Write the body to `socket` (the client's): what is queued at once (behind whatever the
   * caller wrote before, in the same corked write), then every chunk as it arrives, with
   * back-pressure through the socket's buffer. Resolves with the bytes written once all
   * `size` bytes were handed to the socket; rejects with the stream's error (the literal
   * cannot be completed: the caller must close the connection). A destroyed socket makes
   * the rest be read and dropped, so the backend command still completes.
   * Use either this or async iteration, once.
   */
  writeTo(socket: Writable): Promise<number> {
    if (this.error) return Promise.reject(this.error);
    this.sink = socket;
    const chunks = this.chunks;
    const loans = this.loans;
    this.chunks = [];
    this.loans = [];
    this.queued = 0;
    for (let i = 0; i < chunks.length; i++) this.send(chunks[i]!, loans[i]!);
    // Pressure from the queue now depends on the socket's buffer alone.
    if (this.pressured && !this.waitingDrain) {
      if (socket.writableLength > this.highWater) this.awaitDrain(socket);
      else this.unpressure();
    }
    if (this.written >= this.size) return Promise.resolve(this.written);
    if (this.ended) return Promise.reject(this.shortError());
    return new Promise<number>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve(this.written));
    });
  }

  private send(chunk: Buffer, release: ChunkRelease | null): void {
    const sink = this.sink!;
    this.written += chunk.length;
    if (sink.destroyed || sink.writableEnded) {
      release?.();
      return;
    }
    if (release !== null) {
      // Nothing queued after write() returned: no write request refers to the chunk, so the
      // loan ends now (see "Loans" above); otherwise it ends with the write.
      let released = false;
      sink.write(chunk, (error) => {
        if (released) return;
        released = true;
        release(error);
      });
      if (!released && sink.writableLength === 0) {
        released = true;
        release();
      }
    } else sink.write(chunk);
    if (!this.pressured && sink.writableLength > this.highWater) {
      this.pressured = true;
      this.onPressure?.(true);
      this.awaitDrain(sink);
    }
  }

  /** Pressure ends when the socket's buffer is empty again (or the socket is gone). */
  private awaitDrain(sink: Writable): void {
    this.waitingDrain = true;
    sink.once("drain", this.onDrain);
    sink.once("close", this.onDrain);
  }

  private readonly onDrain = (): void => {
    if (this.waitingDrain) {
      this.waitingDrain = false;
      this.sink?.off("drain", this.onDrain);
      this.sink?.off("close", this.onDrain);
    }
    this.unpressure();
  };

  private finish(error: Error | null): void {
    const settle = this.settle;
    this.settle = null;
    if (error === null) this.unpressureLater();
    settle?.(error);
  }

  /** All bytes are handed over: the backend may read the command's completion at once. */
  private unpressureLater(): void {
    if (!this.pressured) return;
    this.onDrain();
  }

  private unpressure(): void {
    if (!this.pressured) return;
    this.pressured = false;
    this.onPressure?.(false);
  }

  private dropQueued(): void {
    for (const release of this.loans) release?.();
    this.chunks = [];
    this.loans = [];
    this.queued = 0;
  }

  private shortError(): Error {
    return new Error(`the body ended after ${this.received} of its ${this.size} bytes`);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      for (;;) {
        const chunk = this.chunks.shift();
        if (chunk) {
          // The reader may keep the chunk: its loan is never released (see the class comment).
          this.loans.shift();
          this.queued -= chunk.length;
          if (this.pressured && this.queued <= this.highWater / 4) this.unpressure();
          yield chunk;
          continue;
        }
        if (this.error) throw this.error;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
    } finally {
      this.unpressure();
    }
  }
}
