/**
 * Box-constrained minimisation for the Gaussian process's hyperparameters: limited-memory BFGS
 * (two-loop recursion) with projection onto the box and Armijo backtracking. Small and
 * deterministic; the problems it sees have a handful to a few dozen variables.
 */

export type ValueAndGradient = (x: Float64Array) => { value: number; gradient: Float64Array };

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  iterations: number;
}

export function minimizeBox(
  f: ValueAndGradient,
  x0: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  { maxIterations = 100, memory = 8, tolerance = 1e-7 } = {},
): MinimizeResult {
  const n = x0.length;
  const project = (x: Float64Array) => {
    for (let i = 0; i < n; i++) x[i] = Math.min(upper[i], Math.max(lower[i], x[i]));
    return x;
  };
  let x = project(Float64Array.from(x0));
  let { value, gradient } = f(x);
  if (!Number.isFinite(value)) return { x, value, iterations: 0 };
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    // Projected gradient norm: stop when no descent is possible inside the box.
    let pg = 0;
    for (let i = 0; i < n; i++) {
      const step = Math.min(upper[i], Math.max(lower[i], x[i] - gradient[i])) - x[i];
      pg = Math.max(pg, Math.abs(step));
    }
    if (pg < tolerance) break;
    const direction = twoLoop(gradient, ss, ys);
    // Variables pinned at a bound with the direction pushing outwards do not move.
    for (let i = 0; i < n; i++) {
      if ((x[i] <= lower[i] && direction[i] < 0) || (x[i] >= upper[i] && direction[i] > 0)) direction[i] = 0;
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += direction[i] * gradient[i];
    if (!(slope < 0)) {
      // Not a descent direction (stale curvature pairs): restart from steepest descent.
      ss.length = 0;
      ys.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -gradient[i];
      slope = 0;
      for (let i = 0; i < n; i++) slope += direction[i] * gradient[i];
      if (!(slope < 0)) break;
    }
    let t = 1;
    let accepted: { x: Float64Array; value: number; gradient: Float64Array } | undefined;
    for (let k = 0; k < 30; k++, t *= 0.5) {
      const trial = project(x.map((xi, i) => xi + t * direction[i]));
      const r = f(trial);
      let decrease = 0;
      for (let i = 0; i < n; i++) decrease += gradient[i] * (trial[i] - x[i]);
      if (Number.isFinite(r.value) && r.value <= value + 1e-4 * decrease) {
        accepted = { x: trial, value: r.value, gradient: r.gradient };
        break;
      }
    }
    if (!accepted) break;
    const s = accepted.x.map((v, i) => v - x[i]);
    const y = accepted.gradient.map((v, i) => v - gradient[i]);
    let sy = 0;
    for (let i = 0; i < n; i++) sy += s[i] * y[i];
    if (sy > 1e-12) {
      ss.push(s);
      ys.push(y);
      if (ss.length > memory) (ss.shift(), ys.shift());
    }
    const improvement = value - accepted.value;
    x = accepted.x;
    value = accepted.value;
    gradient = accepted.gradient;
    if (improvement < tolerance * Math.max(1, Math.abs(value))) break;
  }
  return { x, value, iterations };
}

function twoLoop(gradient: Float64Array, ss: Float64Array[], ys: Float64Array[]): Float64Array {
  const q = Float64Array.from(gradient);
  const m = ss.length;
  const alpha = new Float64Array(m);
  const rho = new Float64Array(m);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  };
  for (let k = m - 1; k >= 0; k--) {
    rho[k] = 1 / dot(ys[k], ss[k]);
    alpha[k] = rho[k] * dot(ss[k], q);
    for (let i = 0; i < q.length; i++) q[i] -= alpha[k] * ys[k][i];
  }
  const gamma = m > 0 ? dot(ss[m - 1], ys[m - 1]) / dot(ys[m - 1], ys[m - 1]) : 1 / Math.max(1, Math.sqrt(dot(gradient, gradient)));
  for (let i = 0; i < q.length; i++) q[i] *= gamma;
  for (let k = 0; k < m; k++) {
    const beta = rho[k] * dot(ys[k], q);
    for (let i = 0; i < q.length; i++) q[i] += ss[k][i] * (alpha[k] - beta);
  }
  for (let i = 0; i < q.length; i++) q[i] = -q[i];
  return q;
}
