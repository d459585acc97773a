import { H_BUCKETS, mergeRange, percentile } from '../model/histogram.js';
import { InstanceState } from '../model/fleet.js';
import { STAGES, STAGE_CLIENT, STAGE_INSTANCE } from '../model/recorder.js';
import type { RunResult } from '../run.js';

/** Rounds for reports: stable, readable numbers (JSON of a double is deterministic anyway). */
export function r3(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null;
}

export interface PhaseSummary {
  name: string;
  startSeconds: number;
  durationSeconds: number;
  sent: number;
  ok: number;
  errors: number;
  timeouts: number;
  throughputPerSecond: number | null;
  latencyMs: { mean: number | null; p50: number | null; p95: number | null; p99: number | null };
}

export interface Summary {
  scenario: string;
  description: string;
  seed: number;
  startTime: string;
  durationSeconds: number;
  instanceType: string;
  requests: {
    sent: number;
    completed: number;
    ok: number;
    errors: number;
    timeouts: number;
    rejected: number;
    throttled: number;
    failedWithInstance: number;
    inFlightAtEnd: number;
    errorRate: number | null;
  };
  throughput: { averagePerSecond: number | null; peakPerSecond: number };
  latencyMs: { mean: number | null; p50: number | null; p95: number | null; p99: number | null; max: number | null };
  phases: PhaseSummary[];
  instances: {
    initial: number;
    maxInService: number;
    maxDesired: number;
    finalInService: number;
    launched: number;
    failures: number;
    instanceMinutes: number | null;
    pricePerHour: number;
    cost: number | null;
  };
  cpuPerInstancePercent: { average: number | null; peakMinute: number | null; maxPossible: number };
  /**
   * Where a round trip's time went, stage by stage: mean time per request (wait + service), its
   * share of the mean round trip, the mean wait for a server, and utilisation: busy server time
   * over the servers' time (the client's servers; the instances' workers while in service);
   * null for a stage without servers (pure delay), whose meanInStage (Little's law: requests in
   * the stage on average) says how much it holds instead.
   */
  stages: { name: string; meanMs: number | null; shareOfRoundTrip: number | null; meanWaitMs: number | null; meanInStage: number | null; utilisation: number | null }[];
  scaling: {
    activities: number;
    scaleOuts: number;
    scaleIns: number;
    firstScaleOutAfterSeconds: number | null;
    timeToScaleSeconds: { mean: number | null; max: number | null };
    notScaled: number;
    /** Changes SageMaker refused while the endpoint was Updating (Failed activities). */
    refusedWhileUpdating: number;
  };
  slo: {
    p99Ms?: number;
    p95Ms?: number;
    errorRate?: number;
    minutesOverP99?: number;
    minutesOverP95?: number;
    minutesOverErrorRate?: number;
    minutesViolated: number;
    met: boolean | null;
  };
  engine: { fastEvents: number; slowEvents: number };
}

