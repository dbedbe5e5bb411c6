/**
 * Interns flag sets: most messages of a mailbox share a handful of flag combinations, so a
 * message stores a 32-bit id instead of its own list. Flags compare case-insensitively
 * (RFC 9051 §2.3.2: flag names are not case-sensitive); the form stored is the first one
 * seen. Id 0 is the empty set.
 */
export class FlagSetTable {
  private readonly byKey = new Map<string, number>([["", 0]]);
  private readonly sets: (readonly string[])[] = [Object.freeze([])];

  /** The id of this set of flags (order and case do not matter). */
  intern(flags: readonly string[]): number {
    const unique = new Map<string, string>();
    for (const flag of flags) {
      const folded = flag.toLowerCase();
      if (!unique.has(folded)) unique.set(folded, flag);
    }
    const folded = [...unique.keys()].sort();
    const key = folded.join(" ");
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.byKey.set(key, id);
      this.sets.push(Object.freeze(folded.map((f) => unique.get(f)!)));
    }
    return id;
  }

  /** The flags of an id returned by intern(). */
  flags(id: number): readonly string[] {
    const set = this.sets[id];
    if (!set) throw new RangeError(`unknown flag set id ${id}`);
    return set;
  }

  get size(): number {
    return this.sets.length;
  }
}
