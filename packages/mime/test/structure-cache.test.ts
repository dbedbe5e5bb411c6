import { describe, expect, it } from "vitest";
import {
  fetchBodystructure,
  fetchEnvelope,
  fromStructureCache,
  parseMessage,
  StructureCacheError,
  sectionBytes,
  toStructureCache,
} from "../src/index.js";
import { loadCorpus } from "./helpers/corpus.js";

describe("structure cache", () => {
  it("round-trips through JSON and answers like a fresh parse", () => {
    for (const m of loadCorpus()) {
      const msg = parseMessage(m.bytes);
      const restored = fromStructureCache(m.bytes, JSON.parse(JSON.stringify(toStructureCache(msg))));
      expect(fetchBodystructure(restored)).toEqual(fetchBodystructure(msg));
      expect(fetchEnvelope(restored)).toEqual(fetchEnvelope(msg));
      expect(sectionBytes(restored, "1.MIME")).toEqual(sectionBytes(msg, "1.MIME"));
    }
  });
  it("refuses a record for another message or a damaged one", () => {
    const [a, b] = loadCorpus();
    const rec = JSON.parse(JSON.stringify(toStructureCache(parseMessage(a!.bytes))));
    expect(() => fromStructureCache(b!.bytes, rec)).toThrow(StructureCacheError);
    expect(() => fromStructureCache(a!.bytes, { ...rec, version: 99 })).toThrow(StructureCacheError);
    expect(() => fromStructureCache(a!.bytes, null)).toThrow(StructureCacheError);
    rec.root.bodyEnd = rec.length + 10;
    expect(() => fromStructureCache(a!.bytes, rec)).toThrow(StructureCacheError);
  });
});
