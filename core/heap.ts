/**
 * The project's one binary min-heap. Entries are (key, value) pairs of numbers held in typed
 * arrays, ordered by key and, among equal keys, by insertion order (FIFO), so that events due
 * at the same instant run in the order they were scheduled. Nothing is allocated per entry,
 * which is what lets the simulator's event queue move millions of entries a second; callers
 * that need objects keep them in their own table and store its index as the value.
 *
 * Users: VirtualClock's timers (core/clock.ts), the simulator's event queue, and the free-at
 * times of a queueing stage's workers (the Kiefer–Wolfowitz recurrence).
 */
import { grownTo } from './typed-array.js';

/** The heap's order: by key, and among equal keys by insertion order (FIFO). */
const precedes = (keyA: number, orderA: number, keyB: number, orderB: number) => keyA < keyB || (keyA === keyB && orderA < orderB);

export class MinHeap {
  private keys: Float64Array;
  private order: Float64Array;
  // Values are indices into the caller's own table (see above): 32-bit integers, which halve
  // what a sift step moves and let callers index typed arrays with them directly.
  private values: Int32Array;
  private nextOrder = 0;
  /** Number of entries. */
  size = 0;
  /** Key of the entry last popped. */
  poppedKey = 0;

  constructor(initialCapacity = 16) {
    const cap = Math.max(1, initialCapacity);
    this.keys = new Float64Array(cap);
    this.order = new Float64Array(cap);
    this.values = new Int32Array(cap);
  }

  /** Smallest key, or Infinity when empty. */
  peekKey(): number {
    return this.size > 0 ? this.keys[0] : Infinity;
  }

  /** Key of the i-th entry in heap order (0 <= i < size), for scans that need every key. */
  keyAt(i: number): number {
    return this.keys[i];
  }

  /** Value of the entry with the smallest key. The heap must not be empty. */
  peekValue(): number {
    return this.values[0];
  }

  /** `value` must be a 32-bit integer (an index into the caller's table). */
  push(key: number, value: number): void {
    if (this.size === this.keys.length) this.grow();
    const keys = this.keys;
    const order = this.order;
    const values = this.values;
    const o = this.nextOrder++;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keys[p];
      if (precedes(pk, order[p], key, o)) break;
      keys[i] = pk;
      order[i] = order[p];
      values[i] = values[p];
      i = p;
    }
    keys[i] = key;
    order[i] = o;
    values[i] = value;
  }

  /** Removes the entry with the smallest key; returns its value, its key goes to poppedKey. */
  pop(): number {
    const top = this.values[0];
    this.poppedKey = this.keys[0];
    const n = --this.size;
    if (n > 0) this.siftDown(this.keys[n], this.order[n], this.values[n], n);
    return top;
  }

  /** Replaces the entry with the smallest key by (key, value): one sift instead of pop + push. */
  replaceTop(key: number, value: number): void {
    this.siftDown(key, this.nextOrder++, value, this.size);
  }

  /** Places (key, ord, value) at the root of the first n entries and sifts it down. */
  private siftDown(key: number, ord: number, value: number, n: number): void {
    const keys = this.keys;
    const order = this.order;
    const values = this.values;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ck = keys[c];
      const r = c + 1;
      if (r < n) {
        const rk = keys[r];
        if (precedes(rk, order[r], ck, order[c])) {
          c = r;
          ck = rk;
        }
      }
      if (precedes(key, ord, ck, order[c])) break;
      keys[i] = ck;
      order[i] = order[c];
      values[i] = values[c];
      i = c;
    }
    keys[i] = key;
    order[i] = ord;
    values[i] = value;
  }

  private grow(): void {
    const cap = this.keys.length * 2;
    this.keys = grownTo(this.keys, cap);
    this.order = grownTo(this.order, cap);
    this.values = grownTo(this.values, cap);
  }
}
