import { bucketOf, H_BUCKETS } from './histogram.js';

/** How a request ends, as its sender sees it. */
export const enum Outcome {
  Ok = 0,
  /** Waited in the instance's queue past the timeout. */
  Timeout = 1,
  /** No instance in service, or the instance's queue was full. */
  Rejected = 2,
  /** Its instance failed under it. */
  Failed = 3,
  /** Refused by the gateway's throttle (API Gateway answers 429 Too Many Requests). */
  Throttled = 4,
}

/** The stages of the request path, in the order a request crosses them. */
export const STAGES = ['client', 'network', 'gateway', 'instance'] as const;
export type StageName = (typeof STAGES)[number];
export const STAGE_CLIENT = 0;
export const STAGE_NETWORK = 1;
export const STAGE_GATEWAY = 2;
export const STAGE_INSTANCE = 3;

/**
 * Everything a run measures, in typed arrays indexed by whole seconds, whole minutes or phase:
 * - per second: what the load generator sees (sent, responses, round-trip latency) and the gauges
 *   sampled at the start of each second (users, instances, outstanding requests);
 * - per minute: the endpoint's CloudWatch aggregates (Invocations, InvocationsPerInstance,
 *   ModelLatency over the instance's part of the path, 5XX) and the round trip's histogram;
 * - per phase: outcome counts and the round trip's histogram (the last histogram is overall);
 * - per stage of the request path: time spent (and queue wait) summed over requests.
 * The model writes; the reports read.
 */
export class Recorder {
  readonly seconds: number;
  readonly minutes: number;

  readonly perSecondSent: Float64Array;
  /** Responses back at the sender (what JMeter calls hits). */
  readonly perSecondResponses: Float64Array;
  readonly perSecondOk: Float64Array;
  readonly perSecondErrors: Float64Array;
  readonly perSecondTimeouts: Float64Array;
  readonly perSecondLatencySum: Float64Array;
  readonly perSecondLatencyMax: Float64Array;
  /** Busy worker-milliseconds over all instances. */
  readonly perSecondBusy: Float64Array;
  readonly perSecondUsers: Float64Array;
  readonly perSecondInService: Float64Array;
  readonly perSecondPending: Float64Array;
  readonly perSecondDesired: Float64Array;
  /** Requests at the endpoint (routed to an instance, not yet answered). */
  readonly perSecondOutstanding: Float64Array;

  readonly perMinuteInvocations: Float64Array;
  /** Each invocation adds 1 / (instances in service when it arrived). */
  readonly perMinuteInvocationsPerInstance: Float64Array;
  readonly perMinuteModelLatencySum: Float64Array;
  readonly perMinuteModelLatencyCount: Float64Array;
  readonly perMinuteModelLatencyMin: Float64Array;
  readonly perMinuteModelLatencyMax: Float64Array;
  readonly perMinute5xx: Float64Array;
  readonly perMinuteTimeouts: Float64Array;
  readonly perMinuteRejected: Float64Array;
  readonly perMinuteThrottled: Float64Array;
  /** Round trips that ended OK in each minute, and their histogram (H_BUCKETS per minute). */
  readonly perMinuteOk: Float64Array;
  readonly perMinuteErrors: Float64Array;
  readonly perMinuteHistogram: Uint32Array;

  readonly perPhaseHistogram: Uint32Array;
  readonly perPhaseSent: Float64Array;
  readonly perPhaseOk: Float64Array;
  readonly perPhaseErrors: Float64Array;
  readonly perPhaseTimeouts: Float64Array;
  readonly perPhaseRejected: Float64Array;
  readonly perPhaseFailed: Float64Array;
  readonly perPhaseThrottled: Float64Array;
  readonly perPhaseLatencySum: Float64Array;

  /** Per stage: time spent (wait + service) and time waiting for a server, summed over requests. */
  readonly perStageTimeSum = new Float64Array(STAGES.length);
  readonly perStageWaitSum = new Float64Array(STAGES.length);
  readonly perStageCount = new Float64Array(STAGES.length);
  /** Busy server-milliseconds of the stages with servers (the client; the instances' are perSecondBusy). */
  readonly perStageBusy = new Float64Array(STAGES.length);

  /** Round trips completed (any outcome) and the sum of their latencies. */
  completed = 0;
  completedLatencySum = 0;

  constructor(
    readonly origin: number,
    durationMs: number,
    phases: number,
  ) {
    const S = (this.seconds = Math.ceil(durationMs / 1000) + 1);
    const M = (this.minutes = Math.ceil(durationMs / 60_000) + 1);
    const f = (n: number) => new Float64Array(n);
    this.perSecondSent = f(S);
    this.perSecondResponses = f(S);
    this.perSecondOk = f(S);
    this.perSecondErrors = f(S);
    this.perSecondTimeouts = f(S);
    this.perSecondLatencySum = f(S);
    this.perSecondLatencyMax = f(S);
    this.perSecondBusy = f(S);
    this.perSecondUsers = f(S);
    this.perSecondInService = f(S);
    this.perSecondPending = f(S);
    this.perSecondDesired = f(S);
    this.perSecondOutstanding = f(S);
    this.perMinuteInvocations = f(M);
    this.perMinuteInvocationsPerInstance = f(M);
    this.perMinuteModelLatencySum = f(M);
    this.perMinuteModelLatencyCount = f(M);
    this.perMinuteModelLatencyMin = f(M).fill(Infinity);
    this.perMinuteModelLatencyMax = f(M);
    this.perMinute5xx = f(M);
    this.perMinuteTimeouts = f(M);
    this.perMinuteRejected = f(M);
    this.perMinuteThrottled = f(M);
    this.perMinuteOk = f(M);
    this.perMinuteErrors = f(M);
    this.perMinuteHistogram = new Uint32Array(M * H_BUCKETS);
    this.perPhaseHistogram = new Uint32Array((phases + 1) * H_BUCKETS); // the last one is overall
    this.perPhaseSent = f(phases);
    this.perPhaseOk = f(phases);
    this.perPhaseErrors = f(phases);
    this.perPhaseTimeouts = f(phases);
    this.perPhaseRejected = f(phases);
    this.perPhaseFailed = f(phases);
    this.perPhaseThrottled = f(phases);
    this.perPhaseLatencySum = f(phases);
  }

