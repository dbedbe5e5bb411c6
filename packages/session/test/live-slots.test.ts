import { describe, expect, it } from "vitest";
import { LiveSlots } from "../src/live-slots.js";

/** Compare every query of `slots` with a plain array of alive marks. */
function agree(slots: LiveSlots, model: boolean[]): void {
  const alive = model.filter(Boolean).length;
  expect([slots.length, slots.liveCount, slots.allAlive]).toEqual([model.length, alive, alive === model.length]);
  let rank = 0;
  for (let s = 0; s <= model.length; s++) {
    expect(slots.prefix(s)).toBe(rank);
    if (s < model.length && model[s]) {
      rank++;
      expect(slots.select(rank)).toBe(s);
    }
    expect(slots.isAlive(s)).toBe(model[s] === true);
    const next = model.findIndex((a, i) => i >= s && a);
    expect(slots.nextAlive(s)).toBe(next);
  }
  expect(slots.select(alive + 1)).toBe(-1);
  expect(slots.select(0)).toBe(-1);
}

describe("LiveSlots", () => {
  it("answers the same before and after its tree exists (first kill), under random pushes and kills", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (const start of [0, 1, 5, 16, 17, 40]) {
      const slots = LiveSlots.allAlive(start);
      const model: boolean[] = Array.from({ length: start }, () => true);
      agree(slots, model);
      for (let step = 0; step < 120; step++) {
        if (random() < 0.6 || model.length === 0) {
          expect(slots.push()).toBe(model.length);
          model.push(true);
        } else {
          const s = Math.floor(random() * (model.length + 2)) - 1;
          expect(slots.kill(s)).toBe(model[s] === true);
          if (model[s]) model[s] = false;
        }
        agree(slots, model);
      }
    }
  });
});
