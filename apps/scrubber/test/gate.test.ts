import { describe, expect, it } from "vitest";
import { inWindow, parseWindow } from "../src/index.js";

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
