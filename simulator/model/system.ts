import { MinHeap } from '../../core/heap.js';
import { Rng, STREAM } from '../../core/random.js';
import { grownTo } from '../../core/typed-array.js';
import type { EventHandler, Simulation } from '../engine/simulation.js';
import type { Scenario } from '../scenario.js';
import { CloudWatchMetrics } from './cloudwatch.js';
import { Fleet, type Instance } from './fleet.js';
import { Outcome, Recorder, STAGE_CLIENT, STAGE_GATEWAY, STAGE_INSTANCE, STAGE_NETWORK } from './recorder.js';
import { K_TRAFFIC_LAST, Traffic } from './traffic.js';

// Module-local copies of the outcome and stage numbers: an imported binding is read through the
// module on every use, a local constant is folded into the hot path.
const OK: number = Outcome.Ok;
const TIMEOUT: number = Outcome.Timeout;
const REJECTED: number = Outcome.Rejected;
const FAILED: number = Outcome.Failed;
const THROTTLED: number = Outcome.Throttled;
const CLIENT: number = STAGE_CLIENT;
const NETWORK: number = STAGE_NETWORK;
const GATEWAY: number = STAGE_GATEWAY;
const INSTANCE: number = STAGE_INSTANCE;

// Fast event kinds of the request path.
const K_GATEWAY = K_TRAFFIC_LAST + 1; // reaches the gateway, whose throttle decides (a = slot, b = generation)
const K_ARRIVE = K_TRAFFIC_LAST + 2; // reaches the endpoint (a = slot, b = generation)
const K_ANSWERED = K_TRAFFIC_LAST + 3; // the endpoint (or the gateway) answers (a = slot, b = generation)
const K_BACK = K_TRAFFIC_LAST + 4; // the answer is back at the sender (a = slot, b = generation)

/**
 * The whole request path of a load test as a discrete-event model. A request crosses, in order:
 *   client   the load generator: a per-request overhead, on `concurrency` servers (a FIFO queue)
 *            or on as many as needed (pure delay);
 *   network  client <-> gateway <-> endpoint, a round-trip latency split between the two legs;
 *   gateway  e.g. API Gateway: its own latency and an optional token-bucket throttle (429);
 *   instance the endpoint routes it to an instance: model-server workers, FIFO queue, timeout.
 * The answer goes back over the network's response leg. A closed-loop user spends its whole round
 * trip across these stages, so where the time goes (a scenario's choice) sets the throughput.
 *
 * Queueing at the instances (and at a client with servers) uses the FIFO multi-server recurrence
 * (Kiefer–Wolfowitz): a request's start is the later of its arrival and the earliest time a
 * server is free, known at arrival; so a request costs an event per stage boundary and no queue
 * data structure. With no stage before the endpoint a request costs two events (sent, answered).
 *
 * The parts: Traffic (who sends when), Fleet (the instances; the autoscaler's CapacityTarget),
 * Recorder (what is measured), CloudWatchMetrics (the autoscaler's MetricSource).
 */
export class SystemModel implements EventHandler {
  readonly origin: number;
  readonly end: number;
  readonly recorder: Recorder;
  readonly fleet: Fleet;
  readonly traffic: Traffic;
  readonly metrics: CloudWatchMetrics;

  private readonly sampleService: () => number;
  private readonly sampleClient: () => number;
  private readonly sampleNetwork: () => number;
  private readonly sampleGateway: () => number;
  private readonly clientServers: MinHeap | undefined;
  private readonly requestShare: number;
  private readonly direct: boolean;
  private readonly throttle: { ratePerMs: number; burst: number } | undefined;
  private tokens = 0;
  private tokensAt = 0;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private readonly errorLatencyMs: number;

  // Request slots (struct of arrays).
  private cap = 0;
  private slotSent = new Float64Array(0);
  private slotArrive = new Float64Array(0);
  private slotStart = new Float64Array(0);
  private slotAnswered = new Float64Array(0);
  private slotBackLeg = new Float64Array(0);
  private slotInstance = new Int32Array(0);
  private slotUser = new Int32Array(0);
  private slotPhase = new Int32Array(0);
  private slotGeneration = new Int32Array(0);
  private slotOutcome = new Uint8Array(0);
  /** 0 free, 1 on its way to the endpoint, 2 at an instance, 3 on its way back. */
  private slotWhere = new Uint8Array(0);
  private freeSlots = new Int32Array(0);
  private freeTop = 0;
  private slotHigh = 0;

