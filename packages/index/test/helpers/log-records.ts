import { logCodec } from "../../src/index.js";

/** Offsets and ends of the whole, valid records of a log, in file order. */
export function logRecords(data: Uint8Array): { offset: number; end: number }[] {
  const out: { offset: number; end: number }[] = [];
  for (const r of logCodec.walk(data, 0)) {
    if (r.kind !== "record") break;
    out.push({ offset: r.offset, end: r.end });
  }
  return out;
}
