import type { Rng } from '../core/random.js';
import { parseDurationMs, ScenarioError } from './units.js';

/**
 * Distributions of durations (service times, think times, warm-ups, replacement times), as a
 * scenario writes them:
 *   3ms                                                 constant
 *   { distribution: constant, value: 3ms }
 *   { distribution: exponential, mean: 3.3ms }
 *   { distribution: uniform, min: 5m, max: 7m }
 *   { distribution: lognormal, median: 3ms, sigma: 0.5 }  (or mean: instead of median:)
 *   { distribution: lognormal, p50: 3ms, p99: 9ms }
 *   { distribution: percentiles, min: 1ms, p50: 3ms, p90: 5ms, p99: 9ms, max: 30ms }
 *     (measured percentiles: the inverse CDF is linear between the given points)
 * All values come out in milliseconds.
 */
export type DistributionSpec = number | string | Record<string, unknown>;

export interface Distribution {
  readonly kind: 'constant' | 'exponential' | 'uniform' | 'lognormal' | 'percentiles';
  /** Mean in ms (analytic). */
  readonly mean: number;
  /** A sampler bound to one random stream; returns ms. */
  sampler(rng: Rng): () => number;
  /** One line for reports. */
  describe(): string;
}

const Z99 = 2.3263478740408408; // standard normal quantile at 0.99

export function parseDistribution(spec: unknown, where: string): Distribution {
  if (typeof spec === 'number' || typeof spec === 'string') return constant(parseDurationMs(spec, where));
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new ScenarioError(where, 'must be a duration or { distribution: constant|exponential|uniform|lognormal|percentiles, ... }');
  }
  const o = spec as Record<string, unknown>;
  const d = (k: string) => parseDurationMs(o[k], `${where}.${k}`);
  const known = (keys: string[]) => {
    for (const k of Object.keys(o)) {
      if (k !== 'distribution' && !keys.includes(k) && !(o.distribution === 'percentiles' && /^p\d+(\.\d+)?$/.test(k))) {
        throw new ScenarioError(`${where}.${k}`, `is not a field of a ${String(o.distribution)} distribution (fields: ${keys.join(', ')})`);
      }
    }
  };
  switch (o.distribution) {
    case 'constant':
      known(['value']);
      return constant(d('value'));
    case 'exponential': {
      known(['mean']);
      const mean = d('mean');
      if (!(mean > 0)) throw new ScenarioError(`${where}.mean`, 'must be > 0');
      return {
        kind: 'exponential',
        mean,
        sampler: (rng) => () => -mean * Math.log(rng.next()),
        describe: () => `exponential, mean ${fmtMs(mean)}`,
      };
    }
    case 'uniform': {
      known(['min', 'max']);
      const min = d('min');
      const max = d('max');
      if (max < min) throw new ScenarioError(`${where}.max`, 'must be >= min');
      const span = max - min;
      return {
        kind: 'uniform',
        mean: (min + max) / 2,
        sampler: (rng) => () => min + span * rng.next(),
        describe: () => `uniform ${fmtMs(min)} to ${fmtMs(max)}`,
      };
    }
    case 'lognormal': {
      known(['median', 'mean', 'sigma', 'p50', 'p99']);
      let mu: number;
      let sigma: number;
      if (o.p50 !== undefined || o.p99 !== undefined) {
        const p50 = d('p50');
        const p99 = d('p99');
        if (!(p50 > 0) || !(p99 > p50)) throw new ScenarioError(where, 'lognormal needs 0 < p50 < p99');
        mu = Math.log(p50);
        sigma = Math.log(p99 / p50) / Z99;
      } else {
        sigma = Number(o.sigma);
        if (!(sigma >= 0)) throw new ScenarioError(`${where}.sigma`, 'must be a number >= 0');
        if (o.median !== undefined) mu = Math.log(d('median'));
        else if (o.mean !== undefined) mu = Math.log(d('mean')) - (sigma * sigma) / 2;
        else throw new ScenarioError(where, 'lognormal needs median or mean (with sigma), or p50 and p99');
        if (!Number.isFinite(mu)) throw new ScenarioError(where, 'lognormal median/mean must be > 0');
      }
      const mean = Math.exp(mu + (sigma * sigma) / 2);
      return {
        kind: 'lognormal',
        mean,
        sampler: (rng) => () => Math.exp(mu + sigma * rng.normal()),
        describe: () => `lognormal, median ${fmtMs(Math.exp(mu))}, sigma ${round(sigma, 4)} (mean ${fmtMs(mean)})`,
      };
    }
    case 'percentiles': {
      const points: [number, number][] = [];
      for (const [k, v] of Object.entries(o)) {
        if (k === 'distribution') continue;
        const q = k === 'min' ? 0 : k === 'max' ? 1 : /^p(\d+(?:\.\d+)?)$/.test(k) ? Number(k.slice(1)) / 100 : NaN;
        if (!(q >= 0 && q <= 1)) throw new ScenarioError(`${where}.${k}`, 'percentile keys are min, max or p<0-100>, e.g. p99.9');
        points.push([q, parseDurationMs(v, `${where}.${k}`)]);
      }
      points.sort((a, b) => a[0] - b[0]);
      if (points.length < 2 || points[0][0] !== 0 || points[points.length - 1][0] !== 1) {
        throw new ScenarioError(where, 'measured percentiles need at least min and max, e.g. { min: 1ms, p50: 3ms, p99: 9ms, max: 30ms }');
      }
      for (let i = 1; i < points.length; i++) {
        if (points[i][1] < points[i - 1][1]) throw new ScenarioError(where, 'percentile values must not decrease');
      }
      const qs = Float64Array.from(points, (p) => p[0]);
      const vs = Float64Array.from(points, (p) => p[1]);
      let mean = 0;
      for (let i = 1; i < qs.length; i++) mean += ((qs[i] - qs[i - 1]) * (vs[i] + vs[i - 1])) / 2;
      return {
        kind: 'percentiles',
        mean,
        sampler: (rng) => () => {
          const u = rng.next();
          let i = 1;
          while (qs[i] < u) i++;
          const f = (u - qs[i - 1]) / (qs[i] - qs[i - 1]);
          return vs[i - 1] + f * (vs[i] - vs[i - 1]);
        },
        describe: () => `measured percentiles ${points.map(([q, v]) => `p${round(q * 100, 3)}=${fmtMs(v)}`).join(' ')}`,
      };
    }
    default:
      throw new ScenarioError(`${where}.distribution`, `must be one of constant, exponential, uniform, lognormal, percentiles; got ${JSON.stringify(o.distribution)}`);
  }
}

export function constant(value: number): Distribution {
  return { kind: 'constant', mean: value, sampler: () => () => value, describe: () => `constant ${fmtMs(value)}` };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function fmtMs(ms: number): string {
  if (ms >= 60_000 && ms % 1000 === 0) return `${round(ms / 60_000, 3)} min`;
  if (ms >= 1000) return `${round(ms / 1000, 3)} s`;
  return `${round(ms, 4)} ms`;
}
