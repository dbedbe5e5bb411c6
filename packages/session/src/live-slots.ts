/**
 * A growable array of 0/1 "alive" marks with a Fenwick (binary indexed) tree over them.
 *
 * It answers, in O(log n): how many slots before slot i are alive (rank), and which slot is
 * the k-th alive one (select). Killing a slot and appending one are O(log n) too. This is
 * what lets the sequence map expunge from the middle of a million messages without
 * shifting the array: a slot is only marked dead, and sequence numbers are ranks.
 *
 * Invariants: `tree` is the Fenwick tree of `alive[0..length)`; `liveCount` is the number
 * of ones.
 */
export class LiveSlots {
  /**
   * Null while no slot was ever killed: every slot is alive, slot i is the (i+1)-th alive
   * one, and nothing needs storing. Most selected mailboxes never see an expunge, and an
   * idle session should not pay 5 bytes per message for the possibility (10,000 IDLE
   * sessions). Built on the first kill and kept from then on.
   */
  private alive: Uint8Array | null = null;
  private tree: Int32Array | null = null; // 1-based Fenwick tree; tree[0] unused
  length = 0;
  liveCount = 0;

  /** `capacity` is a hint for the arrays should a slot ever be killed. */
  constructor(private capacity = 16) {}

  /** Build with `n` alive slots in O(1). */
  static allAlive(n: number): LiveSlots {
    const slots = new LiveSlots(Math.max(16, n));
    slots.length = n;
    slots.liveCount = n;
    return slots;
  }

  /** No slot is dead: slot i is then the (i+1)-th alive one, no tree walk needed. */
  get allAlive(): boolean {
    return this.liveCount === this.length;
  }

  isAlive(slot: number): boolean {
    if (slot < 0 || slot >= this.length) return false;
    return this.alive === null || this.alive[slot] === 1;
  }

  /** The arrays for `length` alive slots, in O(length): before the first kill. */
  private materialise(): { alive: Uint8Array; tree: Int32Array } {
    const n = this.length;
    const capacity = Math.max(16, this.capacity, n);
    const alive = new Uint8Array(capacity);
    alive.fill(1, 0, n);
    const tree = new Int32Array(capacity + 1);
    for (let i = 1; i <= n; i++) {
      tree[i]! += 1;
      const parent = i + (i & -i);
      if (parent <= n) tree[parent]! += tree[i]!;
    }
    this.alive = alive;
    this.tree = tree;
    return { alive, tree };
  }

  private grow(alive: Uint8Array, tree: Int32Array): void {
    // A Fenwick node's range depends only on its index, so the nodes up to `length` stay
    // valid in a larger array; nodes past it are computed by push().
    const a = new Uint8Array(alive.length * 2);
    a.set(alive);
    const t = new Int32Array(a.length + 1);
    t.set(tree);
    this.alive = a;
    this.tree = t;
  }

  /** Append an alive slot; returns its index. */
  push(): number {
    const slot = this.length;
    if (this.alive === null || this.tree === null) {
      this.length++;
      this.liveCount++;
      return slot;
    }
    if (this.length === this.alive.length) this.grow(this.alive, this.tree);
    const i = slot + 1;
    // tree[i] covers slots (i - lowbit(i), i]: the alive slots already in that range plus
    // this one, which is the whole range when nothing is dead.
    this.tree![i] = this.allAlive ? i & -i : this.prefix(i - 1) - this.prefix(i - (i & -i)) + 1;
    this.alive![slot] = 1;
    this.length++;
    this.liveCount++;
    return slot;
  }

  /** Mark a slot dead. Returns false if it already was (or does not exist). */
  kill(slot: number): boolean {
    if (!this.isAlive(slot)) return false;
    const { alive, tree } = this.alive && this.tree ? { alive: this.alive, tree: this.tree } : this.materialise();
    alive[slot] = 0;
    for (let i = slot + 1; i <= this.length; i += i & -i) tree[i]!--;
    this.liveCount--;
    return true;
  }

  /** Alive slots among the first `count` slots. */
  prefix(count: number): number {
    if (this.tree === null) return Math.max(0, Math.min(count, this.length));
    let sum = 0;
    for (let i = count; i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  /** Index of the k-th alive slot (k from 1), or -1 if there are fewer than k. */
  select(k: number): number {
    if (k < 1 || k > this.liveCount) return -1;
    if (this.tree === null) return k - 1;
    let pos = 0;
    let step = 1;
    while (step * 2 <= this.length) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.length && this.tree[next]! < k) {
        pos = next;
        k -= this.tree[next]!;
      }
    }
    return pos; // 0-based slot of the k-th one
  }

  /** First alive slot at or after `slot`, or -1. */
  nextAlive(slot: number): number {
    if (this.alive === null) return slot < this.length ? Math.max(0, slot) : -1;
    for (let s = Math.max(0, slot); s < this.length; s++) if (this.alive[s] === 1) return s;
    return -1;
  }
}
