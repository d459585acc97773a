import { MinHeap } from '../../core/heap.js';
import { grownTo } from '../../core/typed-array.js';

/**
 * The event queue of the discrete-event core: the project's binary heap (core/heap.ts) of event
 * ids ordered by (time, insertion order), so that events due at the same instant run in the
 * order they were scheduled. An event is a kind (small integer) and two integer operands held in
 * typed arrays indexed by its id; no objects or closures are allocated per event, which is what
 * lets the engine process millions per second.
 */
export class EventQueue {
  private readonly heap: MinHeap;
  private kind: Int32Array;
  private opA: Int32Array;
  private opB: Int32Array;
  private free: Int32Array;
  private freeTop = 0;
  private cap: number;

  /** The event last popped. */
  lastTime = 0;
  lastKind = 0;
  lastA = 0;
  lastB = 0;

  constructor(initialCapacity = 1024) {
    this.cap = Math.max(16, initialCapacity);
    this.heap = new MinHeap(this.cap);
    this.kind = new Int32Array(this.cap);
    this.opA = new Int32Array(this.cap);
    this.opB = new Int32Array(this.cap);
    this.free = new Int32Array(this.cap);
    for (let i = 0; i < this.cap; i++) this.free[i] = this.cap - 1 - i;
    this.freeTop = this.cap;
  }

  get size(): number {
    return this.heap.size;
  }

  /** Due time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.heap.peekKey();
  }

  push(t: number, kind: number, a: number, b: number): void {
    if (this.freeTop === 0) this.grow();
    const id = this.free[--this.freeTop];
    this.kind[id] = kind;
    this.opA[id] = a;
    this.opB[id] = b;
    this.heap.push(t, id);
  }

  /** Removes the earliest event into lastTime/lastKind/lastA/lastB. The queue must not be empty. */
  pop(): void {
    const id = this.heap.pop();
    this.lastTime = this.heap.poppedKey;
    this.lastKind = this.kind[id];
    this.lastA = this.opA[id];
    this.lastB = this.opB[id];
    this.free[this.freeTop++] = id;
  }

  private grow(): void {
    const old = this.cap;
    const cap = old * 2;
    this.kind = grownTo(this.kind, cap);
    this.opA = grownTo(this.opA, cap);
    this.opB = grownTo(this.opB, cap);
    this.free = new Int32Array(cap);
    for (let i = 0; i < cap - old; i++) this.free[i] = cap - 1 - i;
    this.freeTop = cap - old;
    this.cap = cap;
  }
}
