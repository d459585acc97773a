/** Seeded synthetic data sets whose right answers are known. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export interface Dataset {
  x: number[][];
  y: number[];
}

/** Linearly separable with a margin: label = [w·x + b > 0], points near the plane dropped. */
export function separableBinary(n: number, d: number, seed: number): Dataset & { w: number[]; b: number } {
  const rand = mulberry32(seed);
  const w = Array.from({ length: d }, () => gaussian(rand));
  const b = 0.3;
  const norm = Math.hypot(...w);
  const x: number[][] = [];
  const y: number[] = [];
  while (x.length < n) {
    const row = Array.from({ length: d }, () => gaussian(rand) * 2);
    const margin = (row.reduce((s, v, i) => s + v * w[i], 0) + b) / norm;
    if (Math.abs(margin) < 0.2) continue;
    x.push(row);
    y.push(margin > 0 ? 1 : 0);
  }
  return { x, y, w, b };
}

/** Noiseless y = w·x + b: least squares recovers w and b exactly. */
export function linearRegression(n: number, d: number, seed: number): Dataset & { w: number[]; b: number } {
  const rand = mulberry32(seed);
  const w = Array.from({ length: d }, () => Math.round(gaussian(rand) * 300) / 100);
  const b = 1.5;
  const x = Array.from({ length: n }, () => Array.from({ length: d }, () => gaussian(rand)));
  const y = x.map((row) => row.reduce((s, v, i) => s + v * w[i], b));
  return { x, y, w, b };
}

/** Well-separated Gaussian blobs around planted centres. */
export function plantedClusters(n: number, d: number, k: number, seed: number): { x: number[][]; centers: number[][]; assignment: number[] } {
  const rand = mulberry32(seed);
  const centers = Array.from({ length: k }, (_, c) => Array.from({ length: d }, (_, j) => (j === c % d ? 20 * (1 + Math.floor(c / d)) : 0) + gaussian(rand)));
  const assignment: number[] = [];
  const x = Array.from({ length: n }, (_, i) => {
    const c = i % k;
    assignment.push(c);
    return centers[c].map((v) => v + gaussian(rand) * 0.5);
  });
  return { x, centers, assignment };
}

export function toCsv(x: number[][], y?: number[]): string {
  return x.map((row, i) => (y ? [y[i], ...row] : row).map((v) => Number(v.toFixed(6))).join(',')).join('\n') + '\n';
}

/** Exact least squares with intercept by the normal equations (Gaussian elimination, partial pivoting). */
export function leastSquares(x: number[][], y: number[]): { w: number[]; b: number } {
  const d = x[0].length + 1;
  const a = Array.from({ length: d }, () => new Array(d + 1).fill(0));
  x.forEach((row, i) => {
    const r = [...row, 1];
    for (let p = 0; p < d; p++) {
      for (let q = 0; q < d; q++) a[p][q] += r[p] * r[q];
      a[p][d] += r[p] * y[i];
    }
  });
  for (let col = 0; col < d; col++) {
    let piv = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    [a[col], a[piv]] = [a[piv], a[col]];
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let k = col; k <= d; k++) a[r][k] -= f * a[col][k];
    }
  }
  const sol = a.map((row, i) => row[d] / row[i]);
  return { w: sol.slice(0, -1), b: sol[d - 1] };
}
