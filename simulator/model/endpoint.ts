import type { CapacityOutcome, CapacityTarget, MetricQuery, MetricSource } from '../../core/autoscaling/index.js';
import type { EventHandler, Simulation } from '../engine/simulation.js';
import { Rng, STREAM } from '../../core/random.js';
import type { Phase, Scenario } from '../scenario.js';
import { bucketOf, H_BUCKETS } from './histogram.js';

// Fast event kinds.
const K_OPEN = 0; // an open-loop arrival (a = phase)
const K_USER = 1; // a closed-loop user sends (a = user, b = user generation)
const K_DONE = 2; // a request ends: response, timeout or rejection (a = slot, b = slot generation)
const K_TRACE = 3; // a trace arrival (a = phase, b = index into its timestamps)

// How a request ends.
const R_OK = 0;
const R_TIMEOUT = 1;
const R_REJECTED = 2; // no instance in service, or the instance's queue is full
const R_FAILED = 3; // its instance failed under it

export const enum InstanceState {
  Pending = 0,
  InService = 1,
  Draining = 2,
  Gone = 3,
}

export class Instance {
  state = InstanceState.Pending;
  inServiceAt = NaN;
  /** When it stopped taking new requests (scale-in, failure). */
  leftServiceAt = NaN;
  /** When it stopped being billed (drained, failed, or cancelled while pending). */
  goneAt = NaN;
  outstanding = 0;
  /** Min-heap of the times each worker becomes free. */
  readonly free: Float64Array;
  /** Busy worker-milliseconds per minute of the run. */
  readonly busyMin: Float64Array;
  cancelReady: (() => void) | undefined;
  cancelFailure: (() => void) | undefined;
  failed = false;
  constructor(
    readonly id: number,
    readonly launchedAt: number,
    readonly readyAt: number,
    workers: number,
    minutes: number,
    readonly replacement: boolean,
  ) {
    this.free = new Float64Array(workers);
    this.busyMin = new Float64Array(minutes);
  }
}

/**
 * The SageMaker endpoint variant and the traffic that hits it, as a discrete-event model:
 * - traffic: closed-loop users (ramp-up linear or in steps, hold, think time), open-loop arrivals
 *   (Poisson or evenly spaced, constant rate or a rate curve), trace replay; phases in sequence;
 * - serving: instances with `concurrency` workers and a FIFO queue each, routing random or least
 *   outstanding requests, service times from a distribution, a queue-wait timeout, optional
 *   queue bound, warm-up for new instances, optional random failures with replacement;
 * - metrics: per-second series and CloudWatch-style per-minute aggregates, served to the
 *   autoscaler through MetricSource.
 * It is also the autoscaler's CapacityTarget (UpdateEndpointWeightsAndCapacities).
 *
 * Queueing uses the FIFO multi-server recurrence (Kiefer–Wolfowitz): a request's start time is the
 * later of its arrival and the earliest time a worker of its instance is free, known at arrival;
 * so each request costs two events (arrival, completion) and no queue data structure.
 */
export class EndpointModel implements EventHandler, CapacityTarget, MetricSource {
  readonly origin: number;
  readonly end: number;
  readonly seconds: number;
  readonly minutes: number;
  readonly instances: Instance[] = [];
  private routable: Instance[] = [];
  private desired: number;
  private waits: { target: number; done: (o: CapacityOutcome) => void }[] = [];

  // Random streams and samplers.
  private readonly rngArrivals: Rng;
  private readonly rngRouting: Rng;
  private readonly rngWarmup: Rng;
  private readonly rngFailures: Rng;
  private readonly sampleService: () => number;
  private readonly sampleWarmup: () => number;
  private readonly sampleReplacement: () => number;
  private readonly sampleThink: (() => number)[];
  private readonly thinkZero: boolean[];

  // Serving parameters.
  private readonly workers: number;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private readonly errLatency: number;
  private readonly lor: boolean;

  // Request slots (struct of arrays).
  private cap = 0;
  private rArrive = new Float64Array(0);
  private rStart = new Float64Array(0);
  private rEnd = new Float64Array(0);
  private rInst = new Int32Array(0);
  private rUser = new Int32Array(0);
  private rPhase = new Int32Array(0);
  private rGen = new Int32Array(0);
  private rKind = new Uint8Array(0);
  private rUsed = new Uint8Array(0);
  private freeSlots = new Int32Array(0);
  private freeTop = 0;
  private slotHigh = 0;

