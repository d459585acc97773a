/**
 * Expected improvement (for minimisation, on the standardized scale) and its maximisation over the
 * unit cube. EI is computed in log space so that far from the incumbent, where EI underflows to 0,
 * the optimizer still sees a slope (Ament et al., "Unexpected Improvements to Expected Improvement
 * for Bayesian Optimization", NeurIPS 2023).
 */
import type { Rng } from '../../../core/random.js';
import type { GaussianProcess } from './gp.js';
import { minimizeBox } from './optimize.js';
import { assignmentKey, decode, snap, type EncodedSpace } from './space.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The scaled complementary error function, erfc(x) e^{x^2}, for x >= 0 (Numerical Recipes'
 * Chebyshev fit, relative error below 1.2e-7), so that tails never underflow.
 */
function erfcScaled(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  return (
    t *
    Math.exp(
      -1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  );
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const tail = 0.5 * erfcScaled(x) * Math.exp(-x * x);
  return z >= 0 ? 1 - tail : tail;
}

/** log(z Phi(z) + phi(z)), stable for every z. */
export function logH(z: number): number {
  if (z > -1) {
    const phi = Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
    return Math.log(z * normalCdf(z) + phi);
  }
  const t = -z;
  // h(z) = phi(t) (1 - t m(t)), m = Mills ratio Q(t)/phi(t) = sqrt(pi/2) erfcx(t/sqrt2).
  let oneMinusTm: number;
  if (t < 10) oneMinusTm = 1 - t * Math.sqrt(Math.PI / 2) * erfcScaled(t / Math.SQRT2);
  else {
    const u = 1 / (t * t);
    oneMinusTm = u * (1 - 3 * u + 15 * u * u - 105 * u * u * u);
  }
  return -0.5 * t * t - LOG_SQRT_2PI + Math.log(Math.max(oneMinusTm, 1e-300));
}

/** log EI at a point, for minimisation below `incumbent`. */
export function logExpectedImprovement(gp: GaussianProcess, point: ArrayLike<number>, incumbent: number): number {
  const { mean, variance } = gp.predict(point);
  const sigma = Math.sqrt(variance);
  return Math.log(sigma) + logH((incumbent - mean) / sigma);
}

/** log Phi(z), stable for very negative z. */
export function logNormalCdf(z: number): number {
  if (z >= 0) return Math.log(normalCdf(z));
  const x = -z / Math.SQRT2;
  return Math.log(0.5 * erfcScaled(x)) - x * x;
}

/** log EI and its gradient in the point's coordinates (d log h / dz = Phi(z) / h(z)). */
export function logExpectedImprovementWithGradient(gp: GaussianProcess, point: ArrayLike<number>, incumbent: number): { value: number; gradient: Float64Array } {
  const { mean, variance, dMean, dVariance } = gp.predictWithGradient(point);
  const sigma = Math.sqrt(variance);
  const z = (incumbent - mean) / sigma;
  const lh = logH(z);
  const ratio = Math.exp(logNormalCdf(z) - lh);
  const gradient = new Float64Array(dMean.length);
  for (let d = 0; d < dMean.length; d++) {
    const dSigmaOverSigma = variance > 1e-12 ? dVariance[d] / (2 * variance) : 0;
    const dz = -dMean[d] / sigma - z * dSigmaOverSigma;
    gradient[d] = dSigmaOverSigma + ratio * dz;
  }
  return { value: Math.log(sigma) + lh, gradient };
}

export interface MaximizeOptions {
  /**
   * The acquisition with its gradient (coordinates of the cube), for an L-BFGS refinement of the
   * numeric coordinates before the pattern search; without it only the pattern search runs.
   */
  withGradient?: (x: Float64Array) => { value: number; gradient: Float64Array };
  /** Points drawn uniformly from the cube. */
  randomCandidates?: number;
  /** Good points (e.g. the best observations) around which more candidates are drawn. */
  anchors?: Float64Array[];
  /** Assignment keys that must not be proposed (completed and pending configurations). */
  exclude?: Set<string>;
  /** How many of the best candidates are refined by local search. */
  refine?: number;
  /**
   * A trust region: numeric coordinates stay within `lower`..`upper` (vectors over the whole cube;
   * random candidates start from `center`); categories stay free, as a change of category is a
   * single step from the incumbent.
   */
  region?: { center: Float64Array; lower: Float64Array; upper: Float64Array };
}

/**
 * Maximise an acquisition over the space: random candidates plus perturbations of the anchors,
 * then a coordinate pattern search from the best few. Integers and categories are evaluated where
 * they will land (snapped), so the optimizer never credits a point that cannot be trained.
 * Returns the best point whose assignment is not excluded, or undefined if every one found is.
 */
export function maximizeAcquisition(
  space: EncodedSpace,
  acquisition: (x: Float64Array) => number,
  rng: Rng,
  { randomCandidates = 1000, anchors = [], exclude = new Set(), refine = 5, withGradient, region }: MaximizeOptions = {},
): Float64Array | undefined {
  const numeric: number[] = [];
  const categorical: { offset: number; size: number }[] = [];
  space.parameters.forEach((p, i) => {
    if (p.type === 'Categorical') categorical.push({ offset: space.offsets[i], size: p.values.length });
    else numeric.push(space.offsets[i]);
  });
  const lower = region?.lower ?? new Float64Array(space.dims);
  const upper = region?.upper ?? new Float64Array(space.dims).fill(1);
  const clamp = (d: number, v: number) => Math.min(upper[d], Math.max(lower[d], v));
  const score = (x: Float64Array) => {
    const v = acquisition(snap(space, x));
    return Number.isFinite(v) ? v : -Infinity;
  };
  const randomPoint = () => {
    const x = region ? Float64Array.from(region.center) : new Float64Array(space.dims);
    for (const d of numeric) x[d] = lower[d] + rng.next() * (upper[d] - lower[d]);
    for (const c of categorical) {
      for (let k = 0; k < c.size; k++) x[c.offset + k] = 0;
      x[c.offset + rng.int(c.size)] = 1;
    }
    return x;
  };
  const candidates: { x: Float64Array; value: number }[] = [];
  for (let i = 0; i < randomCandidates; i++) {
    const x = randomPoint();
    candidates.push({ x, value: score(x) });
  }
  for (const anchor of anchors) {
    for (let i = 0; i < 50; i++) {
      const x = Float64Array.from(anchor);
      const width = i < 25 ? 0.02 : 0.1;
      for (const d of numeric) x[d] = clamp(d, x[d] + width * rng.normal());
      if (categorical.length > 0 && rng.next() < 0.2) {
        const c = categorical[rng.int(categorical.length)];
        for (let k = 0; k < c.size; k++) x[c.offset + k] = 0;
        x[c.offset + rng.int(c.size)] = 1;
      }
      candidates.push({ x, value: score(x) });
    }
  }
  candidates.sort((a, b) => b.value - a.value);
  const refined: { x: Float64Array; value: number }[] = [];
  for (const start of candidates.slice(0, refine)) {
    let x = start.x;
    let value = start.value;
    if (withGradient && numeric.length > 0) {
      const polished = gradientRefine(x, withGradient, numeric, lower, upper);
      const v = score(polished);
      if (v > value) (x = polished), (value = v);
    }
    refined.push(patternSearch(x, value, score, numeric, categorical, clamp));
  }
  const pool = [...refined, ...candidates].sort((a, b) => b.value - a.value);
  for (const c of pool) {
    const x = snap(space, c.x);
    if (!exclude.has(assignmentKey(space.parameters, decode(space, x)))) return x;
  }
  return undefined;
}

/** L-BFGS on the numeric coordinates (others held), maximizing the unsnapped acquisition. */
function gradientRefine(
  x0: Float64Array,
  withGradient: NonNullable<MaximizeOptions['withGradient']>,
  numeric: number[],
  lower: Float64Array,
  upper: Float64Array,
): Float64Array {
  const full = Float64Array.from(x0);
  const r = minimizeBox(
    (z) => {
      for (let k = 0; k < numeric.length; k++) full[numeric[k]] = z[k];
      const { value, gradient } = withGradient(full);
      if (!Number.isFinite(value)) return { value: Infinity, gradient: new Float64Array(numeric.length) };
      return { value: -value, gradient: Float64Array.from(numeric, (d) => -gradient[d]) };
    },
    numeric.map((d) => x0[d]),
    numeric.map((d) => lower[d]),
    numeric.map((d) => upper[d]),
    { maxIterations: 100, tolerance: 1e-9 },
  );
  const out = Float64Array.from(x0);
  for (let k = 0; k < numeric.length; k++) out[numeric[k]] = r.x[k];
  return out;
}

function patternSearch(
  x0: Float64Array,
  value0: number,
  score: (x: Float64Array) => number,
  numeric: number[],
  categorical: { offset: number; size: number }[],
  clamp: (d: number, v: number) => number,
  maxEvaluations = 400,
): { x: Float64Array; value: number } {
  let x = Float64Array.from(x0);
  let value = value0;
  let evaluations = 0;
  for (let h = 0.1; h > 1e-4 && evaluations < maxEvaluations; ) {
    let improved = false;
    for (const d of numeric) {
      for (const sign of [1, -1]) {
        const y = Float64Array.from(x);
        y[d] = clamp(d, x[d] + sign * h);
        if (y[d] === x[d]) continue;
        const v = score(y);
        evaluations++;
        if (v > value) {
          (x = y), (value = v), (improved = true);
          break;
        }
      }
    }
    for (const c of categorical) {
      for (let k = 0; k < c.size; k++) {
        if (x[c.offset + k] === 1) continue;
        const y = Float64Array.from(x);
        for (let j = 0; j < c.size; j++) y[c.offset + j] = j === k ? 1 : 0;
        const v = score(y);
        evaluations++;
        if (v > value) (x = y), (value = v), (improved = true);
      }
    }
    if (!improved) h /= 2;
  }
  return { x, value };
}
