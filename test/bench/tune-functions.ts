/**
 * The benchmark functions of npm run bench:tune:search, with their known minima. The same
 * formulas are in tune_optuna.py, so both sides optimize exactly the same thing.
 */
import type { Assignment, SearchSpace } from '../../emulator/tuning/search/index.js';

export interface BenchFunction {
  space: SearchSpace;
  minimum: number;
  f: (a: Assignment) => number;
}
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const MIXED_CENTER: Record<string, number> = { sgd: -1.5, adam: -3.0, rmsprop: -4.0 };
const MIXED_OFFSET: Record<string, number> = { sgd: 0, adam: 0.3, rmsprop: 0.6 };

export const FUNCTIONS: Record<string, BenchFunction> = {
  branin: {
    space: {
      direction: 'Minimize',
      parameters: [
        { name: 'x1', type: 'Continuous', min: -5, max: 10, scaling: 'Linear' },
        { name: 'x2', type: 'Continuous', min: 0, max: 15, scaling: 'Linear' },
      ],
    },
    minimum: 0.397887357729738,
    f: (a) => {
      const x1 = Number(a.x1);
      const x2 = Number(a.x2);
      const b = 5.1 / (4 * Math.PI ** 2);
      const c = 5 / Math.PI;
      const t = 1 / (8 * Math.PI);
      return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
    },
  },
  hartmann6: {
    space: {
      direction: 'Minimize',
      parameters: Array.from({ length: 6 }, (_, i) => ({ name: `x${i}`, type: 'Continuous' as const, min: 0, max: 1, scaling: 'Linear' as const })),
    },
    minimum: -3.322368011391339,
    f: (a) => {
      const x = Array.from({ length: 6 }, (_, i) => Number(a[`x${i}`]));
      let total = 0;
      for (let i = 0; i < 4; i++) {
        let inner = 0;
        for (let j = 0; j < 6; j++) inner += H6_A[i][j] * (x[j] - H6_P[i][j] * 1e-4) ** 2;
        total += H6_ALPHA[i] * Math.exp(-inner);
      }
      return -total;
    },
  },
  mixed: {
    space: {
      direction: 'Minimize',
      parameters: [
        { name: 'lr', type: 'Continuous', min: 1e-5, max: 1, scaling: 'Logarithmic' },
        { name: 'dropout', type: 'Continuous', min: 0, max: 1, scaling: 'Linear' },
        { name: 'layers', type: 'Integer', min: 1, max: 8, scaling: 'Linear' },
        { name: 'optimizer', type: 'Categorical', values: ['sgd', 'adam', 'rmsprop'] },
      ],
    },
    minimum: 0,
    f: (a) =>
      (Math.log10(Number(a.lr)) - MIXED_CENTER[a.optimizer]) ** 2 / 4 +
      2 * (Number(a.dropout) - 0.3) ** 2 +
      0.05 * (Number(a.layers) - 3) ** 2 +
      MIXED_OFFSET[a.optimizer],
  },
};
