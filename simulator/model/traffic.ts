import { Rng, STREAM } from '../../core/random.js';
import type { Simulation } from '../engine/simulation.js';
import type { Phase, Scenario } from '../scenario.js';

// Fast event kinds of the traffic (the request path's follow from K_TRAFFIC_LAST + 1).
export const K_OPEN = 0; // an open-loop arrival (a = phase)
export const K_USER = 1; // a closed-loop user sends (a = user, b = user generation)
export const K_TRACE = 2; // a trace arrival (a = phase, b = index into its timestamps)
export const K_TRAFFIC_LAST = K_TRACE;

/**
 * The load generator's schedule: closed-loop users (ramp-up linear or in steps, hold, think
 * time; Taurus/JMeter semantics), open-loop arrivals (Poisson or evenly spaced, constant rate or a
 * rate curve), trace replay; phases in sequence. It decides when a request is sent and by whom;
 * `send(now, user, phase)` (user -1 for open loops) takes it from there, and `responded` tells a
 * closed-loop user its answer is back.
 */
export class Traffic {
  readonly maxUsers: number;
  activeUsers = 0;
  phaseIndex = -1;
  private openSegment = 0;
  private readonly userActive: Uint8Array;
  private readonly userInFlight: Uint8Array;
  private readonly userGeneration: Int32Array;
  private readonly rngArrivals: Rng;
  private readonly sampleThink: (() => number)[];
  private readonly thinkIsZero: boolean[];
  private readonly origin: number;

  constructor(
    private readonly scenario: Scenario,
    private readonly sim: Simulation,
    private readonly send: (now: number, user: number, phase: number) => void,
  ) {
    this.origin = scenario.startMs;
    this.rngArrivals = new Rng(scenario.seed, STREAM.arrivals);
    const thinkRng = new Rng(scenario.seed, STREAM.think);
    this.sampleThink = scenario.phases.map((p) => (p.kind === 'closed' ? p.think.sampler(thinkRng) : () => 0));
    this.thinkIsZero = scenario.phases.map((p) => p.kind !== 'closed' || (p.think.kind === 'constant' && p.think.mean === 0));
    this.maxUsers = Math.max(0, ...scenario.phases.map((p) => (p.kind === 'closed' ? p.users : 0)));
    this.userActive = new Uint8Array(this.maxUsers);
    this.userInFlight = new Uint8Array(this.maxUsers);
    this.userGeneration = new Int32Array(this.maxUsers);
  }

  /** Schedules the phases. */
  start(): void {
    const end = this.origin + this.scenario.durationMs;
    for (let i = 0; i < this.scenario.phases.length; i++) {
      const p = this.scenario.phases[i];
      if (this.origin + p.startMs >= end) break;
      this.sim.clock.schedule(p.startMs, () => this.beginPhase(i));
    }
  }

  /** Handles a traffic event; false when `kind` is not one. */
  handle(kind: number, a: number, b: number, now: number): boolean {
    switch (kind) {
      case K_USER:
        if (this.userGeneration[a] === b && this.userActive[a] === 1 && this.userInFlight[a] === 0) this.userSends(a, now);
        return true;
      case K_OPEN:
        if (a === this.phaseIndex) {
          this.send(now, -1, a);
          this.scheduleOpen(a, now);
        }
        return true;
      case K_TRACE: {
        if (a !== this.phaseIndex) return true;
        this.send(now, -1, a);
        const p = this.scenario.phases[a] as Extract<Phase, { kind: 'trace' }>;
        const next = b + 1;
        if (next < p.times.length) {
          const t = this.origin + p.startMs + p.times[next];
          if (t < this.origin + p.startMs + p.durationMs) this.sim.at(t, K_TRACE, a, next);
        }
        return true;
      }
    }
    return false;
  }

  private userSends(user: number, now: number): void {
    this.userInFlight[user] = 1;
    this.send(now, user, this.phaseIndex);
  }

  /** A closed-loop user's answer is back: after its think time it sends again. */
  responded(user: number, now: number): void {
    this.userInFlight[user] = 0;
    if (this.userActive[user] !== 1) return;
    const ph = this.phaseIndex;
    if (this.thinkIsZero[ph]) this.userSends(user, now);
    else this.sim.at(now + this.sampleThink[ph](), K_USER, user, this.userGeneration[user]);
  }

