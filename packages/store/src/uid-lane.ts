import type { MailboxIndex } from "@holdfast/index";

/**
 * Predicts the UIDs that commits into one mailbox will get, so a blob can record its UID
 * in its header before the index assigns it (rebuild then restores the same UIDs).
 *
 * The index assigns UIDs in the order commit() is called (synchronously, in that call).
 * A ticket reserves the next `count` UIDs and a turn: its holder calls commit() only once
 * its turn has come (every earlier ticket released), then releases. So UIDs are assigned in
 * reservation order and match the prediction, unless an earlier ticket gave up without
 * committing or something committed outside the lane; then the hint is off, which rebuild
 * tolerates (a rebuilt mailbox gets a new UIDVALIDITY anyway).
 *
 * Only the short stretch from "blob durable" to "commit called" waits for its turn; the
 * message itself is streamed to disk before a ticket is taken, so a slow client does not
 * hold up other appends.
 */
export class UidLane {
  private predicted = 0;
  private tail: Promise<void> = Promise.resolve();

  reserve(index: MailboxIndex, count: number): LaneTicket {
    const first = Math.max(this.predicted, index.state.uidNext);
    this.predicted = first + count;
    const turn = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    return new LaneTicket(first, turn, release);
  }
}

export class LaneTicket {
  private released = false;

  constructor(
    /** First UID this ticket expects. */
    readonly first: number,
    /** Resolves when every earlier ticket is released (never rejects). */
    readonly turn: Promise<void>,
    private readonly releaseFn: () => void,
  ) {}

  /** Let the next ticket go. Call after commit() was called, or after giving up (after `turn`). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.releaseFn();
  }

  /** Give up: wait for the turn (order must hold), then release. */
  async abandon(): Promise<void> {
    await this.turn;
    this.release();
  }
}
