/** Structural invariants every parse must satisfy (checked on the corpus and on mutations). */
import { expect } from "vitest";
import type { MimePart, ParsedMessage } from "../../src/index.js";

function countLf(buf: Buffer, start: number, end: number): { lines: number; bare: number } {
  let lines = 0;
  let bare = 0;
  for (let i = start; i < end; i++) {
    if (buf[i] === 0x0a) {
      lines++;
      if (i === 0 || buf[i - 1] !== 0x0d) bare++;
    }
  }
  return { lines, bare };
}

export function checkInvariants(msg: ParsedMessage, maxDepth = 100): void {
  const buf = msg.bytes;
  const walk = (p: MimePart, depth: number, parentEnd: number) => {
    expect(p.depth).toBe(depth);
    expect(depth).toBeLessThan(maxDepth);
    expect(p.headerStart).toBeLessThanOrEqual(p.headerEnd);
    expect(p.headerEnd).toBeLessThanOrEqual(p.bodyStart);
    expect(p.bodyStart).toBeLessThanOrEqual(p.bodyEnd);
    expect(p.bodyEnd).toBeLessThanOrEqual(buf.length);
    // a sub-part may pass its parent's end by one line break at most
    expect(p.bodyEnd).toBeLessThanOrEqual(parentEnd + 2);
    const body = countLf(buf, p.bodyStart, p.bodyEnd);
    const bodyPhysical = p.bodyEnd - p.bodyStart;
    if (p.kind !== "multipart") {
      expect(p.bodySize.physical).toBe(bodyPhysical);
      expect(p.bodySize.lines).toBe(body.lines);
      expect(p.bodySize.virtual).toBe(bodyPhysical + body.bare);
    }
    const header = countLf(buf, p.headerStart, p.headerEnd);
    expect(p.headerSize.physical).toBe(p.headerEnd - p.headerStart);
    expect(p.headerSize.lines).toBe(header.lines);
    let prev = p.bodyStart;
    for (const c of p.children) {
      expect(c.headerStart).toBeGreaterThanOrEqual(prev);
      prev = c.bodyEnd;
      walk(c, depth + 1, p.bodyEnd);
    }
    if (p.kind === "message") expect(p.children.length).toBe(1);
    if (p.kind === "single") expect(p.children.length).toBe(0);
  };
  walk(msg.root, 0, buf.length);
  expect(msg.size.physical).toBe(buf.length);
}
