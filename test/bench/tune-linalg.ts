/**
 * Why the Gaussian process of the Bayesian tuner runs on its own small kernel
 * (emulator/tuning/search/linalg.ts) and not on a matrix library: the work of one marginal-
 * likelihood evaluation (Cholesky of the kernel matrix, a solve, the inverse for the gradient,
 * the log-determinant), timed on both, for the sizes a tuning job has, and checked to agree.
 *
 * The library side needs ml-matrix, which the project does not depend on:
 *   npm install --no-save ml-matrix && npx tsx test/bench/tune-linalg.ts
 */
import { Rng } from '../../core/random.js';
import { cholesky, cholInverse, cholLogDet, cholSolve } from '../../emulator/tuning/search/linalg.js';

/** The part of ml-matrix used here (typed locally: the package is not a dependency). */
interface Mat {
  get(i: number, j: number): number;
}
interface MlMatrix {
  Matrix: { new (rows: number[][]): Mat; columnVector(v: number[]): Mat; eye(r: number, c: number): Mat };
  CholeskyDecomposition: new (m: Mat) => { solve(b: Mat): Mat; lowerTriangularMatrix: Mat };
}
let ml: MlMatrix | undefined;
try {
  const name = 'ml-matrix';
  ml = (await import(name)) as MlMatrix;
} catch {
  console.log('ml-matrix is not installed: npm install --no-save ml-matrix   (timing only the hand kernel)');
}

function kernelMatrix(n: number, d: number, seed: number): Float64Array {
  const rng = new Rng(seed, 1);
  const x = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next()));
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let r2 = 0;
      for (let c = 0; c < d; c++) r2 += ((x[i][c] - x[j][c]) / 0.3) ** 2;
      const r = Math.sqrt(5 * r2);
      k[i * n + j] = (1 + r + (r * r) / 3) * Math.exp(-r) + (i === j ? 1e-4 : 0);
    }
  }
  return k;
}

function time(fn: () => number, minMs = 300): { us: number; value: number } {
  let value = fn();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) (value = fn()), reps++;
  return { us: ((performance.now() - t0) * 1000) / reps, value };
}

console.log('one marginal-likelihood evaluation (Cholesky, solve, inverse, log det), microseconds');
console.log('   n   hand kernel   ml-matrix   ratio (ml/hand)   |logdet diff|');
for (const n of [10, 30, 100, 300]) {
  const k = kernelMatrix(n, 6, n);
  const y = Array.from({ length: n }, (_, i) => Math.sin(i));
  const hand = time(() => {
    const { l } = cholesky(k, n);
    const alpha = cholSolve(l, n, y);
    const inv = cholInverse(l, n);
    return cholLogDet(l, n) + alpha[0] + inv[0];
  });
  let libUs = NaN;
  let diff = NaN;
  if (ml) {
    const { Matrix, CholeskyDecomposition } = ml;
    const rows = Array.from({ length: n }, (_, i) => Array.from(k.subarray(i * n, (i + 1) * n)));
    const km = new Matrix(rows);
    const ym = Matrix.columnVector(y);
    const eye = Matrix.eye(n, n);
    const lib = time(() => {
      const c = new CholeskyDecomposition(km);
      const alpha = c.solve(ym);
      const inv = c.solve(eye);
      const l = c.lowerTriangularMatrix;
      let ld = 0;
      for (let i = 0; i < n; i++) ld += 2 * Math.log(l.get(i, i));
      return ld + alpha.get(0, 0) + inv.get(0, 0);
    });
    libUs = lib.us;
    diff = Math.abs(lib.value - hand.value);
  }
  console.log(
    `${String(n).padStart(4)}   ${hand.us.toFixed(1).padStart(11)}   ${libUs.toFixed(1).padStart(9)}   ${(libUs / hand.us).toFixed(2).padStart(15)}   ${diff.toExponential(1)}`,
  );
}