  /** Requests at the endpoint (routed, not answered) and the integral of that count over time. */
  outstandingTotal = 0;
  outstandingArea = 0;
  private lastOutstandingChange: number;

  constructor(
    readonly scenario: Scenario,
    private readonly sim: Simulation,
  ) {
    const s = scenario.serving;
    const p = scenario.path;
    this.origin = scenario.startMs;
    this.end = scenario.startMs + scenario.durationMs;
    this.lastOutstandingChange = this.origin;
    this.recorder = new Recorder(this.origin, scenario.durationMs, scenario.phases.length);
    this.fleet = new Fleet(scenario, sim, this.recorder);
    this.fleet.onFailure = (inst, now) => this.failRequestsOf(inst, now);
    this.traffic = new Traffic(scenario, sim, (now, user, phase) => this.send(now, user, phase));
    this.metrics = new CloudWatchMetrics(scenario, this.recorder, this.fleet);
    const seed = scenario.seed;
    this.sampleService = s.serviceTime.sampler(new Rng(seed, STREAM.service));
    const pathRng = new Rng(seed, STREAM.path);
    this.sampleClient = p.client.overhead.sampler(pathRng);
    this.sampleNetwork = p.network.latency.sampler(pathRng);
    this.sampleGateway = p.gateway.latency.sampler(pathRng);
    this.clientServers = Number.isFinite(p.client.concurrency) ? new MinHeap(p.client.concurrency) : undefined;
    if (this.clientServers) for (let i = 0; i < p.client.concurrency; i++) this.clientServers.push(this.origin, i);
    this.requestShare = p.network.requestShare;
    this.throttle = p.gateway.throttle && { ratePerMs: p.gateway.throttle.ratePerSecond / 1000, burst: p.gateway.throttle.burst };
    this.tokens = this.throttle?.burst ?? 0;
    this.tokensAt = this.origin;
    this.direct = p.direct;
    this.timeoutMs = s.queueTimeoutMs;
    this.maxQueue = s.maxQueue;
    this.errorLatencyMs = s.errorLatencyMs;
    this.growSlots(1024);
  }

  /** Puts the initial instances in service and schedules the phases and the per-second gauges. */
  start(): void {
    const clock = this.sim.clock;
    this.fleet.start(this.origin);
    this.traffic.start();
    const rec = this.recorder;
    const sample = () => {
      const now = clock.now();
      const k = Math.round((now - this.origin) / 1000);
      if (k < rec.seconds) {
        rec.perSecondUsers[k] = this.traffic.activeUsers;
        rec.perSecondInService[k] = this.fleet.routable.length;
        rec.perSecondPending[k] = this.fleet.pendingCount();
        rec.perSecondDesired[k] = this.fleet.desiredCapacity();
        rec.perSecondOutstanding[k] = this.outstandingTotal;
      }
      if (now + 1000 <= this.end) clock.schedule(1000, sample);
    };
    clock.schedule(0, sample);
  }

  /** Closes the books at the end of the run. */
  finish(): void {
    this.noteOutstanding(this.end);
  }

  handle(kind: number, a: number, b: number, now: number): void {
    if (kind <= K_TRAFFIC_LAST) {
      this.traffic.handle(kind, a, b, now);
    } else if (kind === K_ANSWERED) {
      if (this.slotGeneration[a] === b) this.answered(a, now);
    } else if (kind === K_ARRIVE) {
      if (this.slotGeneration[a] === b) this.arrive(a, now);
    } else if (kind === K_BACK) {
      if (this.slotGeneration[a] === b) this.back(a, now);
    } else if (kind === K_GATEWAY) {
      if (this.slotGeneration[a] === b) this.atGateway(a, now);
    }
  }

  // ---- the path ----

