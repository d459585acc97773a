/**
 * The small dense linear algebra the Gaussian process needs, on row-major Float64Array: Cholesky
 * with jitter, triangular solves, the inverse from the factor. Hand-written rather than a matrix
 * library because at the sizes a tuning job has (tens to a few hundred observations) allocation
 * and boxing dominate; test/bench/tune-linalg.ts measures both (see the report in that file).
 */

/**
 * Lower Cholesky factor of the symmetric positive-definite n x n matrix `a` (only its lower
 * triangle is read), in a new array. Adds growing diagonal jitter when the matrix is numerically
 * singular (duplicate or near-duplicate inputs); returns the jitter used.
 */
export function cholesky(a: Float64Array, n: number): { l: Float64Array; jitter: number } {
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[i * n + i]));
  for (let attempt = 0, jitter = 0; attempt < 8; attempt++, jitter = jitter === 0 ? 1e-10 * (scale || 1) : jitter * 10) {
    const l = tryCholesky(a, n, jitter);
    if (l) return { l, jitter };
  }
  throw new Error('matrix is not positive definite, even with jitter');
}

function tryCholesky(a: Float64Array, n: number, jitter: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j] + jitter;
    for (let k = 0; k < j; k++) d -= l[rj + k] * l[rj + k];
    if (!(d > 0)) return undefined;
    const djj = Math.sqrt(d);
    l[rj + j] = djj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= l[ri + k] * l[rj + k];
      l[ri + j] = s / djj;
    }
  }
  return l;
}

/** Solves L x = b (L lower triangular), in a new array. */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * x[k];
    x[i] = s / l[ri + i];
  }
  return x;
}

/** Solves L^T x = b (L lower triangular), in a new array. */
export function solveUpperT(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** Solves (L L^T) x = b. */
export function cholSolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  return solveUpperT(l, n, solveLower(l, n, b));
}

/** (L L^T)^-1 as a full symmetric matrix. */
export function cholInverse(l: Float64Array, n: number): Float64Array {
  // Invert L (lower), then A^-1 = L^-T L^-1.
  const li = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    li[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * n + k] * li[k * n + j];
      li[i * n + j] = s / l[i * n + i];
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/** log det(L L^T). */
export function cholLogDet(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]);
  return 2 * s;
}
