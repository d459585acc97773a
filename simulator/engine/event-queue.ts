/**
 * The event queue of the discrete-event core: a binary min-heap of event ids over typed arrays,
 * ordered by (time, insertion sequence) so that events due at the same instant run in the order
 * they were scheduled. An event is a kind (small integer) and two integer operands; no objects or
 * closures are allocated per event, which is what lets the engine process millions per second.
 */
export class EventQueue {
  private time: Float64Array;
  private seq: Float64Array;
  private kind: Int32Array;
  private opA: Int32Array;
  private opB: Int32Array;
  private heap: Int32Array;
  private free: Int32Array;
  private freeTop = 0;
  private cap: number;
  private nextSeq = 0;
  size = 0;

  /** The event last popped. */
  lastTime = 0;
  lastKind = 0;
  lastA = 0;
  lastB = 0;

  constructor(initialCapacity = 1024) {
    this.cap = Math.max(16, initialCapacity);
    this.time = new Float64Array(this.cap);
    this.seq = new Float64Array(this.cap);
    this.kind = new Int32Array(this.cap);
    this.opA = new Int32Array(this.cap);
    this.opB = new Int32Array(this.cap);
    this.heap = new Int32Array(this.cap);
    this.free = new Int32Array(this.cap);
    for (let i = 0; i < this.cap; i++) this.free[i] = this.cap - 1 - i;
    this.freeTop = this.cap;
  }

  /** Due time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.size > 0 ? this.time[this.heap[0]] : Infinity;
  }

  push(t: number, kind: number, a: number, b: number): void {
    if (this.freeTop === 0) this.grow();
    const id = this.free[--this.freeTop];
    const time = this.time;
    const seq = this.seq;
    const heap = this.heap;
    const s = this.nextSeq++;
    time[id] = t;
    seq[id] = s;
    this.kind[id] = kind;
    this.opA[id] = a;
    this.opB[id] = b;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pid = heap[p];
      const pt = time[pid];
      if (pt < t || (pt === t && seq[pid] < s)) break;
      heap[i] = pid;
      i = p;
    }
    heap[i] = id;
  }

  /** Removes the earliest event into lastTime/lastKind/lastA/lastB. The queue must not be empty. */
  pop(): void {
    const heap = this.heap;
    const time = this.time;
    const seq = this.seq;
    const top = heap[0];
    this.lastTime = time[top];
    this.lastKind = this.kind[top];
    this.lastA = this.opA[top];
    this.lastB = this.opB[top];
    this.free[this.freeTop++] = top;
    const n = --this.size;
    if (n === 0) return;
    const last = heap[n];
    const lt = time[last];
    const ls = seq[last];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let cid = heap[c];
      let ct = time[cid];
      const r = c + 1;
      if (r < n) {
        const rid = heap[r];
        const rt = time[rid];
        if (rt < ct || (rt === ct && seq[rid] < seq[cid])) {
          c = r;
          cid = rid;
          ct = rt;
        }
      }
      if (lt < ct || (lt === ct && ls < seq[cid])) break;
      heap[i] = cid;
      i = c;
    }
    heap[i] = last;
  }

  private grow(): void {
    const old = this.cap;
    const cap = old * 2;
    const g64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const g32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.time = g64(this.time);
    this.seq = g64(this.seq);
    this.kind = g32(this.kind);
    this.opA = g32(this.opA);
    this.opB = g32(this.opB);
    this.heap = g32(this.heap);
    this.free = new Int32Array(cap);
    for (let i = 0; i < cap - old; i++) this.free[i] = cap - 1 - i;
    this.freeTop = cap - old;
    this.cap = cap;
  }
}
