import { MinHeap } from './heap.js';

/**
 * The one clock abstraction. Everything that waits or stamps time goes through a Clock, so the
 * emulator can run on real time, on scaled time (a realistic timing profile played faster), and
 * the simulator on virtual time.
 */
export interface Clock {
  /** Milliseconds since the epoch, in this clock's time. */
  now(): number;
  /** Runs fn after `ms` of this clock's time. Returns a cancel function. */
  schedule(ms: number, fn: () => void): () => void;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** The longest delay setTimeout honours; longer ones would fire immediately. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  schedule(ms: number, fn: () => void): () => void {
    // setTimeout fires at once for delays past 2^31-1 ms (about 24.8 days): wait in steps.
    const due = Date.now() + Math.max(0, ms);
    let t: NodeJS.Timeout;
    const arm = (wait: number) => {
      t = setTimeout(() => (Date.now() >= due ? fn() : arm(due - Date.now())), Math.min(MAX_TIMER_MS, Math.max(0, wait)));
      t.unref?.();
    };
    arm(ms);
    return () => clearTimeout(t);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }
}

/**
 * Time runs `factor` times faster than the wall clock from `origin` on: a 6-minute instance
 * start-up at factor 60 takes 6 real seconds, and timestamps still read 6 minutes apart.
 */
export class ScaledClock implements Clock {
  private readonly wallOrigin = Date.now();
  constructor(
    readonly factor: number,
    private readonly origin = Date.now(),
  ) {
    if (!(factor > 0)) throw new Error('clock scale factor must be > 0');
  }
  now(): number {
    return this.origin + (Date.now() - this.wallOrigin) * this.factor;
  }
  schedule(ms: number, fn: () => void): () => void {
    // Node timers may fire a fraction of a millisecond early, which scaling turns into whole
    // emulator seconds: wait again for whatever is left.
    const due = this.now() + Math.max(0, ms);
    let t: NodeJS.Timeout;
    const arm = (wait: number) => {
      t = setTimeout(() => (this.now() >= due ? fn() : arm(due - this.now())), Math.min(MAX_TIMER_MS, Math.max(0, wait / this.factor)));
      t.unref?.();
    };
    arm(ms);
    return () => clearTimeout(t);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }
}

/**
 * Virtual time that moves only when advanced: for the simulator and deterministic tests.
 * Timers live in the project's binary heap (core/heap.ts) ordered by (due time, scheduling
 * order), so equal due times fire first-scheduled first and a simulation with millions of
 * timers stays O(log n) per timer. The heap holds a slot number; a slot's callback, whether it
 * is still live and its generation (so that a stale cancel cannot touch a reused slot) sit in
 * flat arrays, which keeps nextDueAt(), asked before every simulator event, a few array reads.
 */
export class VirtualClock implements Clock {
  private t: number;
  private readonly heap = new MinHeap(64);
  private readonly callbacks: ((() => void) | undefined)[] = [];
  private live = new Uint8Array(64);
  private generation = new Uint32Array(64);
  private readonly freeSlots: number[] = [];
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  schedule(ms: number, fn: () => void): () => void {
    let slot: number;
    if (this.freeSlots.length) slot = this.freeSlots.pop()!;
    else {
      slot = this.callbacks.length;
      this.callbacks.push(undefined);
      if (slot >= this.live.length) this.growSlots();
    }
    this.callbacks[slot] = fn;
    this.live[slot] = 1;
    const gen = ++this.generation[slot];
    this.heap.push(this.t + Math.max(0, ms), slot);
    return () => {
      // Lazy deletion: a cancelled timer stays in the heap and is skipped when it surfaces.
      if (this.generation[slot] === gen) this.live[slot] = 0;
    };
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }
  /** Moves time forward to `now() + ms`, firing everything due on the way, in order. */
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }
  /**
   * Moves time forward to the absolute time `end` (never backwards), firing everything due at or
   * before it, in order; each timer sees now() equal to its due time.
   */
  advanceTo(end: number): void {
    const h = this.heap;
    while (h.size && h.peekKey() <= end) {
      const slot = h.pop();
      const due = h.poppedKey;
      const wasLive = this.live[slot] === 1;
      const fn = this.callbacks[slot]!;
      this.release(slot);
      if (!wasLive) continue;
      if (due > this.t) this.t = due;
      fn();
    }
    if (end > this.t) this.t = end;
  }
  /** Due time of the earliest pending timer, or Infinity when none is pending. */
  nextDueAt(): number {
    const h = this.heap;
    while (h.size && this.live[h.peekValue()] === 0) this.release(h.pop());
    return h.peekKey();
  }
  /** Number of pending (not fired, not cancelled) timers. */
  pending(): number {
    let n = 0;
    for (let i = 0; i < this.callbacks.length; i++) if (this.callbacks[i] !== undefined && this.live[i] === 1) n++;
    return n;
  }

  private release(slot: number): void {
    this.live[slot] = 0;
    this.callbacks[slot] = undefined;
    this.freeSlots.push(slot);
  }

  private growSlots(): void {
    const live = new Uint8Array(this.live.length * 2);
    live.set(this.live);
    this.live = live;
    const generation = new Uint32Array(this.generation.length * 2);
    generation.set(this.generation);
    this.generation = generation;
  }
}