  // Users.
  private readonly maxUsers: number;
  private readonly uActive: Uint8Array;
  private readonly uInFlight: Uint8Array;
  private readonly uGen: Int32Array;
  activeUsers = 0;

  // Phases.
  private phaseIndex = -1;
  private openSeg = 0;

  // Per-second series (index = whole seconds since start).
  readonly secSent: Float64Array;
  readonly secDone: Float64Array;
  readonly secOk: Float64Array;
  readonly secErrors: Float64Array;
  readonly secTimeouts: Float64Array;
  readonly secLatSum: Float64Array;
  readonly secLatMax: Float64Array;
  readonly secBusy: Float64Array;
  readonly secUsers: Float64Array;
  readonly secInService: Float64Array;
  readonly secPending: Float64Array;
  readonly secDesired: Float64Array;
  readonly secOutstanding: Float64Array;

  // Per-minute CloudWatch aggregates (index = whole minutes since start).
  readonly minInvocations: Float64Array;
  readonly minIpi: Float64Array;
  readonly minLatSum: Float64Array;
  readonly minLatCount: Float64Array;
  readonly minLatMin: Float64Array;
  readonly minLatMax: Float64Array;
  readonly min5xx: Float64Array;
  readonly minTimeouts: Float64Array;
  readonly minRejected: Float64Array;
  readonly minHist: Uint32Array;

  // Per phase (by the phase a request was sent in) and overall.
  readonly phaseHist: Uint32Array;
  readonly phaseSent: Float64Array;
  readonly phaseOk: Float64Array;
  readonly phaseErrors: Float64Array;
  readonly phaseTimeouts: Float64Array;
  readonly phaseRejected: Float64Array;
  readonly phaseFailed: Float64Array;
  readonly phaseLatSum: Float64Array;
  /** Sum over completed requests of response time, and count of completions (any outcome). */
  completedLatencySum = 0;
  completed = 0;
  /** Integral of outstanding requests over time (for Little's law checks). */
  private lastOutChange = 0;
  outstandingArea = 0;
  outstandingTotal = 0;

  constructor(
    readonly scenario: Scenario,
    private readonly sim: Simulation,
  ) {
    const s = scenario.serving;
    this.origin = scenario.startMs;
    this.end = scenario.startMs + scenario.durationMs;
    this.seconds = Math.ceil(scenario.durationMs / 1000) + 1;
    this.minutes = Math.ceil(scenario.durationMs / 60_000) + 1;
    this.lastOutChange = this.origin;
    const seed = scenario.seed;
    this.rngArrivals = new Rng(seed, STREAM.arrivals);
    this.rngRouting = new Rng(seed, STREAM.routing);
    this.rngWarmup = new Rng(seed, STREAM.warmup);
    this.rngFailures = new Rng(seed, STREAM.failures);
    this.sampleService = s.serviceTime.sampler(new Rng(seed, STREAM.service));
    this.sampleWarmup = s.warmup.sampler(this.rngWarmup);
    this.sampleReplacement = (s.failures?.replacement ?? s.warmup).sampler(this.rngWarmup);
    const thinkRng = new Rng(seed, STREAM.think);
    this.sampleThink = scenario.phases.map((p) => (p.kind === 'closed' ? p.think.sampler(thinkRng) : () => 0));
    this.thinkZero = scenario.phases.map((p) => p.kind !== 'closed' || (p.think.kind === 'constant' && p.think.mean === 0));
    this.workers = s.concurrency;
    this.timeoutMs = s.queueTimeoutMs;
    this.maxQueue = s.maxQueue;
    this.errLatency = s.errorLatencyMs;
    this.lor = s.routing === 'least-outstanding-requests';
    this.desired = s.initialInstanceCount;

    this.maxUsers = Math.max(0, ...scenario.phases.map((p) => (p.kind === 'closed' ? p.users : 0)));
    this.uActive = new Uint8Array(this.maxUsers);
    this.uInFlight = new Uint8Array(this.maxUsers);
    this.uGen = new Int32Array(this.maxUsers);

    const S = this.seconds;
    const M = this.minutes;
    const P = scenario.phases.length;
    this.secSent = new Float64Array(S);
    this.secDone = new Float64Array(S);
    this.secOk = new Float64Array(S);
    this.secErrors = new Float64Array(S);
    this.secTimeouts = new Float64Array(S);
    this.secLatSum = new Float64Array(S);
    this.secLatMax = new Float64Array(S);
    this.secBusy = new Float64Array(S);
    this.secUsers = new Float64Array(S);
    this.secInService = new Float64Array(S);
    this.secPending = new Float64Array(S);
    this.secDesired = new Float64Array(S);
    this.secOutstanding = new Float64Array(S);
    this.minInvocations = new Float64Array(M);
    this.minIpi = new Float64Array(M);
    this.minLatSum = new Float64Array(M);
    this.minLatCount = new Float64Array(M);
    this.minLatMin = new Float64Array(M).fill(Infinity);
    this.minLatMax = new Float64Array(M);
    this.min5xx = new Float64Array(M);
    this.minTimeouts = new Float64Array(M);
    this.minRejected = new Float64Array(M);
    this.minHist = new Uint32Array(M * H_BUCKETS);
    this.phaseHist = new Uint32Array((P + 1) * H_BUCKETS); // the last one is overall
    this.phaseSent = new Float64Array(P);
    this.phaseOk = new Float64Array(P);
    this.phaseErrors = new Float64Array(P);
    this.phaseTimeouts = new Float64Array(P);
    this.phaseRejected = new Float64Array(P);
    this.phaseFailed = new Float64Array(P);
    this.phaseLatSum = new Float64Array(P);
    this.growSlots(1024);
  }

