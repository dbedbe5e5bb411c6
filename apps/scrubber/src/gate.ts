/**
 * When the scrubber may work: outside busy hours. Two simple signals the operator can give:
 * a load ceiling (1-minute load average, paused above it) and a daily window ("01:00-06:00",
 * local time; may wrap midnight) outside which it waits.
 */
import { loadavg } from "node:os";
import { sleep } from "./rate-limiter.js";

export interface GateOptions {
  maxLoad?: number;
  window?: { from: number; to: number };
  /** How often to look again while paused (ms). */
  pollMs?: number;
  signal?: AbortSignal;
}

/** Parse "HH:MM-HH:MM" into minutes of the day; throws a clear error on bad input. */
export function parseWindow(text: string): { from: number; to: number } {
  const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(text.trim());
  const mins = m ? [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])] : [];
  if (!m || Number(m[2]) > 59 || Number(m[4]) > 59 || mins.some((x) => x > 24 * 60))
    throw new Error(`bad window "${text}": expected HH:MM-HH:MM, e.g. 01:00-06:00`);
  return { from: mins[0]!, to: mins[1]! };
}

export function inWindow(w: { from: number; to: number }, date = new Date()): boolean {
  const now = date.getHours() * 60 + date.getMinutes();
  return w.from <= w.to ? now >= w.from && now < w.to : now >= w.from || now < w.to;
}

export function makeGate(o: GateOptions): (() => Promise<void>) | undefined {
  if (o.maxLoad === undefined && !o.window) return undefined;
  return async () => {
    for (;;) {
      if (o.signal?.aborted) return;
      const busy = (o.maxLoad !== undefined && loadavg()[0]! > o.maxLoad) || (o.window && !inWindow(o.window));
      if (!busy) return;
      await sleep(o.pollMs ?? 5000);
    }
  };
}