export function summarize(r: RunResult): Summary {
  const model = r.model;
  const m = model.recorder;
  const fleet = model.fleet;
  const sc = r.scenario;
  const P = sc.phases.length;
  const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
  const sent = sum(m.perPhaseSent);
  const ok = sum(m.perPhaseOk);
  const errors = sum(m.perPhaseErrors);
  const overall = mergeRange(m.perPhaseHistogram, P, P + 1);
  const okLatSum = sum(m.perPhaseLatencySum);
  const maxLat = m.maxLatency();
  const durS = sc.durationMs / 1000;

  const phases: PhaseSummary[] = sc.phases.map((p, i) => {
    const h = mergeRange(m.perPhaseHistogram, i, i + 1);
    const d = Math.min(p.durationMs, sc.durationMs - p.startMs) / 1000;
    return {
      name: p.name,
      startSeconds: p.startMs / 1000,
      durationSeconds: d,
      sent: m.perPhaseSent[i],
      ok: m.perPhaseOk[i],
      errors: m.perPhaseErrors[i],
      timeouts: m.perPhaseTimeouts[i],
      throughputPerSecond: d > 0 ? r3(m.perPhaseOk[i] / d) : null,
      latencyMs: {
        mean: r3(m.perPhaseLatencySum[i] / m.perPhaseOk[i]),
        p50: r3(percentile(h, 0, 0.5)),
        p95: r3(percentile(h, 0, 0.95)),
        p99: r3(percentile(h, 0, 0.99)),
      },
    };
  });

  // Instances and cost: billed from launch until terminated (or the end of the run).
  let instanceMs = 0;
  let failures = 0;
  for (const inst of fleet.instances) {
    const until = inst.state === InstanceState.Gone ? inst.goneAt : model.end;
    instanceMs += Math.max(0, Math.min(until, model.end) - inst.launchedAt);
    if (inst.failed) failures++;
  }
  const price = sc.serving.instance.pricePerHour;
  let maxInService = 0;
  let maxDesired = 0;
  const lastSec = Math.min(m.seconds - 1, Math.floor(sc.durationMs / 1000) - 1);
  for (let s = 0; s <= lastSec; s++) {
    maxInService = Math.max(maxInService, m.perSecondInService[s]);
    maxDesired = Math.max(maxDesired, m.perSecondDesired[s]);
  }

  // CPU per instance: the CloudWatch average over in-service instances, per minute.
  const fullMinutes = Math.floor(sc.durationMs / 60_000);
  let cpuSum = 0;
  let cpuN = 0;
  let cpuPeak = -Infinity;
  for (let k = 0; k < fullMinutes; k++) {
    const v = minuteCpu(r, k).avg;
    if (v === null) continue;
    cpuSum += v;
    cpuN++;
    cpuPeak = Math.max(cpuPeak, v);
  }

  const acts = r.activities.filter((a) => a.toCapacity !== a.fromCapacity);
  const outs = acts.filter((a) => a.toCapacity > a.fromCapacity);
  const finished = outs.filter((a) => a.EndTime !== undefined && a.StatusCode === 'Successful');
  const tts = finished.map((a) => (a.EndTime! - a.StartTime) / 1000);

  // SLO: minutes whose p99 / p95 / error rate broke the objective.
  const slo: Summary['slo'] = { minutesViolated: 0, met: null };
  if (sc.slo.p99Ms !== undefined || sc.slo.p95Ms !== undefined || sc.slo.errorRate !== undefined) {
    let o99 = 0;
    let o95 = 0;
    let oErr = 0;
    let any = 0;
    for (let k = 0; k < fullMinutes; k++) {
      const n = m.perMinuteOk[k];
      const done = n + m.perMinuteErrors[k];
      const v99 = sc.slo.p99Ms !== undefined && n > 0 && percentile(m.perMinuteHistogram, k * H_BUCKETS, 0.99, n) > sc.slo.p99Ms;
      const v95 = sc.slo.p95Ms !== undefined && n > 0 && percentile(m.perMinuteHistogram, k * H_BUCKETS, 0.95, n) > sc.slo.p95Ms;
      const vE = sc.slo.errorRate !== undefined && done > 0 && (m.perMinuteErrors[k]) / done > sc.slo.errorRate;
      o99 += +v99;
      o95 += +v95;
      oErr += +vE;
      any += +(v99 || v95 || vE);
    }
    if (sc.slo.p99Ms !== undefined) Object.assign(slo, { p99Ms: sc.slo.p99Ms, minutesOverP99: o99 });
    if (sc.slo.p95Ms !== undefined) Object.assign(slo, { p95Ms: sc.slo.p95Ms, minutesOverP95: o95 });
    if (sc.slo.errorRate !== undefined) Object.assign(slo, { errorRate: sc.slo.errorRate, minutesOverErrorRate: oErr });
    slo.minutesViolated = any;
    slo.met = any === 0;
  }

  // Stages: the instances' utilisation is busy worker time over worker time in service.
  let workerMs = 0;
  for (const inst of fleet.instances) {
    if (Number.isNaN(inst.inServiceAt)) continue;
    const until = Math.min(Number.isNaN(inst.leftServiceAt) ? model.end : inst.leftServiceAt, model.end);
    workerMs += Math.max(0, until - inst.inServiceAt) * inst.workers;
  }
  const busyMs = sum(m.perSecondBusy);
  const roundTripMean = m.completed > 0 ? m.completedLatencySum / m.completed : NaN;
  const durMs = sc.durationMs;
  const stages = STAGES.map((name, i) => {
    const n = m.perStageCount[i];
    const mean = n > 0 ? m.perStageTimeSum[i] / n : NaN;
    let utilisation: number | null = null;
    if (i === STAGE_INSTANCE) utilisation = workerMs > 0 ? r3(busyMs / workerMs) : null;
    else if (i === STAGE_CLIENT && Number.isFinite(sc.path.client.concurrency)) utilisation = r3(m.perStageBusy[i] / (sc.path.client.concurrency * durMs));
    return {
      name,
      meanMs: n > 0 ? r3(mean) : null,
      shareOfRoundTrip: n > 0 && roundTripMean > 0 ? r3(mean / roundTripMean) : null,
      meanWaitMs: n > 0 ? r3(m.perStageWaitSum[i] / n) : null,
      meanInStage: r3(m.perStageTimeSum[i] / durMs),
      utilisation,
    };
  });

  return {
    scenario: sc.name,
    description: sc.description,
    seed: sc.seed,
    startTime: new Date(sc.startMs).toISOString(),
    durationSeconds: durS,
    instanceType: sc.serving.instance.name,
    requests: {
      sent,
      completed: m.completed,
      ok,
      errors,
      timeouts: sum(m.perPhaseTimeouts),
      rejected: sum(m.perPhaseRejected),
      throttled: sum(m.perPhaseThrottled),
      failedWithInstance: sum(m.perPhaseFailed),
      inFlightAtEnd: sent - m.completed, // anywhere on the path (sent, not yet answered)
      errorRate: m.completed > 0 ? r3(errors / m.completed) : null,
    },
    throughput: { averagePerSecond: r3(ok / durS), peakPerSecond: m.perSecondOk.subarray(0, lastSec + 1).reduce((a, b) => Math.max(a, b), 0) },
    latencyMs: {
      mean: r3(okLatSum / ok),
      p50: r3(percentile(overall, 0, 0.5)),
      p95: r3(percentile(overall, 0, 0.95)),
      p99: r3(percentile(overall, 0, 0.99)),
      max: ok > 0 ? r3(maxLat) : null,
    },
    phases,
    instances: {
      initial: sc.serving.initialInstanceCount,
      maxInService,
      maxDesired,
      finalInService: m.perSecondInService[lastSec],
      launched: fleet.instances.length - sc.serving.initialInstanceCount,
      failures,
      instanceMinutes: r3(instanceMs / 60_000),
      pricePerHour: price,
      cost: r3((instanceMs / 3_600_000) * price),
    },
    cpuPerInstancePercent: {
      average: cpuN ? r3(cpuSum / cpuN) : null,
      peakMinute: cpuN ? r3(cpuPeak) : null,
      maxPossible: sc.serving.instance.vcpu * 100,
    },
    stages,
    scaling: {
      activities: r.activities.length,
      scaleOuts: outs.length,
      scaleIns: acts.length - outs.length,
      firstScaleOutAfterSeconds: outs.length ? (outs[0].StartTime - sc.startMs) / 1000 : null,
      timeToScaleSeconds: { mean: tts.length ? r3(tts.reduce((a, b) => a + b, 0) / tts.length) : null, max: tts.length ? r3(Math.max(...tts)) : null },
      notScaled: r.notScaled.length,
      refusedWhileUpdating: r.activities.filter((a) => a.StatusCode === 'Failed').length,
    },
    slo,
    engine: { fastEvents: r.fastEvents, slowEvents: r.slowEvents },
  };
}

/** CPUUtilization of minute k: average, max and min over the instances up in that minute. */
export function minuteCpu(r: RunResult, k: number): { avg: number | null; max: number | null; min: number | null; n: number } {
  const m = r.model;
  const from = m.origin + k * 60_000;
  let s = 0;
  let n = 0;
  let hi = -Infinity;
  let lo = Infinity;
  for (const inst of m.fleet.instances) {
    const v = m.fleet.instanceCpu(inst, from, from + 60_000, m.end);
    if (v === undefined) continue;
    s += v;
    n++;
    hi = Math.max(hi, v);
    lo = Math.min(lo, v);
  }
  return n ? { avg: s / n, max: hi, min: lo, n } : { avg: null, max: null, min: null, n: 0 };
}