  /** Puts the initial instances in service and schedules the phases and the per-second sampler. */
  start(): void {
    const clock = this.sim.clock;
    for (let i = 0; i < this.desired; i++) {
      const inst = this.newInstance(this.origin, this.origin, false);
      this.enterService(inst, this.origin);
    }
    for (let i = 0; i < this.scenario.phases.length; i++) {
      const p = this.scenario.phases[i];
      if (this.origin + p.startMs >= this.end) break;
      clock.schedule(p.startMs, () => this.beginPhase(i));
    }
    // Gauges at the start of every second.
    const sample = () => {
      const now = clock.now();
      const k = Math.round((now - this.origin) / 1000);
      if (k < this.seconds) {
        this.secUsers[k] = this.activeUsers;
        this.secInService[k] = this.routable.length;
        let pending = 0;
        for (const inst of this.instances) if (inst.state === InstanceState.Pending) pending++;
        this.secPending[k] = pending;
        this.secDesired[k] = this.desired;
        this.secOutstanding[k] = this.outstandingTotal;
      }
      if (now + 1000 <= this.end) clock.schedule(1000, sample);
    };
    clock.schedule(0, sample);
  }

  /** Closes the books at the end of the run. */
  finish(): void {
    this.noteOutstanding(this.end);
  }

  // ---- events ----

  handle(kind: number, a: number, b: number, now: number): void {
    switch (kind) {
      case K_DONE:
        this.complete(a, b, now);
        break;
      case K_OPEN:
        if (a === this.phaseIndex) {
          this.admit(now, -1, a);
          this.scheduleOpen(a, now);
        }
        break;
      case K_USER:
        if (this.uGen[a] === b && this.uActive[a] === 1 && this.uInFlight[a] === 0) this.admit(now, a, this.phaseIndex);
        break;
      case K_TRACE: {
        if (a !== this.phaseIndex) break;
        this.admit(now, -1, a);
        const p = this.scenario.phases[a] as Extract<Phase, { kind: 'trace' }>;
        const next = b + 1;
        if (next < p.times.length) {
          const t = this.origin + p.startMs + p.times[next];
          if (t < this.origin + p.startMs + p.durationMs) this.sim.at(t, K_TRACE, a, next);
        }
        break;
      }
    }
  }

