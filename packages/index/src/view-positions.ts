/**
 * Where the open read views of one index stand in its change journal: how many views are at
 * each change number, and the lowest such number (the journal may be trimmed up to it).
 *
 * Invariant that makes the lowest position cheap: a view only ever moves forward, and a new
 * view opens at the journal's end, which is at or past every open view. So the lowest
 * position never decreases while views are open, and finding it again after the last view
 * there left walks forward over each change number at most once in the index's life:
 * amortised O(1) per change, instead of a walk over every open view per commit or release.
 */
export class ViewPositions {
  /** Change number → number of open views there (entries with zero views are deleted). */
  private readonly counts = new Map<number, number>();
  /** No open view stands below this position. */
  private lowest = 0;
  private open = 0;

  /** Open views counted. */
  get size(): number {
    return this.open;
  }

  add(at: number): void {
    if (this.open === 0 || at < this.lowest) this.lowest = at;
    this.open++;
    this.counts.set(at, (this.counts.get(at) ?? 0) + 1);
  }

  remove(at: number): void {
    const n = this.counts.get(at);
    if (n === undefined) return;
    if (n === 1) this.counts.delete(at);
    else this.counts.set(at, n - 1);
    this.open--;
  }

  move(from: number, to: number): void {
    if (from === to || !this.counts.has(from)) return;
    this.remove(from);
    this.add(to);
  }

  /** The lowest position of an open view, or `end` (the journal's end) when none is open. */
  min(end: number): number {
    if (this.open === 0) return end;
    while (this.lowest < end && !this.counts.has(this.lowest)) this.lowest++;
    return this.lowest;
  }
}
