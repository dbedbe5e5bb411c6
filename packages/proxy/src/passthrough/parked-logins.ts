import type { ImapClient } from "../remote/index.js";

/**
 * Backend connections logged in by the authenticator, waiting for the backend.open() of the
 * same session (keyed by session id). One that is not claimed in time (the client went away
 * between the two) is closed, so nothing leaks.
 */
export class ParkedLogins {
  private readonly parked = new Map<string, { client: ImapClient; timer: NodeJS.Timeout }>();

  constructor(private readonly parkMs: number) {}

  park(sessionId: string, client: ImapClient): void {
    this.take(sessionId)?.destroy(); // a second login on one session replaces the first
    const timer = setTimeout(() => {
      this.parked.delete(sessionId);
      client.destroy();
    }, this.parkMs);
    timer.unref();
    this.parked.set(sessionId, { client, timer });
  }

  take(sessionId: string): ImapClient | undefined {
    const entry = this.parked.get(sessionId);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.parked.delete(sessionId);
    return entry.client;
  }

  get size(): number {
    return this.parked.size;
  }
}
