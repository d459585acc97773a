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

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  schedule(ms: number, fn: () => void): () => void {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
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
      t = setTimeout(() => (this.now() >= due ? fn() : arm(due - this.now())), Math.max(0, wait / this.factor));
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
 * Timers live in a binary heap ordered by (due time, scheduling order), so equal due times fire
 * first-scheduled first and a simulation with millions of timers stays O(log n) per timer.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly heap: VirtualTimer[] = [];
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  schedule(ms: number, fn: () => void): () => void {
    const item: VirtualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.push(item);
    return () => {
      // Lazy deletion: a cancelled timer stays in the heap and is skipped when it surfaces.
      item.live = false;
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
    while (h.length && h[0].at <= end) {
      const next = this.pop();
      if (!next.live) continue;
      next.live = false;
      if (next.at > this.t) this.t = next.at;
      next.fn();
    }
    if (end > this.t) this.t = end;
  }
  /** Due time of the earliest pending timer, or Infinity when none is pending. */
  nextDueAt(): number {
    const h = this.heap;
    while (h.length && !h[0].live) this.pop();
    return h.length ? h[0].at : Infinity;
  }
  /** Number of pending (not fired, not cancelled) timers. */
  pending(): number {
    let n = 0;
    for (const x of this.heap) if (x.live) n++;
    return n;
  }

  private static before(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  private push(item: VirtualTimer): void {
    const h = this.heap;
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!VirtualClock.before(item, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = item;
  }
  private pop(): VirtualTimer {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && VirtualClock.before(h[r], h[l]) ? r : l;
        if (!VirtualClock.before(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}
