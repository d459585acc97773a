/**
 * The tuning job's search strategies (emulator/tuning/search): pure functions, tested directly.
 * The tuning service's own tests drive them through a running emulator.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/random.js';
import {
  createSearcher,
  fromUnit,
  GridSearcher,
  GridSearchError,
  projectParentEvaluations,
  renderValue,
  resolveScaling,
  toUnit,
  type Assignment,
  type Evaluation,
  type ParameterSpec,
  type SearchSpace,
} from '../emulator/tuning/search/index.js';
import { GaussianProcess, negativeLogPosterior } from '../emulator/tuning/search/gp.js';
import { logExpectedImprovement, logExpectedImprovementWithGradient, logH } from '../emulator/tuning/search/acquisition.js';
import { REGION_END, REGION_START } from '../emulator/tuning/search/bayesian.js';
import { FUNCTIONS } from './bench/tune-functions.js';

type Numeric = Extract<ParameterSpec, { type: 'Integer' | 'Continuous' }>;
const cont = (name: string, min: number, max: number, scaling: Numeric['scaling'] = 'Linear'): Numeric => ({ name, type: 'Continuous', min, max, scaling });
const int = (name: string, min: number, max: number, scaling: Numeric['scaling'] = 'Linear'): Numeric => ({ name, type: 'Integer', min, max, scaling });

// Branin and its known minimum, the same definition the search benchmark (npm run bench:tune:search) optimizes.
const branin = FUNCTIONS.branin.f;
const BRANIN_MIN = FUNCTIONS.branin.minimum;
const braninSpace: SearchSpace = { direction: 'Minimize', parameters: [cont('x1', -5, 10), cont('x2', 0, 15)] };

function run(strategy: 'Bayesian' | 'Random', space: SearchSpace, f: (a: Assignment) => number, seed: number, budget: number): Evaluation[] {
  const searcher = createSearcher(strategy, space, seed);
  const done: Evaluation[] = [];
  for (let i = 0; i < budget; i++) {
    const a = searcher.suggest(done, [], i)!;
    done.push({ assignment: a, objective: f(a) });
  }
  return done;
}

describe('ScalingType warping', () => {
  const cases: [string, Numeric][] = [
    ['Linear', cont('x', -3, 7, 'Linear')],
    ['Logarithmic', cont('x', 1e-5, 10, 'Logarithmic')],
    ['ReverseLogarithmic', cont('x', 0, 0.999, 'ReverseLogarithmic')],
    ['Auto (resolves to Logarithmic)', cont('x', 1e-4, 1, 'Auto')],
  ];
  for (const [label, spec] of cases) {
    it(`round-trips ${label}: unit -> value -> unit, values stay in range`, () => {
      for (let k = 0; k <= 100; k++) {
        const u = k / 100;
        const v = fromUnit(spec, u);
        expect(v).toBeGreaterThanOrEqual(spec.min);
        expect(v).toBeLessThanOrEqual(spec.max);
        expect(toUnit(spec, v)).toBeCloseTo(u, 9);
        expect(Number(renderValue(spec, v))).toBe(v);
      }
    });
  }

  it('puts the middle of the unit interval where each scale says', () => {
    expect(fromUnit(cont('x', 1e-4, 1, 'Logarithmic'), 0.5)).toBeCloseTo(1e-2, 12);
    expect(fromUnit(cont('x', 0, 0.99, 'ReverseLogarithmic'), 0.5)).toBeCloseTo(0.9, 12);
    expect(fromUnit(cont('x', 2, 4, 'Linear'), 0.25)).toBeCloseTo(2.5, 12);
  });

  it('resolves Auto from the range', () => {
    expect(resolveScaling(cont('x', 1e-4, 1, 'Auto'))).toBe('Logarithmic');
    expect(resolveScaling(cont('x', 0.9, 0.999, 'Auto'))).toBe('ReverseLogarithmic');
    expect(resolveScaling(cont('x', 0, 10, 'Auto'))).toBe('Linear');
    expect(resolveScaling(int('n', 1, 50, 'Auto'))).toBe('Linear');
    expect(resolveScaling(cont('x', 0, 10, 'Logarithmic'))).toBe('Logarithmic');
  });

  for (const scaling of ['Linear', 'Logarithmic', 'Auto'] as const) {
    it(`rounds integers and keeps them in range (${scaling}), reaching both ends`, () => {
      const spec = int('n', 1, 1000, scaling);
      const seen = new Set<number>();
      for (let k = 0; k <= 1000; k++) {
        const v = fromUnit(spec, k / 1000);
        expect(Number.isInteger(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(1);
        expect(v).toBeLessThanOrEqual(1000);
        expect(fromUnit(spec, toUnit(spec, v))).toBe(v);
        seen.add(v);
      }
      expect(seen.has(1) && seen.has(1000)).toBe(true);
      expect(renderValue(spec, fromUnit(spec, 0.5))).toMatch(/^\d+$/);
    });
  }

  it('draws Random log-uniformly for Logarithmic and uniformly for Linear', () => {
    const space: SearchSpace = { direction: 'Minimize', parameters: [cont('lr', 1e-4, 1, 'Logarithmic'), cont('d', 0, 1, 'Linear')] };
    const s = createSearcher('Random', space, 7);
    let lrBelow = 0;
    let dBelow = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const a = s.suggest([], [], i)!;
      if (Number(a.lr) < 1e-2) lrBelow++;
      if (Number(a.d) < 0.5) dBelow++;
    }
    expect(lrBelow / n).toBeGreaterThan(0.45);
    expect(lrBelow / n).toBeLessThan(0.55);
    expect(dBelow / n).toBeGreaterThan(0.45);
    expect(dBelow / n).toBeLessThan(0.55);
  });
});

describe('Grid', () => {
  const space: SearchSpace = {
    direction: 'Maximize',
    parameters: [{ name: 'opt', type: 'Categorical', values: ['sgd', 'adam', 'rmsprop'] }, int('depth', 2, 5), { name: 'act', type: 'Categorical', values: ['relu', 'tanh'] }],
  };

  it('yields every combination exactly once, then undefined', () => {
    const g = createSearcher('Grid', space, 1);
    const done: Evaluation[] = [];
    for (let i = 0; ; i++) {
      const a = g.suggest(done, [], i);
      if (!a) break;
      done.push({ assignment: a, objective: i });
      expect(done.length).toBeLessThanOrEqual(24);
    }
    expect(done.length).toBe(3 * 4 * 2);
    expect(new Set(done.map((e) => JSON.stringify(e.assignment))).size).toBe(24);
    expect(done.every((e) => Object.keys(e.assignment).join() === 'opt,depth,act')).toBe(true);
  });

  it('skips combinations pending or already completed (warm-start parents, a restart)', () => {
    const g = new GridSearcher(space);
    const first = g.suggest([], [], 0)!;
    const second = g.suggest([], [first], 1)!;
    expect(second).not.toEqual(first);
    const again = g.suggest([{ assignment: first }], [second], 0)!;
    expect(again).not.toEqual(first);
    expect(again).not.toEqual(second);
  });

  it('refuses a continuous range', () => {
    expect(() => createSearcher('Grid', { direction: 'Minimize', parameters: [cont('x', 0, 1)] }, 1)).toThrow(GridSearchError);
  });
});

describe('reproducibility', () => {
  const space: SearchSpace = {
    direction: 'Minimize',
    parameters: [cont('x1', -5, 10), cont('x2', 0, 15), { name: 'c', type: 'Categorical', values: ['a', 'b', 'c'] }, int('n', 1, 64, 'Logarithmic')],
  };
  const f = (a: Assignment) => branin(a) + (a.c === 'b' ? 0 : 5) + Math.abs(Math.log2(Number(a.n)) - 3);

  for (const strategy of ['Random', 'Bayesian'] as const) {
    it(`${strategy}: the same seed and index give the same suggestion, also out of order (a restart)`, () => {
      const history = run(strategy, space, f, 11, 12);
      const again = run(strategy, space, f, 11, 12);
      expect(again).toEqual(history);
      const fresh = createSearcher(strategy, space, 11);
      // Suggestion 12 from a fresh searcher, with the stored history, as after a restart.
      expect(fresh.suggest(history, [], 12)).toEqual(createSearcher(strategy, space, 11).suggest(history, [], 12));
      const other = run(strategy, space, f, 12, 12);
      expect(other).not.toEqual(history);
    });
  }
});

describe('Bayesian', () => {
  it('never proposes a pending or completed configuration; parallel proposals are distinct', () => {
    const space: SearchSpace = { direction: 'Minimize', parameters: [int('a', 1, 4), { name: 'c', type: 'Categorical', values: ['x', 'y'] }] };
    const s = createSearcher('Bayesian', space, 3);
    const completed: Evaluation[] = [];
    const pending: Assignment[] = [];
    const f = (a: Assignment) => Number(a.a) + (a.c === 'x' ? 0 : 0.5);
    for (let i = 0; i < 8; i++) {
      const a = s.suggest(completed, pending, i)!;
      const key = JSON.stringify(a);
      expect([...completed.map((e) => JSON.stringify(e.assignment)), ...pending.map((p) => JSON.stringify(p))]).not.toContain(key);
      if (i % 2 === 0) pending.push(a);
      else completed.push({ assignment: a, objective: f(a) });
    }
  });

  it('spreads parallel suggestions on a continuous space (kriging believer)', () => {
    const done = run('Bayesian', braninSpace, branin, 5, 12);
    const s = createSearcher('Bayesian', braninSpace, 5);
    const pending: Assignment[] = [];
    for (let i = 12; i < 16; i++) pending.push(s.suggest(done, pending, i)!);
    for (let i = 0; i < pending.length; i++) {
      for (let j = 0; j < i; j++) {
        const dx = (Number(pending[i].x1) - Number(pending[j].x1)) / 15;
        const dy = (Number(pending[i].x2) - Number(pending[j].x2)) / 15;
        expect(Math.hypot(dx, dy)).toBeGreaterThan(1e-3);
      }
    }
  });

  it('still beats Random with four jobs in parallel (suggestions made while others run)', () => {
    const parallel = (seed: number) => {
      const s = createSearcher('Bayesian', braninSpace, seed);
      const done: Evaluation[] = [];
      const running: Assignment[] = [];
      for (let i = 0; i < 24; i++) {
        running.push(s.suggest(done, running, i)!);
        if (running.length === 4) {
          const a = running.shift()!;
          done.push({ assignment: a, objective: branin(a) });
        }
      }
      for (const a of running) done.push({ assignment: a, objective: branin(a) });
      expect(new Set(done.map((e) => JSON.stringify(e.assignment))).size).toBe(done.length);
      return Math.min(...done.map((e) => e.objective!)) - BRANIN_MIN;
    };
    const random = (seed: number) => Math.min(...run('Random', braninSpace, branin, seed, 24).map((e) => e.objective!)) - BRANIN_MIN;
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
    const seeds = [1, 2, 3, 4, 5];
    expect(median(seeds.map(parallel))).toBeLessThan(median(seeds.map(random)) / 5);
  });

  it('with a known budget, spends the last suggestions inside a shrinking box around the incumbent', () => {
    // One dimension, so the box's half-width is exactly REGION_START .. REGION_END (no lengthscale
    // scaling). The history covers [0, 0.5] densely with a flat, jagged objective, best at 0.3125;
    // (0.5, 1] is unexplored, which EI alone goes for.
    const space: SearchSpace = { direction: 'Minimize', parameters: [cont('x', 0, 1)] };
    const history: Evaluation[] = Array.from({ length: 17 }, (_, i) => ({
      assignment: { x: String(i / 32) },
      objective: i === 10 ? 0.99 : 1 + 0.01 * ((i * 7) % 5),
    }));
    const incumbent = 0.3125;
    const budget = 20;
    const withBudget = createSearcher('Bayesian', space, 4, { budget });
    const without = createSearcher('Bayesian', space, 4);
    expect(Number(without.suggest(history, [], budget - 1)!.x)).toBeGreaterThan(0.5);
    // Before the refinement phase (the last 3 of 20), the budget changes nothing.
    expect(withBudget.suggest(history, [], 16)).toEqual(without.suggest(history, [], 16));
    // In it: within REGION_START of the incumbent at the first refinement, REGION_END at the last.
    expect(Math.abs(Number(withBudget.suggest(history, [], 17)!.x) - incumbent)).toBeLessThanOrEqual(REGION_START + 1e-12);
    const last = withBudget.suggest(history, [], budget - 1)!;
    expect(Math.abs(Number(last.x) - incumbent)).toBeLessThanOrEqual(REGION_END + 1e-12);
    expect(history.map((e) => e.assignment.x)).not.toContain(last.x);
  });

  it('with a known budget, a restarted searcher proposes the same refinement', () => {
    const history = run('Bayesian', braninSpace, branin, 6, 26);
    const a = createSearcher('Bayesian', braninSpace, 6, { budget: 30 }).suggest(history, [], 26);
    expect(createSearcher('Bayesian', braninSpace, 6, { budget: 30 }).suggest(history, [], 26)).toEqual(a);
  });

  it('follows the objective direction: Maximize climbs, Minimize descends', () => {
    const space = (direction: 'Minimize' | 'Maximize'): SearchSpace => ({ direction, parameters: [cont('x', 0, 1)] });
    const f = (a: Assignment) => Number(a.x);
    const hi = run('Bayesian', space('Maximize'), f, 2, 10);
    const lo = run('Bayesian', space('Minimize'), f, 2, 10);
    expect(Math.max(...hi.map((e) => e.objective!))).toBeGreaterThan(0.98);
    expect(Math.min(...lo.map((e) => e.objective!))).toBeLessThan(0.02);
    const next = (dir: 'Minimize' | 'Maximize', h: Evaluation[]) => Number(createSearcher('Bayesian', space(dir), 2).suggest(h, [], h.length)!.x);
    expect(next('Maximize', hi)).toBeGreaterThan(0.8);
    expect(next('Minimize', lo)).toBeLessThan(0.2);
  });

  it('keeps going when evaluations failed (no objective) and avoids what failed', () => {
    const s = createSearcher('Bayesian', braninSpace, 9);
    const done = run('Bayesian', braninSpace, branin, 9, 8);
    const failed: Evaluation[] = [{ assignment: { x1: '9.5', x2: '14' } }, { assignment: { x1: '9', x2: '13' } }];
    const a = s.suggest([...done, ...failed], [], 10)!;
    expect(Number(a.x1)).toBeGreaterThanOrEqual(-5);
    expect(Number(a.x2)).toBeLessThanOrEqual(15);
    const onlyFailed = s.suggest(failed, [], 20)!;
    expect(Object.keys(onlyFailed).sort()).toEqual(['x1', 'x2']);
  });

  it('beats Random on Branin in median over seeds', () => {
    const regret = (strategy: 'Bayesian' | 'Random', seed: number) => Math.min(...run(strategy, braninSpace, branin, seed, 25).map((e) => e.objective!)) - BRANIN_MIN;
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
    const seeds = [1, 2, 3, 4, 5, 6, 7];
    const bo = median(seeds.map((s) => regret('Bayesian', s)));
    const rs = median(seeds.map((s) => regret('Random', s)));
    expect(bo).toBeLessThan(rs / 5);
  });

  it('thins a long history (a warm start from big parents) and still proposes a good point', () => {
    const rng = new Rng(21, 1);
    const history: Evaluation[] = Array.from({ length: 450 }, () => {
      const a = { x1: String(-5 + 15 * rng.next()), x2: String(15 * rng.next()) };
      return { assignment: a, objective: branin(a) };
    });
    const best = Math.min(...history.map((e) => e.objective!));
    const a = createSearcher('Bayesian', braninSpace, 1).suggest(history, [], 450)!;
    // EI proposes near the good region: within the best tenth of what random search found.
    const sorted = history.map((e) => e.objective!).sort((p, q) => p - q);
    expect(branin(a)).toBeLessThan(Math.max(sorted[45], best + 1));
  });

  it('learns from warm-start parents that tuned other hyperparameters', () => {
    const parents = projectParentEvaluations(
      [
        { assignment: { x1: '3.1', x2: '2.3', extra: '7' }, objective: 0.5 },
        { assignment: { x1: '-3', x2: '12' }, objective: 1.2 },
        { assignment: { x1: '20', x2: '1' }, objective: 50 },
      ],
      braninSpace,
    );
    expect(parents.length).toBe(2);
    const a = createSearcher('Bayesian', braninSpace, 1).suggest(parents, [], 0)!;
    expect(Object.keys(a).sort()).toEqual(['x1', 'x2']);
  });

  it('has a marginal-likelihood gradient that matches finite differences', () => {
    const rng = new Rng(4, 1);
    const x = Array.from({ length: 9 }, () => Float64Array.from([rng.next(), rng.next(), rng.next()]));
    const y = Float64Array.from(x, (p) => Math.sin(5 * p[0]) + p[1] * p[2]);
    const theta = Float64Array.from([Math.log(0.4), Math.log(0.7), Math.log(1.5), Math.log(0.8), Math.log(1e-3)]);
    const { gradient } = negativeLogPosterior(x, y, theta);
    for (let i = 0; i < theta.length; i++) {
      const h = 1e-5;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[i] += h;
      down[i] -= h;
      const numeric = (negativeLogPosterior(x, y, up).value - negativeLogPosterior(x, y, down).value) / (2 * h);
      expect(gradient[i]).toBeCloseTo(numeric, 4);
    }
  });

  it('has a log-EI gradient that matches finite differences', () => {
    const rng = new Rng(8, 1);
    const x = Array.from({ length: 10 }, () => Float64Array.from([rng.next(), rng.next()]));
    const y = Float64Array.from(x, (p) => Math.cos(6 * p[0]) - p[1]);
    const gp = new GaussianProcess(x, y, { lengthscales: Float64Array.from([0.3, 0.5]), signal: 1.2, noise: 1e-4 });
    for (const point of [[0.31, 0.72], [0.9, 0.05], [0.5, 0.5]]) {
      const { value, gradient } = logExpectedImprovementWithGradient(gp, point, -1);
      expect(value).toBeCloseTo(logExpectedImprovement(gp, point, -1), 10);
      for (let d = 0; d < 2; d++) {
        const h = 1e-6;
        const up = [...point];
        const down = [...point];
        up[d] += h;
        down[d] -= h;
        const numeric = (logExpectedImprovement(gp, up, -1) - logExpectedImprovement(gp, down, -1)) / (2 * h);
        expect(gradient[d]).toBeCloseTo(numeric, 3);
      }
    }
  });

  it('computes log EI stably in both tails', () => {
    // h(z) = z Phi(z) + phi(z): h(0) = 1/sqrt(2 pi); h(z) ~ z for large z; finite far below.
    expect(Math.exp(logH(0))).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 6);
    expect(Math.exp(logH(8))).toBeCloseTo(8, 6);
    for (const z of [-0.99, -1, -1.01, -9.99, -10, -10.01, -40]) expect(Number.isFinite(logH(z))).toBe(true);
    // Continuous across the branch points, increasing in z.
    expect(logH(-1.000001)).toBeCloseTo(logH(-0.999999), 4);
    expect(logH(-10.000001)).toBeCloseTo(logH(-9.999999), 4);
    expect(logH(-20)).toBeLessThan(logH(-10));
  });
});
