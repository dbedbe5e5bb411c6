import { describe, expect, it } from "vitest";
import { inWindow, makeGate, parseWindow } from "../src/index.js";

describe("run window", () => {
  it("parses HH:MM-HH:MM and refuses anything else with a clear message", () => {
    expect(parseWindow("01:00-06:30")).toEqual({ from: 60, to: 390 });
    expect(parseWindow("22:00-04:00")).toEqual({ from: 1320, to: 240 });
    for (const bad of ["1-6", "25:00-01:00", "01:60-02:00", "", "01:00"])
      expect(() => parseWindow(bad)).toThrow(/expected HH:MM-HH:MM/);
  });

  it("knows whether a time is inside, also across midnight", () => {
    const at = (h: number, m: number) => new Date(2026, 0, 1, h, m);
    const night = parseWindow("22:00-04:00");
    expect(inWindow(night, at(23, 0))).toBe(true);
    expect(inWindow(night, at(3, 59))).toBe(true);
    expect(inWindow(night, at(4, 0))).toBe(false);
    expect(inWindow(night, at(12, 0))).toBe(false);
    const day = parseWindow("09:00-17:00");
    expect(inWindow(day, at(9, 0))).toBe(true);
    expect(inWindow(day, at(17, 0))).toBe(false);
  });
});

describe("load gate", () => {
  it("holds work while the load is above the ceiling, lets it go below", async () => {
    expect(makeGate({})).toBeUndefined();
    const open = makeGate({ maxLoad: 1e9 })!;
    await open(); // load is never that high: passes at once

    const stop = new AbortController();
    const busy = makeGate({ maxLoad: -1, pollMs: 10, signal: stop.signal })!; // always "busy"
    let passed = false;
    const waiting = busy().then(() => {
      passed = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(passed).toBe(false);
    stop.abort(); // shutdown releases it
    await waiting;
    expect(passed).toBe(true);
  });
});