  /** The load generator sends a request (user -1: open loop or trace). */
  private send(now: number, user: number, phase: number): void {
    if (this.freeTop === 0) this.growSlots(this.cap * 2);
    const slot = this.freeSlots[--this.freeTop];
    if (slot >= this.slotHigh) this.slotHigh = slot + 1;
    this.slotWhere[slot] = 1;
    this.slotSent[slot] = now;
    this.slotUser[slot] = user;
    this.slotPhase[slot] = phase;
    this.slotInstance[slot] = -1;
    this.recorder.sent(now, phase);
    if (this.direct) {
      this.slotBackLeg[slot] = 0;
      this.arrive(slot, now);
      return;
    }
    const rec = this.recorder;
    // Client: the generator's own work on the request, queued when its servers are busy.
    let t = now;
    const overhead = this.sampleClient();
    if (this.clientServers) {
      const free = this.clientServers.peekKey();
      const start = free > now ? free : now;
      t = start + overhead;
      this.clientServers.replaceTop(t, 0);
      rec.perStageBusy[CLIENT] += overhead;
      rec.stage(CLIENT, t - now, start - now);
    } else {
      t = now + overhead;
      rec.stage(CLIENT, overhead, 0);
    }
    const network = this.sampleNetwork();
    rec.stage(NETWORK, network, 0);
    const there = network * this.requestShare;
    this.slotBackLeg[slot] = network - there;
    t += there;
    const gen = this.slotGeneration[slot];
    if (this.throttle) {
      this.sim.at(t, K_GATEWAY, slot, gen);
      return;
    }
    const gateway = this.sampleGateway();
    rec.stage(GATEWAY, gateway, 0);
    t += gateway;
    if (t === now) this.arrive(slot, now);
    else this.sim.at(t, K_ARRIVE, slot, gen);
  }

