/** Line counting and bare-LF accounting over byte ranges (each range is scanned natively). */
import type { PartSize } from "./part.js";

export function measure(buf: Uint8Array, start: number, end: number): PartSize {
  let lines = 0;
  let bare = 0;
  let i = start;
  for (;;) {
    i = buf.indexOf(0x0a, i);
    if (i < 0 || i >= end) break;
    lines++;
    if (i === 0 || buf[i - 1] !== 0x0d) bare++;
    i++;
  }
  const physical = end - start;
  return { physical, virtual: physical + bare, lines };
}

export function addSizes(a: PartSize, b: PartSize): PartSize {
  return { physical: a.physical + b.physical, virtual: a.virtual + b.virtual, lines: a.lines + b.lines };
}

export const ZERO_SIZE: PartSize = { physical: 0, virtual: 0, lines: 0 };