  /** A request arrives at the endpoint. */
  private admit(now: number, user: number, phase: number): void {
    if (this.freeTop === 0) this.growSlots(this.cap * 2);
    const slot = this.freeSlots[--this.freeTop];
    if (slot >= this.slotHigh) this.slotHigh = slot + 1;
    this.rUsed[slot] = 1;
    this.rArrive[slot] = now;
    this.rUser[slot] = user;
    this.rPhase[slot] = phase;
    if (user >= 0) this.uInFlight[user] = 1;
    const rel = now - this.origin;
    this.secSent[(rel / 1000) | 0]++;
    this.phaseSent[phase]++;
    this.noteOutstanding(now);
    this.outstandingTotal++;

    const routable = this.routable;
    const n = routable.length;
    if (n === 0) {
      this.rInst[slot] = -1;
      this.rKind[slot] = R_REJECTED;
      this.rEnd[slot] = now + this.errLatency;
      this.sim.at(now + this.errLatency, K_DONE, slot, this.rGen[slot]);
      return;
    }
    let inst: Instance;
    if (n === 1) inst = routable[0];
    else if (this.lor) inst = this.leastOutstanding();
    else inst = routable[this.rngRouting.int(n)];
    const m = (rel / 60_000) | 0;
    this.minInvocations[m]++;
    this.minIpi[m] += 1 / n;
    this.rInst[slot] = inst.id;
    const free = inst.free;
    if (this.maxQueue !== Infinity && inst.outstanding - this.busyWorkers(inst, now) >= this.maxQueue) {
      this.rKind[slot] = R_REJECTED;
      this.rEnd[slot] = now + this.errLatency;
      inst.outstanding++;
      this.sim.at(now + this.errLatency, K_DONE, slot, this.rGen[slot]);
      return;
    }
    inst.outstanding++;
    const w = free[0];
    const start = w > now ? w : now;
    if (start - now > this.timeoutMs) {
      this.rKind[slot] = R_TIMEOUT;
      const end = now + this.timeoutMs;
      this.rEnd[slot] = end;
      this.sim.at(end, K_DONE, slot, this.rGen[slot]);
      return;
    }
    const end = start + this.sampleService();
    this.rKind[slot] = R_OK;
    this.rStart[slot] = start;
    this.rEnd[slot] = end;
    replaceTop(free, end);
    this.addBusy(inst, start, end, 1);
    this.sim.at(end, K_DONE, slot, this.rGen[slot]);
  }

  /** A request's response (or error) reaches its sender. */
  private complete(slot: number, gen: number, now: number): void {
    if (this.rGen[slot] !== gen) return; // ended early: its instance failed
    const id = this.rInst[slot];
    if (id >= 0) {
      const inst = this.instances[id];
      inst.outstanding--;
      if (inst.state === InstanceState.Draining && inst.outstanding === 0) this.terminate(inst, now);
    }
    this.finishRequest(slot, now, this.rKind[slot]);
  }

  private finishRequest(slot: number, now: number, kind: number): void {
    const phase = this.rPhase[slot];
    const rel = now - this.origin;
    const sec = (rel / 1000) | 0;
    const m = (rel / 60_000) | 0;
    const lat = now - this.rArrive[slot];
    this.noteOutstanding(now);
    this.outstandingTotal--;
    this.completed++;
    this.completedLatencySum += lat;
    this.secDone[sec]++;
    if (kind === R_OK) {
      this.secOk[sec]++;
      this.secLatSum[sec] += lat;
      if (lat > this.secLatMax[sec]) this.secLatMax[sec] = lat;
      this.minLatSum[m] += lat;
      this.minLatCount[m]++;
      if (lat < this.minLatMin[m]) this.minLatMin[m] = lat;
      if (lat > this.minLatMax[m]) this.minLatMax[m] = lat;
      const bkt = bucketOf(lat);
      this.minHist[m * H_BUCKETS + bkt]++;
      this.phaseHist[phase * H_BUCKETS + bkt]++;
      this.phaseHist[this.phaseSent.length * H_BUCKETS + bkt]++;
      this.phaseOk[phase]++;
      this.phaseLatSum[phase] += lat;
    } else {
      this.secErrors[sec]++;
      this.phaseErrors[phase]++;
      if (kind === R_TIMEOUT) {
        this.secTimeouts[sec]++;
        this.minTimeouts[m]++;
        this.phaseTimeouts[phase]++;
      } else if (kind === R_REJECTED) {
        this.minRejected[m]++;
        this.phaseRejected[phase]++;
      } else {
        this.phaseFailed[phase]++;
      }
      if (this.rInst[slot] >= 0) this.min5xx[m]++;
    }
    // Free the slot.
    this.rGen[slot]++;
    this.rUsed[slot] = 0;
    this.freeSlots[this.freeTop++] = slot;
    const user = this.rUser[slot];
    if (user >= 0) {
      this.uInFlight[user] = 0;
      if (this.uActive[user] === 1) {
        const ph = this.phaseIndex;
        if (this.thinkZero[ph]) this.admit(now, user, ph);
        else this.sim.at(now + this.sampleThink[ph](), K_USER, user, this.uGen[user]);
      }
    }
  }

