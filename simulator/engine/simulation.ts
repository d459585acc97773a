import { VirtualClock } from '../../core/clock.js';
import { EventQueue } from './event-queue.js';

/** What a model implements to receive its events. */
export interface EventHandler {
  handle(kind: number, a: number, b: number, now: number): void;
}

/**
 * The discrete-event core. Time is virtual: it jumps from one event to the next. Two kinds of
 * events share one timeline:
 * - fast events: (time, kind, a, b) tuples in a typed-array heap, for the millions of per-request
 *   events (arrivals, completions), dispatched to an EventHandler;
 * - slow events: closures scheduled on `clock`, the project's VirtualClock (the same Clock
 *   interface the emulator uses), for the rare ones: alarm evaluations, warm-ups, scheduled
 *   actions, ramp steps. Code written against Clock (the autoscaler) runs here unchanged.
 * At equal times slow events run first, so a minute's metrics are final before an alarm reads them.
 */
export class Simulation {
  readonly clock: VirtualClock;
  readonly queue = new EventQueue(4096);
  /** Fast events processed, and slow-event instants processed. */
  fastEvents = 0;
  slowEvents = 0;

  constructor(readonly startMs: number) {
    this.clock = new VirtualClock(startMs);
  }

  now(): number {
    return this.clock.now();
  }

  /** Schedules a fast event at absolute time t (ms). */
  at(t: number, kind: number, a: number, b: number): void {
    this.queue.push(t, kind, a, b);
  }

  /** Runs every event due at or before endMs, then leaves the clock at endMs. */
  run(endMs: number, handler: EventHandler): void {
    const q = this.queue;
    const clock = this.clock;
    let fast = 0;
    let slow = 0;
    for (;;) {
      const tf = q.size > 0 ? q.peekTime() : Infinity;
      const ts = clock.nextDueAt();
      if (ts <= tf) {
        if (ts > endMs || ts === Infinity) break;
        clock.advanceTo(ts);
        slow++;
        continue;
      }
      if (tf > endMs) break;
      q.pop();
      const t = q.lastTime;
      clock.advanceTo(t);
      handler.handle(q.lastKind, q.lastA, q.lastB, t);
      fast++;
    }
    clock.advanceTo(endMs);
    this.fastEvents += fast;
    this.slowEvents += slow;
  }
}
