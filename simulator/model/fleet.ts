import type { CapacityOutcome, CapacityTarget } from '../../core/autoscaling/index.js';
import { MinHeap } from '../../core/heap.js';
import { Rng, STREAM } from '../../core/random.js';
import type { Simulation } from '../engine/simulation.js';
import type { Scenario } from '../scenario.js';
import type { Recorder } from './recorder.js';

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
  /** The times each model-server worker becomes free (the project's heap; the earliest on top). */
  readonly workersFreeAt: MinHeap;
  /** Busy worker-milliseconds per minute of the run. */
  readonly perMinuteBusy: Float64Array;
  cancelReady: (() => void) | undefined;
  cancelFailure: (() => void) | undefined;
  failed = false;
  constructor(
    readonly id: number,
    readonly launchedAt: number,
    readonly readyAt: number,
    readonly workers: number,
    minutes: number,
    readonly replacement: boolean,
  ) {
    this.workersFreeAt = new MinHeap(workers);
    this.perMinuteBusy = new Float64Array(minutes);
  }

  /** Workers busy at `now`. */
  busyWorkers(now: number): number {
    let n = 0;
    const h = this.workersFreeAt;
    for (let i = 0; i < h.size; i++) if (h.keyAt(i) > now) n++;
    return n;
  }
}

/**
 * The production variant's instances: launches with warm-up, the routing set, failures with
 * replacement, scale-in with draining, the busy time behind CPUUtilization, and the variant as
 * the autoscaler's CapacityTarget (UpdateEndpointWeightsAndCapacities). While a capacity change
 * is being applied the endpoint is Updating: SageMaker takes no other change until the instances
 * it added are in service, so `isUpdating` is true until every change has been fulfilled.
 */
export class Fleet implements CapacityTarget {
  readonly instances: Instance[] = [];
  /** In service, in the order they entered it. */
  readonly routable: Instance[] = [];
  private desired: number;
  private waits: { target: number; done: (o: CapacityOutcome) => void }[] = [];
  private readonly rngRouting: Rng;
  private readonly rngFailures: Rng;
  private readonly sampleWarmup: () => number;
  private readonly sampleReplacement: () => number;
  private readonly leastOutstandingRouting: boolean;
  private readonly origin: number;
  /** Called when an instance fails, to fail the requests it holds. */
  onFailure: (inst: Instance, now: number) => void = () => {};

  constructor(
    private readonly scenario: Scenario,
    private readonly sim: Simulation,
    private readonly recorder: Recorder,
  ) {
    const s = scenario.serving;
    const rngWarmup = new Rng(scenario.seed, STREAM.warmup);
    this.rngRouting = new Rng(scenario.seed, STREAM.routing);
    this.rngFailures = new Rng(scenario.seed, STREAM.failures);
    this.sampleWarmup = s.warmup.sampler(rngWarmup);
    this.sampleReplacement = (s.failures?.replacement ?? s.warmup).sampler(rngWarmup);
    this.leastOutstandingRouting = s.routing === 'least-outstanding-requests';
    this.desired = s.initialInstanceCount;
    this.origin = scenario.startMs;
  }

  /** The initial instances, in service from the start. */
  start(now: number): void {
    for (let i = 0; i < this.desired; i++) this.enterService(this.newInstance(now, now, false), now);
  }

  /** The instance a request arriving now goes to, or undefined when none is in service. */
  route(): Instance | undefined {
    const r = this.routable;
    const n = r.length;
    if (n === 0) return undefined;
    if (n === 1) return r[0];
    if (!this.leastOutstandingRouting) return r[this.rngRouting.int(n)];
    let best = r[0];
    let ties = 1;
    for (let i = 1; i < n; i++) {
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

  /** Adds (sign 1) or removes (-1) busy time [from, to) of one worker of `inst`. */
  addBusy(inst: Instance, from: number, to: number, sign: number): void {
    const rec = this.recorder;
    let a = from - this.origin;
    const b = to - this.origin;
    const s0 = (a / 1000) | 0;
    const m0 = (a / 60_000) | 0;
    if (((b / 1000) | 0) === s0) {
      if (s0 < rec.seconds) rec.perSecondBusy[s0] += sign * (b - a);
      if (m0 < rec.minutes) inst.perMinuteBusy[m0] += sign * (b - a);
      return;
    }
    while (a < b) {
      const s = (a / 1000) | 0;
      const next = Math.min(b, (s + 1) * 1000);
      if (s < rec.seconds) rec.perSecondBusy[s] += sign * (next - a);
      const m = (a / 60_000) | 0;
      if (m < rec.minutes) inst.perMinuteBusy[m] += sign * (next - a);
      a = next;
    }
  }

  pendingCount(): number {
    let n = 0;
    for (const inst of this.instances) if (inst.state === InstanceState.Pending) n++;
    return n;
  }

  /** A request held by a draining instance ended: it goes once it holds none. */
  released(inst: Instance, now: number): void {
    inst.outstanding--;
    if (inst.state === InstanceState.Draining && inst.outstanding === 0) this.terminate(inst, now);
  }

  // ---- CapacityTarget ----

  desiredCapacity(): number {
    return this.desired;
  }

  isUpdating(): boolean {
    return this.waits.length > 0;
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

  // ---- lifecycle ----

  private newInstance(now: number, readyAt: number, replacement: boolean): Instance {
    const inst = new Instance(this.instances.length, now, readyAt, this.scenario.serving.concurrency, this.recorder.minutes, replacement);
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
    for (let i = 0; i < inst.workers; i++) inst.workersFreeAt.push(now, i);
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
    this.onFailure(inst, now);
    this.terminate(inst, now);
    this.launch(now, true);
  }

  /**
   * CPUUtilization of one instance over [from, to) (minute-aligned), percent summed over cores:
   * busy worker time x cores per request over the time it was up, or undefined if it was not up.
   */
  instanceCpu(inst: Instance, from: number, to: number, end: number): number | undefined {
    const up0 = Math.max(inst.inServiceAt, from);
    const up1 = Math.min(Number.isNaN(inst.goneAt) ? Infinity : inst.goneAt, to, end);
    if (!(up1 > up0)) return undefined;
    let busy = 0;
    for (let m = (from - this.origin) / 60_000; m < (to - this.origin) / 60_000 && m < this.recorder.minutes; m++) busy += inst.perMinuteBusy[m];
    return (busy * this.scenario.serving.cpuCoresPerRequest * 100) / (up1 - up0);
  }
}
