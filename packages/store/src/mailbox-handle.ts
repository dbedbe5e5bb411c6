import type { MailboxIndex } from "@holdfast/index";
import { UidLane } from "./uid-lane.js";

/** What a handle tells its sessions. */
export interface ChangeSink {
  /** New durable changes exist (sync to get them). */
  signal(): void;
  /** The mailbox went away (deleted) or the store closed. */
  closed(reason: string): void;
}

/**
 * One open mailbox inside a process: its index (the only writer: the index's lock allows
 * one per folder), the UID lane for appends, and the sessions that have it selected.
 * Every change the store commits here is followed by `notify()`, which is how a change by
 * one session reaches every other session on the mailbox (their read views then `sync()`
 * the index's change journal, so each sees every change once and in commit order).
 */
export class MailboxHandle {
  readonly lane = new UidLane();
  private readonly sinks = new Set<ChangeSink>();

  constructor(
    readonly id: number,
    public name: string,
    readonly index: MailboxIndex,
  ) {}

  attach(sink: ChangeSink): void {
    this.sinks.add(sink);
  }

  detach(sink: ChangeSink): void {
    this.sinks.delete(sink);
  }

  get sessionCount(): number {
    return this.sinks.size;
  }

  notify(): void {
    for (const s of this.sinks) s.signal();
  }

  async close(reason: string): Promise<void> {
    for (const s of [...this.sinks]) s.closed(reason);
    this.sinks.clear();
    await this.index.close();
  }
}
