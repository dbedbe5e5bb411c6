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
  /**
   * Appends whose index entry is committed (or being committed) while their blob may not be
   * durable yet, by UID: the promise resolves when the append's outcome is final
   * (acknowledged, or withdrawn again). Sessions do not move past a durable index change
   * that shows one of these UIDs (see `unsettledShown`), so no session sees a message that
   * a crash could still take away.
   */
  private readonly unsettled = new Map<number, Promise<void>>();

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

  /** An append's index entry for `uid` is being committed before its blob is durable. */
  beginUnsettled(uid: number, settled: Promise<void>): void {
    this.unsettled.set(uid, settled);
  }

  endUnsettled(uid: number): void {
    this.unsettled.delete(uid);
  }

  /**
   * The settle promises of unsettled appends that the durable changes after `cursor` (a
   * read view's position) would show, or of those below `uidNext` when a view was just
   * made. Empty when a view may move on.
   */
  unsettledShown(position: { cursor: number } | { uidNext: number }): Promise<void>[] {
    if (this.unsettled.size === 0) return [];
    const out: Promise<void>[] = [];
    if ("uidNext" in position) {
      for (const [uid, settled] of this.unsettled) if (uid < position.uidNext) out.push(settled);
      return out;
    }
    const since = this.index.changesSince(position.cursor);
    if (!since) return [];
    for (const c of since.durable) {
      if (c.kind !== "append") continue;
      const settled = this.unsettled.get(c.uid);
      if (settled) out.push(settled);
    }
    return out;
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
