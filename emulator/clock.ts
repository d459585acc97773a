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

/** Virtual time that moves only when advanced: for the simulator and deterministic tests. */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly queue: { at: number; seq: number; fn: () => void }[] = [];
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  schedule(ms: number, fn: () => void): () => void {
    const item = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.queue.push(item);
    this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return () => {
      const i = this.queue.indexOf(item);
      if (i >= 0) this.queue.splice(i, 1);
    };
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }
  /** Moves time forward to `now() + ms`, firing everything due on the way, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    while (this.queue.length && this.queue[0].at <= end) {
      const next = this.queue.shift()!;
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}