  // The second and minute of the latest call: simulated time only moves forward, so nearly every
  // call lands in the cached one and skips a floating-point division (several per request).
  private secFrom = Infinity;
  private secTo = -Infinity;
  private sec = 0;
  private minFrom = Infinity;
  private minTo = -Infinity;
  private min = 0;

  private secondOf(now: number): number {
    if (now >= this.secFrom && now < this.secTo) return this.sec;
    const k = ((now - this.origin) / 1000) | 0;
    this.sec = k;
    this.secFrom = this.origin + k * 1000;
    this.secTo = this.secFrom + 1000;
    return k;
  }

  private minuteOf(now: number): number {
    if (now >= this.minFrom && now < this.minTo) return this.min;
    const k = ((now - this.origin) / 60_000) | 0;
    this.min = k;
    this.minFrom = this.origin + k * 60_000;
    this.minTo = this.minFrom + 60_000;
    return k;
  }

  sent(now: number, phase: number): void {
    this.perSecondSent[this.secondOf(now)]++;
    this.perPhaseSent[phase]++;
  }

  /** A request reached an instance of a fleet of `inService`. */
  invocation(now: number, inService: number): void {
    const m = this.minuteOf(now);
    this.perMinuteInvocations[m]++;
    this.perMinuteInvocationsPerInstance[m] += 1 / inService;
  }

  /** The endpoint answered (instance part of the path: queue wait + service); CloudWatch's view. */
  endpointAnswered(now: number, outcome: Outcome, instanceMs: number, routed: boolean): void {
    const m = this.minuteOf(now);
    if (outcome === Outcome.Ok) {
      this.perMinuteModelLatencySum[m] += instanceMs;
      this.perMinuteModelLatencyCount[m]++;
      if (instanceMs < this.perMinuteModelLatencyMin[m]) this.perMinuteModelLatencyMin[m] = instanceMs;
      if (instanceMs > this.perMinuteModelLatencyMax[m]) this.perMinuteModelLatencyMax[m] = instanceMs;
    } else if (outcome === Outcome.Timeout) {
      this.perMinuteTimeouts[m]++;
    } else if (outcome === Outcome.Rejected) {
      this.perMinuteRejected[m]++;
    } else if (outcome === Outcome.Throttled) {
      this.perMinuteThrottled[m]++;
    }
    if (outcome !== Outcome.Ok && outcome !== Outcome.Throttled && routed) this.perMinute5xx[m]++;
  }

  /** The response (or error) is back at the sender `latency` ms after it was sent. */
  roundTrip(now: number, phase: number, outcome: Outcome, latency: number): void {
    const sec = this.secondOf(now);
    const m = this.minuteOf(now);
    this.completed++;
    this.completedLatencySum += latency;
    this.perSecondResponses[sec]++;
    if (outcome === Outcome.Ok) {
      this.perSecondOk[sec]++;
      this.perSecondLatencySum[sec] += latency;
      if (latency > this.perSecondLatencyMax[sec]) this.perSecondLatencyMax[sec] = latency;
      const b = bucketOf(latency);
      this.perMinuteOk[m]++;
      this.perMinuteHistogram[m * H_BUCKETS + b]++;
      this.perPhaseHistogram[phase * H_BUCKETS + b]++;
      this.perPhaseHistogram[this.perPhaseSent.length * H_BUCKETS + b]++;
      this.perPhaseOk[phase]++;
      this.perPhaseLatencySum[phase] += latency;
      return;
    }
    this.perSecondErrors[sec]++;
    this.perMinuteErrors[m]++;
    this.perPhaseErrors[phase]++;
    if (outcome === Outcome.Timeout) {
      this.perSecondTimeouts[sec]++;
      this.perPhaseTimeouts[phase]++;
    } else if (outcome === Outcome.Rejected) this.perPhaseRejected[phase]++;
    else if (outcome === Outcome.Throttled) this.perPhaseThrottled[phase]++;
    else this.perPhaseFailed[phase]++;
  }

  stage(stage: number, timeMs: number, waitMs: number): void {
    this.perStageTimeSum[stage] += timeMs;
    this.perStageWaitSum[stage] += waitMs;
    this.perStageCount[stage]++;
  }

  /** Largest latency of an OK round trip, ms (0 when none). */
  maxLatency(): number {
    let max = 0;
    for (let i = 0; i < this.perSecondLatencyMax.length; i++) if (this.perSecondLatencyMax[i] > max) max = this.perSecondLatencyMax[i];
    return max;
  }
}
