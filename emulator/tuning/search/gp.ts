/**
 * Gaussian-process regression with a Matérn 5/2 kernel and automatic relevance determination (one
 * lengthscale per input coordinate), as the Bayesian strategy of SageMaker automatic model tuning
 * is described (Perrone et al., "Amazon SageMaker Automatic Model Tuning: Scalable Gradient-Free
 * Optimization", KDD 2021). Inputs live in the unit cube, outputs are standardized by the caller.
 *
 * The kernel's hyperparameters are point estimates: the maximum of the marginal likelihood times
 * a weak prior (MAP), found by L-BFGS from several starts. The priors keep the fit sane with few
 * points: lengthscales around the size of the cube, signal variance around the standardized
 * output's, noise small (objectives are often nearly deterministic) but free to grow.
 */
import type { Rng } from '../../../core/random.js';
import { cholesky, cholInverse, cholLogDet, cholSolve, solveLower, solveUpperT } from './linalg.js';
import { minimizeBox } from './optimize.js';

const SQRT5 = Math.sqrt(5);

export interface GpHyperparameters {
  lengthscales: Float64Array;
  signal: number;
  noise: number;
}

/** Bounds of the log hyperparameters: [log lengthscale x dims, log signal, log noise]. */
const LOG_LENGTH = [Math.log(0.01), Math.log(100)];
const LOG_SIGNAL = [Math.log(0.01), Math.log(100)];
export const MIN_NOISE = 1e-6;
const LOG_NOISE = [Math.log(MIN_NOISE), Math.log(1)];
/**
 * Rate of the Gamma(1.1, rate) prior on the noise variance (standardized scale): mean 3.7e-3, a
 * noise standard deviation of ~6% of the objective's spread, which the data can still raise. A
 * weaker prior (rate 30) let the fit explain real structure as noise on nearly deterministic
 * objectives and converge less tightly (measured with npm run bench:tune:search).
 */
const NOISE_PRIOR_RATE = 300;

function matern(r: number): number {
  const s = SQRT5 * r;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

function scaledDistance(a: ArrayLike<number>, b: ArrayLike<number>, lengthscales: ArrayLike<number>): number {
  let r2 = 0;
  for (let d = 0; d < lengthscales.length; d++) {
    const t = (a[d] - b[d]) / lengthscales[d];
    r2 += t * t;
  }
  return Math.sqrt(r2);
}

export class GaussianProcess {
  readonly n: number;
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;

  constructor(
    readonly x: Float64Array[],
    readonly y: Float64Array,
    readonly hyper: GpHyperparameters,
  ) {
    const n = (this.n = x.length);
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const v = hyper.signal * matern(scaledDistance(x[i], x[j], hyper.lengthscales));
        k[i * n + j] = v;
        k[j * n + i] = v;
      }
      k[i * n + i] += hyper.noise;
    }
    this.l = cholesky(k, n).l;
    this.alpha = cholSolve(this.l, n, y);
  }

  /** Posterior mean and variance of the latent function (noise excluded) at a point. */
  predict(point: ArrayLike<number>): { mean: number; variance: number } {
    const n = this.n;
    const kStar = new Float64Array(n);
    let mean = 0;
    for (let i = 0; i < n; i++) {
      kStar[i] = this.hyper.signal * matern(scaledDistance(point, this.x[i], this.hyper.lengthscales));
      mean += kStar[i] * this.alpha[i];
    }
    const v = solveLower(this.l, n, kStar);
    let reduction = 0;
    for (let i = 0; i < n; i++) reduction += v[i] * v[i];
    return { mean, variance: Math.max(this.hyper.signal - reduction, 1e-12) };
  }

  /**
   * Mean and variance with their gradients with respect to the point's coordinates, for the
   * acquisition's gradient-based refinement. dk_i/dx_d = -signal 5/3 (1 + sqrt5 r) e^{-sqrt5 r}
   * (x_d - X_id) / l_d^2 (no singularity at r = 0).
   */
  predictWithGradient(point: ArrayLike<number>): { mean: number; variance: number; dMean: Float64Array; dVariance: Float64Array } {
    const n = this.n;
    const dims = this.hyper.lengthscales.length;
    const kStar = new Float64Array(n);
    const dk = new Float64Array(n * dims);
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const r = scaledDistance(point, this.x[i], this.hyper.lengthscales);
      const e = Math.exp(-SQRT5 * r);
      kStar[i] = this.hyper.signal * (1 + SQRT5 * r + (5 / 3) * r * r) * e;
      mean += kStar[i] * this.alpha[i];
      const c = -this.hyper.signal * (5 / 3) * (1 + SQRT5 * r) * e;
      for (let d = 0; d < dims; d++) {
        const l = this.hyper.lengthscales[d];
        dk[i * dims + d] = (c * (point[d] - this.x[i][d])) / (l * l);
      }
    }
    const v = solveLower(this.l, n, kStar);
    let reduction = 0;
    for (let i = 0; i < n; i++) reduction += v[i] * v[i];
    const kInvK = solveUpperT(this.l, n, v);
    const dMean = new Float64Array(dims);
    const dVariance = new Float64Array(dims);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dims; d++) {
        dMean[d] += this.alpha[i] * dk[i * dims + d];
        dVariance[d] -= 2 * kInvK[i] * dk[i * dims + d];
      }
    }
    return { mean, variance: Math.max(this.hyper.signal - reduction, 1e-12), dMean, dVariance };
  }

  /** The same model with more (fantasized) observations, hyperparameters unchanged. */
  condition(points: Float64Array[], values: number[]): GaussianProcess {
    return new GaussianProcess([...this.x, ...points], Float64Array.from([...this.y, ...values]), this.hyper);
  }
}