  /** The gateway's token bucket: a request without a token is answered 429 at once. */
  private atGateway(slot: number, now: number): void {
    const th = this.throttle!;
    this.tokens = Math.min(th.burst, this.tokens + (now - this.tokensAt) * th.ratePerMs);
    this.tokensAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      const gateway = this.sampleGateway();
      this.recorder.stage(GATEWAY, gateway, 0);
      if (gateway === 0) this.arrive(slot, now);
      else this.sim.at(now + gateway, K_ARRIVE, slot, this.slotGeneration[slot]);
      return;
    }
    this.recorder.stage(GATEWAY, 0, 0);
    this.slotOutcome[slot] = THROTTLED;
    this.slotArrive[slot] = now;
    this.slotAnswered[slot] = now;
    this.recorder.endpointAnswered(now, THROTTLED, 0, false);
    this.leaveEndpoint(slot, now);
  }

  /** The request reaches the endpoint: routing, then an instance's queue and workers. */
  private arrive(slot: number, now: number): void {
    this.slotArrive[slot] = now;
    this.noteOutstanding(now);
    this.outstandingTotal++;
    this.slotWhere[slot] = 2;
    const gen = this.slotGeneration[slot];
    const inst = this.fleet.route();
    if (inst === undefined) {
      this.slotOutcome[slot] = REJECTED;
      this.slotAnswered[slot] = now + this.errorLatencyMs;
      this.sim.at(now + this.errorLatencyMs, K_ANSWERED, slot, gen);
      return;
    }
    this.recorder.invocation(now, this.fleet.routable.length);
    this.slotInstance[slot] = inst.id;
    inst.outstanding++;
    if (this.maxQueue !== Infinity && inst.outstanding - 1 - inst.busyWorkers(now) >= this.maxQueue) {
      this.slotOutcome[slot] = REJECTED;
      this.slotAnswered[slot] = now + this.errorLatencyMs;
      this.sim.at(now + this.errorLatencyMs, K_ANSWERED, slot, gen);
      return;
    }
    const workers = inst.workersFreeAt;
    const free = workers.peekKey();
    const start = free > now ? free : now;
    if (start - now > this.timeoutMs) {
      this.slotOutcome[slot] = TIMEOUT;
      const end = now + this.timeoutMs;
      this.slotAnswered[slot] = end;
      this.sim.at(end, K_ANSWERED, slot, gen);
      return;
    }
    const end = start + this.sampleService();
    this.slotOutcome[slot] = OK;
    this.slotStart[slot] = start;
    this.slotAnswered[slot] = end;
    workers.replaceTop(end, 0);
    this.fleet.addBusy(inst, start, end, 1);
    this.sim.at(end, K_ANSWERED, slot, gen);
  }

  /** The instance (or the endpoint's router) answers. */
  private answered(slot: number, now: number): void {
    const id = this.slotInstance[slot];
    if (id >= 0) this.fleet.released(this.fleet.instances[id], now);
    const outcome = this.slotOutcome[slot];
    const spent = now - this.slotArrive[slot];
    this.recorder.endpointAnswered(now, outcome, spent, id >= 0);
    this.recorder.stage(INSTANCE, spent, outcome === OK ? this.slotStart[slot] - this.slotArrive[slot] : spent);
    this.noteOutstanding(now);
    this.outstandingTotal--;
    this.leaveEndpoint(slot, now);
  }

  private leaveEndpoint(slot: number, now: number): void {
    const back = this.slotBackLeg[slot];
    if (back > 0) {
      this.slotWhere[slot] = 3;
      this.sim.at(now + back, K_BACK, slot, this.slotGeneration[slot]);
    } else {
      this.back(slot, now);
    }
  }

  /** The answer is back at the sender: the round trip ends. */
  private back(slot: number, now: number): void {
    this.recorder.roundTrip(now, this.slotPhase[slot], this.slotOutcome[slot], now - this.slotSent[slot]);
    this.slotGeneration[slot]++;
    this.slotWhere[slot] = 0;
    this.freeSlots[this.freeTop++] = slot;
    const user = this.slotUser[slot];
    if (user >= 0) this.traffic.responded(user, now);
  }

  /** An instance failed: the requests it holds fail now (their answers still travel back). */
  private failRequestsOf(inst: Instance, now: number): void {
    for (let slot = 0; slot < this.slotHigh; slot++) {
      if (this.slotWhere[slot] !== 2 || this.slotInstance[slot] !== inst.id) continue;
      if (this.slotOutcome[slot] === OK) {
        const from = Math.max(this.slotStart[slot], now);
        if (this.slotAnswered[slot] > from) this.fleet.addBusy(inst, from, this.slotAnswered[slot], -1);
      }
      this.slotOutcome[slot] = FAILED;
      this.slotGeneration[slot]++; // its pending answer event is void
      const gen = this.slotGeneration[slot];
      inst.outstanding--;
      this.slotInstance[slot] = -1;
      this.recorder.stage(INSTANCE, now - this.slotArrive[slot], now - this.slotArrive[slot]);
      const m = ((now - this.origin) / 60_000) | 0;
      this.recorder.perMinute5xx[m]++;
      this.noteOutstanding(now);
      this.outstandingTotal--;
      const back = this.slotBackLeg[slot];
      this.slotWhere[slot] = 3;
      this.sim.at(now + back, K_BACK, slot, gen);
    }
  }

  private noteOutstanding(now: number): void {
    this.outstandingArea += this.outstandingTotal * (now - this.lastOutstandingChange);
    this.lastOutstandingChange = now;
  }

  private growSlots(cap: number): void {
    const old = this.cap;
    this.slotSent = grownTo(this.slotSent, cap);
    this.slotArrive = grownTo(this.slotArrive, cap);
    this.slotStart = grownTo(this.slotStart, cap);
    this.slotAnswered = grownTo(this.slotAnswered, cap);
    this.slotBackLeg = grownTo(this.slotBackLeg, cap);
    this.slotInstance = grownTo(this.slotInstance, cap);
    this.slotUser = grownTo(this.slotUser, cap);
    this.slotPhase = grownTo(this.slotPhase, cap);
    this.slotGeneration = grownTo(this.slotGeneration, cap);
    this.slotOutcome = grownTo(this.slotOutcome, cap);
    this.slotWhere = grownTo(this.slotWhere, cap);
    const free = new Int32Array(cap);
    free.set(this.freeSlots.subarray(0, this.freeTop));
    let top = this.freeTop;
    for (let s = cap - 1; s >= old; s--) free[top++] = s;
    this.freeSlots = free;
    this.freeTop = top;
    this.cap = cap;
  }
}
