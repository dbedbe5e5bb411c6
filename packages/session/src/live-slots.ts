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
  private alive: Uint8Array;
  private tree: Int32Array; // 1-based Fenwick tree; tree[0] unused
  length = 0;
  liveCount = 0;

  constructor(capacity = 16) {
    this.alive = new Uint8Array(Math.max(1, capacity));
    this.tree = new Int32Array(Math.max(1, capacity) + 1);
  }

  /** Build with `n` alive slots in O(n). */
  static allAlive(n: number): LiveSlots {
    const slots = new LiveSlots(Math.max(16, n));
    slots.alive.fill(1, 0, n);
    const tree = slots.tree;
    for (let i = 1; i <= n; i++) {
      tree[i]! += 1;
      const parent = i + (i & -i);
      if (parent <= n) tree[parent]! += tree[i]!;
    }
    slots.length = n;
    slots.liveCount = n;
    return slots;
  }

  /** No slot is dead: slot i is then the (i+1)-th alive one, no tree walk needed. */
  get allAlive(): boolean {
    return this.liveCount === this.length;
  }

  isAlive(slot: number): boolean {
    return slot >= 0 && slot < this.length && this.alive[slot] === 1;
  }

  private grow(): void {
    // A Fenwick node's range depends only on its index, so the nodes up to `length` stay
    // valid in a larger array; nodes past it are computed by push().
    const alive = new Uint8Array(this.alive.length * 2);
    alive.set(this.alive);
    const tree = new Int32Array(alive.length + 1);
    tree.set(this.tree);
    this.alive = alive;
    this.tree = tree;
  }

  /** Append an alive slot; returns its index. */
  push(): number {
    if (this.length === this.alive.length) this.grow();
    const slot = this.length;
    const i = slot + 1;
    // tree[i] covers slots (i - lowbit(i), i]: the alive slots already in that range plus
    // this one, which is the whole range when nothing is dead.
    this.tree[i] = this.allAlive ? i & -i : this.prefix(i - 1) - this.prefix(i - (i & -i)) + 1;
    this.alive[slot] = 1;
    this.length++;
    this.liveCount++;
    return slot;
  }

  /** Mark a slot dead. Returns false if it already was (or does not exist). */
  kill(slot: number): boolean {
    if (!this.isAlive(slot)) return false;
    this.alive[slot] = 0;
    for (let i = slot + 1; i <= this.length; i += i & -i) this.tree[i]!--;
    this.liveCount--;
    return true;
  }

  /** Alive slots among the first `count` slots. */
  prefix(count: number): number {
    let sum = 0;
    for (let i = count; i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  /** Index of the k-th alive slot (k from 1), or -1 if there are fewer than k. */
  select(k: number): number {
    if (k < 1 || k > this.liveCount) return -1;
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
    for (let s = Math.max(0, slot); s < this.length; s++) if (this.alive[s] === 1) return s;
    return -1;
  }
}