/**
 * Negative log posterior of the log hyperparameters theta = [log lengthscales, log signal, log
 * noise] and its gradient. Priors: on each inverse squared lengthscale u = 1/l^2, log p = -(0.1/u +
 * 0.1 u) (mode at l = 1, the cube's side); signal ~ Gamma(2, 1); noise ~ Gamma(1.1, 300).
 */
export function negativeLogPosterior(x: Float64Array[], y: Float64Array, theta: Float64Array): { value: number; gradient: Float64Array } {
  const n = x.length;
  const dims = theta.length - 2;
  const lengthscales = theta.subarray(0, dims).map(Math.exp);
  const signal = Math.exp(theta[dims]);
  const noise = Math.exp(theta[dims + 1]);
  // Pairwise scaled squared differences per dimension are reused by every gradient entry.
  const k = new Float64Array(n * n);
  const dk = new Float64Array(n * n); // signal * 5/3 (1 + sqrt5 r) e^{-sqrt5 r}: d k / d(log l_d) = dk * diff_d^2 / l_d^2
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const r = scaledDistance(x[i], x[j], lengthscales);
      const e = Math.exp(-SQRT5 * r);
      const kv = signal * (1 + SQRT5 * r + (5 / 3) * r * r) * e;
      const dv = signal * (5 / 3) * (1 + SQRT5 * r) * e;
      k[i * n + j] = k[j * n + i] = kv;
      dk[i * n + j] = dk[j * n + i] = dv;
    }
    k[i * n + i] += noise;
  }
  let l: Float64Array;
  try {
    l = cholesky(k, n).l;
  } catch {
    return { value: Infinity, gradient: new Float64Array(theta.length) };
  }
  const alpha = cholSolve(l, n, y);
  let fit = 0;
  for (let i = 0; i < n; i++) fit += y[i] * alpha[i];
  let value = 0.5 * fit + 0.5 * cholLogDet(l, n) + 0.5 * n * Math.log(2 * Math.PI);
  // W = alpha alpha^T - K^-1; d(-log ML)/d theta_p = -0.5 sum W .* dK/d theta_p.
  const w = cholInverse(l, n);
  for (let i = 0; i < n * n; i++) w[i] = alpha[Math.floor(i / n)] * alpha[i % n] - w[i];
  const gradient = new Float64Array(theta.length);
  for (let d = 0; d < dims; d++) {
    const inv2 = 1 / (lengthscales[d] * lengthscales[d]);
    let s = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const diff = x[i][d] - x[j][d];
        s += 2 * w[i * n + j] * dk[i * n + j] * diff * diff * inv2;
      }
    }
    gradient[d] = -0.5 * s;
  }
  let sSignal = 0;
  let sNoise = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) sSignal += w[i * n + j] * (k[i * n + j] - (i === j ? noise : 0));
    sNoise += w[i * n + i] * noise;
  }
  gradient[dims] = -0.5 * sSignal;
  gradient[dims + 1] = -0.5 * sNoise;
  // Priors (as negative log densities in theta).
  for (let d = 0; d < dims; d++) {
    const u = Math.exp(-2 * theta[d]);
    value += 0.1 / u + 0.1 * u;
    gradient[d] += 0.2 / u - 0.2 * u;
  }
  value -= theta[dims] - signal;
  gradient[dims] -= 1 - signal;
  value -= 0.1 * theta[dims + 1] - NOISE_PRIOR_RATE * noise;
  gradient[dims + 1] -= 0.1 - NOISE_PRIOR_RATE * noise;
  return { value, gradient };
}

/** MAP hyperparameters from a few starts (a fixed one, then draws from `rng`). */
export function fitHyperparameters(x: Float64Array[], y: Float64Array, rng: Rng, starts = 3): GpHyperparameters {
  const dims = x[0].length;
  const lower = new Float64Array(dims + 2);
  const upper = new Float64Array(dims + 2);
  for (let d = 0; d < dims; d++) (lower[d] = LOG_LENGTH[0]), (upper[d] = LOG_LENGTH[1]);
  (lower[dims] = LOG_SIGNAL[0]), (upper[dims] = LOG_SIGNAL[1]);
  (lower[dims + 1] = LOG_NOISE[0]), (upper[dims + 1] = LOG_NOISE[1]);
  let best: { x: Float64Array; value: number } | undefined;
  for (let s = 0; s < starts; s++) {
    const theta0 = new Float64Array(dims + 2);
    for (let d = 0; d < dims; d++) theta0[d] = s === 0 ? Math.log(0.5) : Math.log(0.1) + rng.next() * Math.log(30);
    theta0[dims] = s === 0 ? 0 : Math.log(0.3) + rng.next() * Math.log(10);
    theta0[dims + 1] = s === 0 ? Math.log(1e-3) : Math.log(1e-5) + rng.next() * Math.log(1e4);
    const r = minimizeBox((t) => negativeLogPosterior(x, y, t), theta0, lower, upper, { maxIterations: 80 });
    if (Number.isFinite(r.value) && (!best || r.value < best.value)) best = r;
  }
  const theta = best?.x ?? Float64Array.from([...new Array(dims).fill(Math.log(0.5)), 0, Math.log(1e-3)]);
  return {
    lengthscales: theta.slice(0, dims).map(Math.exp),
    signal: Math.exp(theta[dims]),
    noise: Math.exp(theta[dims + 1]),
  };
}
