import { runScenario, type RunResult } from './run.js';
import { parseScenario, type Scenario } from './scenario.js';
import { summarize, type Summary } from './report/summary.js';

/** A headline figure over replications: the mean and a 95 % confidence interval for it. */
export interface Interval {
  mean: number | null;
  low: number | null;
  high: number | null;
  /** Replications that had a value for this figure. */
  n: number;
}

/** The headline figures each replication reports, as paths into its Summary. */
export const HEADLINE_FIGURES: Record<string, (s: Summary) => number | null> = {
  throughputPerSecond: (s) => s.throughput.averagePerSecond,
  latencyMeanMs: (s) => s.latencyMs.mean,
  latencyP50Ms: (s) => s.latencyMs.p50,
  latencyP95Ms: (s) => s.latencyMs.p95,
  latencyP99Ms: (s) => s.latencyMs.p99,
  errors: (s) => s.requests.errors,
  maxInService: (s) => s.instances.maxInService,
  maxDesired: (s) => s.instances.maxDesired,
  finalInService: (s) => s.instances.finalInService,
  instanceMinutes: (s) => s.instances.instanceMinutes,
  cost: (s) => s.instances.cost,
  cpuPerInstanceAveragePercent: (s) => s.cpuPerInstancePercent.average,
  scaleOuts: (s) => s.scaling.scaleOuts,
  firstScaleOutAfterSeconds: (s) => s.scaling.firstScaleOutAfterSeconds,
  refusedWhileUpdating: (s) => s.scaling.refusedWhileUpdating,
};

export interface Replications {
  seeds: number[];
  /** Per figure: the value of each replication (null where it had none), in seed order. */
  values: Record<string, (number | null)[]>;
  intervals: Record<string, Interval>;
}

/**
 * Runs the scenario with `n` seeds (its own seed, then seed + 1, ...) and reports each headline
 * figure as the mean over replications with a 95 % confidence interval from Student's t
 * (independent replications: each seed draws every random stream afresh). Returns the first
 * replication's run too, for the full report.
 */
export function replicate(sc: Scenario, n: number): { first: RunResult; firstSummary: Summary; replications: Replications } {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error('replications must be an integer >= 1');
  const seeds = Array.from({ length: n }, (_, i) => sc.seed + i);
  const summaries: Summary[] = [];
  let first: RunResult | undefined;
  for (const seed of seeds) {
    const s = seed === sc.seed ? sc : parseScenario({ ...structuredClone(sc.raw), seed }, { baseDir: sc.baseDir, defaultName: sc.name });
    const r = runScenario(s);
    first ??= r;
    summaries.push(summarize(r));
  }
  const values: Record<string, (number | null)[]> = {};
  const intervals: Record<string, Interval> = {};
  for (const [name, get] of Object.entries(HEADLINE_FIGURES)) {
    values[name] = summaries.map(get);
    intervals[name] = interval(values[name]);
  }
  return { first: first!, firstSummary: summaries[0], replications: { seeds, values, intervals } };
}

/** Mean and 95 % confidence interval (Student's t) of the values that are not null. */
export function interval(xs: (number | null)[]): Interval {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: null, low: null, high: null, n };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean: round(mean), low: null, high: null, n };
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const half = tQuantile975(n - 1) * Math.sqrt(variance / n);
  return { mean: round(mean), low: round(mean - half), high: round(mean + half), n };
}

/** Student's t 0.975 quantile for `df` degrees of freedom (table to 30, then the normal limit's series). */
export function tQuantile975(df: number): number {
  const table = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
    2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
  ];
  if (df <= table.length) return table[df - 1];
  // Cornish–Fisher expansion around z = 1.959964: accurate to 1e-3 beyond 30 degrees of freedom.
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** "mean [low, high]" for terminals and tables. */
export function showInterval(i: Interval): string {
  if (i.mean === null) return '–';
  return i.low === null ? `${i.mean}` : `${i.mean} [${i.low}, ${i.high}]`;
}