  private beginPhase(i: number): void {
    const now = this.sim.clock.now();
    const prev = this.scenario.phases[this.phaseIndex];
    this.phaseIndex = i;
    const p = this.scenario.phases[i];
    if (p.kind !== 'closed' && prev?.kind === 'closed') this.setUsers(0, now);
    if (p.kind === 'closed') {
      const from = this.activeUsers;
      const to = p.users;
      const delta = to - from;
      if (delta === 0 || p.rampUpMs === 0) {
        this.setUsers(to, now);
      } else if (p.steps > 0) {
        // Staircase (Taurus "steps"): step j of s starts at j x rampUp / s with the level after it.
        for (let j = 0; j < p.steps; j++) {
          const level = Math.round(from + (delta * (j + 1)) / p.steps);
          this.atPhaseTime((j * p.rampUpMs) / p.steps, () => this.setUsers(level, this.sim.clock.now()));
        }
      } else {
        // Linear (JMeter): user k of n starts at k x rampUp / n.
        const n = Math.abs(delta);
        for (let k = 0; k < n; k++) {
          const level = from + Math.sign(delta) * (k + 1);
          this.atPhaseTime((k * p.rampUpMs) / n, () => this.setUsers(level, this.sim.clock.now()));
        }
      }
    } else if (p.kind === 'open') {
      this.openSegment = 0;
      this.scheduleOpen(i, now);
    } else if (p.times.length > 0) {
      this.sim.at(this.origin + p.startMs + p.times[0], K_TRACE, i, 0);
    }
  }

  /** Runs fn `delay` ms into the phase: at once when 0, so gauges sampled at that instant see it. */
  private atPhaseTime(delay: number, fn: () => void): void {
    if (delay === 0) fn();
    else this.sim.clock.schedule(delay, fn);
  }

  private setUsers(n: number, now: number): void {
    if (this.scenario.phases[this.phaseIndex]?.kind !== 'closed' && n > 0) return;
    while (this.activeUsers < n) {
      const u = this.activeUsers++;
      this.userActive[u] = 1;
      if (this.userInFlight[u] === 0) this.sim.at(now, K_USER, u, this.userGeneration[u]);
    }
    while (this.activeUsers > n) {
      const u = --this.activeUsers;
      this.userActive[u] = 0;
      this.userGeneration[u]++; // cancels a pending think-time wake-up
    }
  }

  /** Schedules the next open-loop arrival of phase i after `now`, if it falls inside the phase. */
  private scheduleOpen(i: number, now: number): void {
    const p = this.scenario.phases[i] as Extract<Phase, { kind: 'open' }>;
    const p0 = this.origin + p.startMs;
    const pEnd = p0 + p.durationMs;
    const pts = p.points;
    const rng = this.rngArrivals;
    let t = now;
    for (;;) {
      if (t >= pEnd) return;
      let k = this.openSegment;
      while (k + 1 < pts.length && p0 + pts[k + 1][0] <= t) k++;
      this.openSegment = k;
      const last = k + 1 >= pts.length;
      const segEnd = last ? pEnd : Math.min(pEnd, p0 + pts[k + 1][0]);
      const r0 = pts[k][1];
      const r1 = !last && p.interpolation === 'linear' ? pts[k + 1][1] : r0;
      const t0 = p0 + pts[k][0];
      const span = last ? 1 : pts[k + 1][0] - pts[k][0];
      if (p.arrivals === 'uniform') {
        // Evenly spaced at the instantaneous rate.
        const r = r0 + ((r1 - r0) * (t - t0)) / span;
        if (r <= 0) {
          t = segEnd;
          continue;
        }
        t += 1000 / r;
        if (t < pEnd) this.sim.at(t, K_OPEN, i, 0);
        return;
      }
      // Non-homogeneous Poisson by thinning with the segment's peak rate; by memorylessness a
      // candidate past the segment's end restarts from there with the next segment's peak.
      const peak = r0 > r1 ? r0 : r1;
      if (peak <= 0) {
        t = segEnd;
        continue;
      }
      const cand = t - (1000 / peak) * Math.log(rng.next());
      if (cand >= segEnd) {
        t = segEnd;
        continue;
      }
      t = cand;
      if (r0 !== r1 && rng.next() * peak > r0 + ((r1 - r0) * (t - t0)) / span) continue;
      this.sim.at(t, K_OPEN, i, 0);
      return;
    }
  }
}
