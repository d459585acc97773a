import { instanceProfile, INSTANCE_TYPES } from '../../../../core/instance-types.js';
import { percentile, mergeRange } from '../../../../simulator/model/histogram.js';

/**
 * Inference Recommender's load test, estimated: the model's latency is measured for real on this
 * machine (one request at a time), then the what-if simulator serves an open-loop Poisson load on
 * one instance of each candidate type, with that type's model-server workers (core/instance-types)
 * and the measured service-time percentiles, and finds the highest rate whose latency percentile
 * stays within the threshold. Prices are the instance profiles' on-demand prices.
 */
export interface MeasuredLatency {
  /** Milliseconds, sorted ascending. */
  samples: number[];
}

export interface Threshold {
  percentile: 'P50' | 'P90' | 'P95' | 'P99';
  ms: number;
}

export interface Estimate {
  instanceType: string;
  maxInvocationsPerMinute: number;
  /** Latency (ms) at that rate, the threshold's percentile. */
  modelLatencyMs: number;
  costPerHour: number;
  costPerInference: number;
  cpuUtilization: number;
}

/** Requests per simulated load test: enough for stable tail percentiles, few enough to stay fast. */
const REQUESTS_PER_TEST = 20_000;
const SEARCH_STEPS = 8;

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];

/** The measured latency as the simulator's percentile distribution. */
function serviceTime(m: MeasuredLatency) {
  const s = m.samples;
  const ms = (x: number) => `${Math.max(x, 0.001).toFixed(4)}ms`;
  return { distribution: 'percentiles', min: ms(s[0]), p50: ms(q(s, 0.5)), p90: ms(q(s, 0.9)), p99: ms(q(s, 0.99)), max: ms(s[s.length - 1]) };
}

/** The default threshold: queueing may at most double the measured tail (P95). */
export function defaultThreshold(m: MeasuredLatency): Threshold {
  return { percentile: 'P95', ms: 2 * q(m.samples, 0.95) };
}

/** One simulated load test: the latency percentile and the instance's utilization at `ratePerSecond`. */
function loadTest(sim: Simulator, instanceType: string, m: MeasuredLatency, ratePerSecond: number, p: number, seed: number): { latencyMs: number; utilization: number; ok: boolean } {
  const seconds = Math.max(1, REQUESTS_PER_TEST / ratePerSecond);
  const scenario = sim.parseScenario({
    name: 'inference-recommender',
    seed,
    endpoint: { name: 'recommendation', variant: 'AllTraffic' },
    traffic: { phases: [{ name: 'load', openLoop: { rate: ratePerSecond, duration: `${seconds.toFixed(3)}s` } }] },
    serving: { instanceType, initialInstanceCount: 1, serviceTime: serviceTime(m) },
  });
  const run = sim.runScenario(scenario);
  const rec = run.model.recorder;
  const h = mergeRange(rec.perPhaseHistogram, 0, 1);
  const ok = rec.perPhaseOk[0];
  const errors = rec.perPhaseErrors[0];
  const mean = m.samples.reduce((a, b) => a + b, 0) / m.samples.length;
  const workers = scenario.serving.concurrency;
  return { latencyMs: ok > 0 ? percentile(h, 0, p) : Infinity, utilization: Math.min(1, (ratePerSecond * mean) / 1000 / workers), ok: errors === 0 && ok > 0 };
}

/** The what-if simulator, loaded when a job first estimates (its scenario parser pulls in YAML and zod). */
type Simulator = typeof import('../../../../simulator/run.js') & typeof import('../../../../simulator/scenario.js');
let simulator: Promise<Simulator> | undefined;
function loadSimulator(): Promise<Simulator> {
  return (simulator ??= Promise.all([import('../../../../simulator/run.js'), import('../../../../simulator/scenario.js')]).then(([run, scenario]) => ({ ...run, ...scenario })));
}

export function knownInstanceType(type: string): boolean {
  return type in INSTANCE_TYPES;
}

/**
 * Bisects the rate, from a light load to the instance's capacity (workers / mean service time).
 * Each simulated load test is synchronous: the event loop gets a turn between them, so the
 * emulator keeps answering requests while a job estimates.
 */
export async function estimate(instanceType: string, m: MeasuredLatency, threshold: Threshold, maxInvocationsPerMinute?: number, seed = 1): Promise<Estimate> {
  const sim = await loadSimulator();
  const profile = instanceProfile(instanceType);
  const p = { P50: 0.5, P90: 0.9, P95: 0.95, P99: 0.99 }[threshold.percentile];
  const mean = m.samples.reduce((a, b) => a + b, 0) / m.samples.length;
  const capacity = (profile.modelServerWorkers * 1000) / mean;
  let lo = 0;
  let hi = capacity;
  let best = loadTest(sim, instanceType, m, capacity * 0.01, p, seed);
  let bestRate = capacity * 0.01;
  if (!(best.ok && best.latencyMs <= threshold.ms)) {
    // Even a light load misses the threshold: the model alone is slower than asked.
    lo = bestRate;
  } else {
    lo = bestRate;
    for (let i = 0; i < SEARCH_STEPS; i++) {
      await new Promise((ok) => setImmediate(ok));
      const rate = (lo + hi) / 2;
      const t = loadTest(sim, instanceType, m, rate, p, seed);
      if (t.ok && t.latencyMs <= threshold.ms) (lo = rate), (best = t), (bestRate = rate);
      else hi = rate;
    }
  }
  let perMinute = Math.max(1, Math.floor(bestRate * 60));
  if (maxInvocationsPerMinute !== undefined) perMinute = Math.min(perMinute, maxInvocationsPerMinute);
  const costPerHour = profile.pricePerHour;
  return {
    instanceType,
    maxInvocationsPerMinute: perMinute,
    modelLatencyMs: best.latencyMs,
    costPerHour,
    costPerInference: costPerHour / (perMinute * 60),
    cpuUtilization: Math.round(best.utilization * 10000) / 100,
  };
}