  private leastOutstanding(): Instance {
    const r = this.routable;
    let best = r[0];
    let ties = 1;
    for (let i = 1; i < r.length; i++) {
      const x = r[i];
      if (x.outstanding < best.outstanding) {
        best = x;
        ties = 1;
      } else if (x.outstanding === best.outstanding) {
        // Uniform among ties (reservoir sampling), as SageMaker picks among equally loaded hosts.
        ties++;
        if (this.rngRouting.int(ties) === 0) best = x;
      }
    }
    return best;
  }

  private busyWorkers(inst: Instance, now: number): number {
    let n = 0;
    for (let i = 0; i < inst.free.length; i++) if (inst.free[i] > now) n++;
    return n;
  }

  /** Adds (sign 1) or removes (-1) busy time [from, to) of one worker of `inst`. */
  private addBusy(inst: Instance, from: number, to: number, sign: number): void {
    let a = from - this.origin;
    const b = to - this.origin;
    const s0 = (a / 1000) | 0;
    const m0 = (a / 60_000) | 0;
    if (((b / 1000) | 0) === s0) {
      if (s0 < this.seconds) this.secBusy[s0] += sign * (b - a);
      if (m0 < this.minutes) inst.busyMin[m0] += sign * (b - a);
      return;
    }
    while (a < b) {
      const s = (a / 1000) | 0;
      const next = Math.min(b, (s + 1) * 1000);
      if (s < this.seconds) this.secBusy[s] += sign * (next - a);
      const m = (a / 60_000) | 0;
      if (m < this.minutes) inst.busyMin[m] += sign * (next - a);
      a = next;
    }
  }

  private noteOutstanding(now: number): void {
    this.outstandingArea += this.outstandingTotal * (now - this.lastOutChange);
    this.lastOutChange = now;
  }

  // ---- traffic ----

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
      this.openSeg = 0;
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
      this.uActive[u] = 1;
      if (this.uInFlight[u] === 0) this.sim.at(now, K_USER, u, this.uGen[u]);
    }
    while (this.activeUsers > n) {
      const u = --this.activeUsers;
      this.uActive[u] = 0;
      this.uGen[u]++; // cancels a pending think-time wake-up
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
      let k = this.openSeg;
      while (k + 1 < pts.length && p0 + pts[k + 1][0] <= t) k++;
      this.openSeg = k;
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

  // ---- instances and capacity ----

  private newInstance(now: number, readyAt: number, replacement: boolean): Instance {
    const inst = new Instance(this.instances.length, now, readyAt, this.workers, this.minutes, replacement);
    this.instances.push(inst);
    return inst;
  }

  private launch(now: number, replacement: boolean): void {
    const warm = replacement ? this.sampleReplacement() : this.sampleWarmup();
    const inst = this.newInstance(now, now + warm, replacement);
    inst.cancelReady = this.sim.clock.schedule(warm, () => {
      inst.cancelReady = undefined;
      this.enterService(inst, this.sim.clock.now());
      this.checkWaits();
    });
  }

  private enterService(inst: Instance, now: number): void {
    inst.state = InstanceState.InService;
    inst.inServiceAt = now;
    inst.free.fill(now);
    this.routable.push(inst);
    const f = this.scenario.serving.failures;
    if (f) {
      const ttf = -f.mtbfMs * Math.log(this.rngFailures.next());
      inst.cancelFailure = this.sim.clock.schedule(ttf, () => this.fail(inst));
    }
  }

  private leaveService(inst: Instance, now: number): void {
    inst.leftServiceAt = now;
    inst.cancelFailure?.();
    inst.cancelFailure = undefined;
    const i = this.routable.indexOf(inst);
    if (i >= 0) this.routable.splice(i, 1);
  }

  private terminate(inst: Instance, now: number): void {
    inst.state = InstanceState.Gone;
    inst.goneAt = now;
  }

  /** An instance fails: its requests fail now, and SageMaker replaces it (desired count unchanged). */
  private fail(inst: Instance): void {
    const now = this.sim.clock.now();
    inst.cancelFailure = undefined;
    inst.failed = true;
    this.leaveService(inst, now);
    for (let slot = 0; slot < this.slotHigh; slot++) {
      if (this.rUsed[slot] !== 1 || this.rInst[slot] !== inst.id) continue;
      if (this.rKind[slot] === R_OK) {
        const from = Math.max(this.rStart[slot], now);
        if (this.rEnd[slot] > from) this.addBusy(inst, from, this.rEnd[slot], -1);
      }
      inst.outstanding--;
      this.finishRequest(slot, now, R_FAILED);
    }
    this.terminate(inst, now);
    this.launch(now, true);
  }

  desiredCapacity(): number {
    return this.desired;
  }

  setDesiredCapacity(n: number, done: (o: CapacityOutcome) => void): void {
    const now = this.sim.clock.now();
    this.desired = n;
    const active = this.instances.filter((x) => x.state === InstanceState.Pending || x.state === InstanceState.InService);
    if (n > active.length) {
      for (let k = active.length; k < n; k++) this.launch(now, false);
    } else if (n < active.length) {
      let remove = active.length - n;
      // Pending instances go first (the latest to be ready first), then the least busy in service.
      const pending = active.filter((x) => x.state === InstanceState.Pending).sort((a, b) => b.readyAt - a.readyAt || b.id - a.id);
      for (const x of pending) {
        if (remove === 0) break;
        x.cancelReady?.();
        x.cancelReady = undefined;
        this.terminate(x, now);
        remove--;
      }
      const serving = active.filter((x) => x.state === InstanceState.InService).sort((a, b) => a.outstanding - b.outstanding || b.id - a.id);
      for (const x of serving) {
        if (remove === 0) break;
        this.leaveService(x, now);
        if (x.outstanding === 0) this.terminate(x, now);
        else x.state = InstanceState.Draining;
        remove--;
      }
    }
    // An earlier scale-out whose target is now out of reach was overridden by this change.
    this.waits = this.waits.filter((w) => {
      if (w.target > n) {
        w.done({ status: 'Overridden', message: `Overridden by a later change of the desired instance count to ${n}.` });
        return false;
      }
      return true;
    });
    this.waits.push({ target: n, done });
    this.checkWaits();
  }

  private checkWaits(): void {
    const inService = this.routable.length;
    this.waits = this.waits.filter((w) => {
      if (inService >= w.target) {
        w.done({ status: 'Successful' });
        return false;
      }
      return true;
    });
  }

  // ---- CloudWatch ----

  /** Whether datapoint() can ever answer this query (for validating policies up front). */
  supports(q: MetricQuery): boolean {
    if (!this.dimsMatch(q)) return false;
    if (q.Namespace === 'AWS/SageMaker') return ['Invocations', 'InvocationsPerInstance', 'ModelLatency', 'Invocation5XXErrors', 'Invocation4XXErrors'].includes(q.MetricName);
    if (q.Namespace === '/aws/sagemaker/Endpoints') return q.MetricName === 'CPUUtilization';
    return false;
  }

  private dimsMatch(q: MetricQuery): boolean {
    const d = new Map(q.Dimensions.map((x) => [x.Name, x.Value]));
    return d.size === 2 && d.get('EndpointName') === this.scenario.endpointName && d.get('VariantName') === this.scenario.variantName;
  }

  datapoint(q: MetricQuery, startMs: number, periodSeconds: number): number | undefined {
    if (!this.dimsMatch(q)) return undefined;
    const m0 = (startMs - this.origin) / 60_000;
    const k = periodSeconds / 60;
    if (!Number.isInteger(m0) || !Number.isInteger(k) || m0 < 0 || m0 + k > this.minutes) return undefined;
    const sum = (a: Float64Array) => {
      let s = 0;
      for (let i = m0; i < m0 + k; i++) s += a[i];
      return s;
    };
    if (q.Namespace === 'AWS/SageMaker') {
      const inv = sum(this.minInvocations);
      if (q.MetricName === 'Invocations') return inv === 0 ? undefined : stat(q.Statistic, inv, inv, 1, 1);
      if (q.MetricName === 'InvocationsPerInstance') {
        const ipi = sum(this.minIpi);
        return inv === 0 ? undefined : stat(q.Statistic, ipi, inv, NaN, NaN);
      }
      if (q.MetricName === 'Invocation5XXErrors' || q.MetricName === 'Invocation4XXErrors') {
        const e = q.MetricName === 'Invocation5XXErrors' ? sum(this.min5xx) : 0;
        return inv === 0 ? undefined : stat(q.Statistic, e, inv, e < inv ? 0 : 1, e > 0 ? 1 : 0);
      }
      if (q.MetricName === 'ModelLatency') {
        const n = sum(this.minLatCount);
        if (n === 0) return undefined;
        let lo = Infinity;
        let hi = 0;
        for (let i = m0; i < m0 + k; i++) {
          lo = Math.min(lo, this.minLatMin[i]);
          hi = Math.max(hi, this.minLatMax[i]);
        }
        // Microseconds, as CloudWatch publishes ModelLatency.
        return stat(q.Statistic, sum(this.minLatSum) * 1000, n, lo * 1000, hi * 1000);
      }
      return undefined;
    }
    if (q.Namespace === '/aws/sagemaker/Endpoints' && q.MetricName === 'CPUUtilization') {
      const from = startMs;
      const to = startMs + periodSeconds * 1000;
      let total = 0;
      let n = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (const inst of this.instances) {
        const v = this.instanceCpu(inst, from, to);
        if (v === undefined) continue;
        total += v;
        n++;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      return n === 0 ? undefined : stat(q.Statistic, total, n, lo, hi);
    }
    return undefined;
  }

  /**
   * CPUUtilization of one instance over [from, to) (minute-aligned), percent summed over cores:
   * busy worker time x cores per request over the time it was up, or undefined if it was not up.
   */
  instanceCpu(inst: Instance, from: number, to: number): number | undefined {
    const up0 = Math.max(inst.inServiceAt, from);
    const up1 = Math.min(Number.isNaN(inst.goneAt) ? Infinity : inst.goneAt, to, this.end);
    if (!(up1 > up0)) return undefined;
    let busy = 0;
    for (let m = (from - this.origin) / 60_000; m < (to - this.origin) / 60_000 && m < this.minutes; m++) busy += inst.busyMin[m];
    return (busy * this.scenario.serving.cpuCoresPerRequest * 100) / (up1 - up0);
  }

  private growSlots(cap: number): void {
    const old = this.cap;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.rArrive = f64(this.rArrive);
    this.rStart = f64(this.rStart);
    this.rEnd = f64(this.rEnd);
    this.rInst = i32(this.rInst);
    this.rUser = i32(this.rUser);
    this.rPhase = i32(this.rPhase);
    this.rGen = i32(this.rGen);
    this.rKind = u8(this.rKind);
    this.rUsed = u8(this.rUsed);
    const free = new Int32Array(cap);
    free.set(this.freeSlots.subarray(0, this.freeTop));
    let top = this.freeTop;
    for (let s = cap - 1; s >= old; s--) free[top++] = s;
    this.freeSlots = free;
    this.freeTop = top;
    this.cap = cap;
  }
}

/** A CloudWatch statistic from a sum, a sample count, a minimum and a maximum. */
function stat(s: string, sum: number, count: number, min: number, max: number): number | undefined {
  switch (s) {
    case 'Sum':
      return sum;
    case 'SampleCount':
      return count;
    case 'Average':
      return count > 0 ? sum / count : undefined;
    case 'Minimum':
      return Number.isNaN(min) ? undefined : min;
    case 'Maximum':
      return Number.isNaN(max) ? undefined : max;
    default:
      return undefined;
  }
}

/** Replaces the minimum of a binary min-heap and restores heap order. */
function replaceTop(h: Float64Array, v: number): void {
  const n = h.length;
  if (n === 1) {
    h[0] = v;
    return;
  }
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && h[c + 1] < h[c]) c++;
    if (h[c] >= v) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = v;
}
