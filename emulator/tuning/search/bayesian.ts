/**
 * Bayesian optimization, as SageMaker's Bayesian strategy is described: a Gaussian-process
 * surrogate (Matérn 5/2, ARD, hyperparameters fitted by maximum a posteriori from several starts)
 * on the unit cube the ScalingTypes warp the ranges into, categoricals one-hot, the objective
 * standardized; expected improvement maximised over the cube; the first points a Latin hypercube.
 *
 * Stateless and reproducible: suggestion `index` draws only from stream (seed, base + index) and
 * from the history it is handed, so a restarted job proposes the same configuration again.
 *
 * - Pending (running) jobs: kriging believer. Each pending configuration is added to the model
 *   with the model's own mean as a fantasized value, which collapses the uncertainty there, and the
 *   incumbent includes those fantasies, so EI at a pending point is zero; a configuration equal to
 *   a completed or pending one is never proposed.
 * - Failed jobs (objective undefined): observed with the worst objective seen so far, so the
 *   search moves away from configurations that crashed, as it would from bad ones.
 * - Maximize: the surrogate models the objective negated, so "improvement" is always a decrease.
 * - Known budget (MaxNumberOfTrainingJobs): the last suggestions maximise EI only inside a trust
 *   region around the incumbent (see trustRegion), so the budget ends on refinement.
 */
import { Rng } from '../../../core/random.js';
import { logExpectedImprovement, logExpectedImprovementWithGradient, maximizeAcquisition } from './acquisition.js';
import { fitHyperparameters, GaussianProcess } from './gp.js';
import { suggestionRng } from './random.js';
import { assignmentKey, decode, encode, encodeSpace, randomAssignment, type EncodedSpace } from './space.js';
import type { Assignment, Evaluation, Searcher, SearchSpace } from './types.js';

const BAYESIAN_STREAM_BASE = 0x20000;
/** Most observations the surrogate conditions on, and fits its hyperparameters to. */
export const MAX_GP_POINTS = 300;
export const MAX_FIT_POINTS = 150;

/** At most `limit` observations: the best third of the limit, then a seeded draw of the rest. */
function thin<T extends { y?: number }>(observed: T[], limit: number, worst: number, rng: Rng): T[] {
  if (observed.length <= limit) return observed;
  const order = observed.map((o, i) => ({ i, y: o.y ?? worst })).sort((a, b) => a.y - b.y || a.i - b.i);
  const keepBest = Math.floor(limit / 3);
  const rest = order.slice(keepBest);
  const perm = rng.permutation(rest.length);
  const chosen = [...order.slice(0, keepBest), ...Array.from(perm.subarray(0, limit - keepBest), (k) => rest[k])];
  return chosen.sort((a, b) => a.i - b.i).map((c) => observed[c.i]);
}
const DESIGN_STREAM = 0x1fff;

export interface BayesianOptions {
  /** Size of the initial Latin-hypercube design (default: between 4 and 10, growing with the dimension). */
  initialPoints?: number;
  /**
   * How many suggestions the job will ask for in all (MaxNumberOfTrainingJobs), when known. The
   * last ones then refine around the incumbent (see `trustRegion`).
   */
  budget?: number;
}

/**
 * Share of a known budget spent refining around the incumbent at the end (3 of 20 jobs, 5 of 30).
 * 0.15 measured better than 0.1 and 0.2 on npm run bench:tune:search (with a box of 0.2 shrinking
 * to 0.05): at 0.2 two seeds of 20 stopped looking for the mixed function's better basin too soon.
 */
export const EXPLOIT_SHARE = 0.15;
/**
 * Half-width of the trust region (cube units, before the lengthscale scaling) at the first and
 * last refinement, and the most the lengthscales may widen or narrow it along one coordinate.
 * With 20 jobs the MAP lengthscales are rough: unclamped they stretched the box over most of
 * learning_rate's range on the linear-learner bench, and EI went to the box's far faces again.
 */
export const REGION_START = 0.1;
export const REGION_END = 0.025;
export const MAX_STRETCH = 2;

export class BayesianSearcher implements Searcher {
  private readonly encoded: EncodedSpace;
  readonly initialPoints: number;
  readonly budget?: number;

  constructor(
    private readonly space: SearchSpace,
    private readonly seed: number,
    options: BayesianOptions = {},
  ) {
    this.encoded = encodeSpace(space.parameters);
    this.initialPoints = options.initialPoints ?? Math.min(10, Math.max(4, space.parameters.length + 2));
    this.budget = options.budget;
  }

  /**
   * In the last EXPLOIT_SHARE of a known budget, the box around the best observation that the
   * acquisition is maximised over; undefined while exploring. Expected improvement is myopic: with
   * a short budget it keeps paying for the uncertainty at the cube's faces and corners until the
   * very last job (in bench:tune:e2e's linear-learner job, each of jobs 12 to 17 of 20 put
   * learning_rate, wd or l1 at a bound of its range), though a result there can no longer be
   * followed up. Confining the final suggestions to a box around the incumbent that shrinks to
   * the end, its sides scaled by the fitted lengthscales (within MAX_STRETCH) as TuRBO does
   * (Eriksson et al., "Scalable Global Optimization via Local Bayesian Optimization", NeurIPS
   * 2019), spends them on refinement, which a flat optimum rewards. Finite-budget analyses of
   * Bayesian optimization reach the same shape: the optimal policy grows greedier as the
   * remaining budget shrinks (Lam, Willcox and Wolpert, NeurIPS 2016).
   */
  private trustRegion(index: number, center: Float64Array, lengthscales: Float64Array): { center: Float64Array; lower: Float64Array; upper: Float64Array } | undefined {
    if (this.budget === undefined) return undefined;
    const count = Math.max(1, Math.round(EXPLOIT_SHARE * this.budget));
    const start = this.budget - count;
    if (index < start || start < this.initialPoints) return undefined;
    const progress = count > 1 ? (index - start) / (count - 1) : 1;
    const half = REGION_START + (REGION_END - REGION_START) * Math.min(1, progress);
    const numeric = this.space.parameters.flatMap((p, i) => (p.type === 'Categorical' ? [] : [this.encoded.offsets[i]]));
    if (numeric.length === 0) return undefined;
    const geomean = Math.exp(numeric.reduce((a, d) => a + Math.log(lengthscales[d]), 0) / numeric.length);
    const lower = new Float64Array(this.encoded.dims);
    const upper = new Float64Array(this.encoded.dims).fill(1);
    for (const d of numeric) {
      const w = half * Math.min(MAX_STRETCH, Math.max(1 / MAX_STRETCH, lengthscales[d] / geomean));
      lower[d] = Math.max(0, center[d] - w);
      upper[d] = Math.min(1, center[d] + w);
    }
    return { center, lower, upper };
  }

  suggest(completed: Evaluation[], pending: Assignment[], index: number): Assignment {
    const rng = new Rng(this.seed, BAYESIAN_STREAM_BASE + index);
    const params = this.space.parameters;
    let observed: { x: Float64Array; y?: number }[] = [];
    for (const e of completed) {
      const x = encode(this.encoded, e.assignment);
      if (!x) continue; // not of this space (a TransferLearning parent's other ranges)
      const y = e.objective;
      observed.push({ x, y: y !== undefined && Number.isFinite(y) ? (this.space.direction === 'Maximize' ? -y : y) : undefined });
    }
    const succeeded = observed.filter((o) => o.y !== undefined).length;
    const exclude = new Set<string>([...completed.map((e) => e.assignment), ...pending].map((a) => assignmentKey(params, a)));

    if (succeeded < this.initialPoints && index < this.initialPoints) {
      const designed = this.designPoint(index);
      if (!exclude.has(assignmentKey(params, designed))) return designed;
    }
    if (succeeded < 2) return this.randomAvoiding(index, exclude);

    // Standardize (failed runs take the worst value seen).
    const worst = Math.max(...observed.filter((o) => o.y !== undefined).map((o) => o.y!));
    // Long histories (big jobs, warm starts from up to five parents) are thinned so a suggestion
    // stays well under a second: the GP is cubic in its points.
    observed = thin(observed, MAX_GP_POINTS, worst, rng);
    const ys = observed.map((o) => o.y ?? worst);
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sd = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / ys.length) || 1;
    const x = observed.map((o) => o.x);
    const y = Float64Array.from(ys, (v) => (v - mean) / sd);
    const fitIndex = thin(observed.map((o, i) => ({ ...o, i })), MAX_FIT_POINTS, worst, rng).map((o) => o.i);
    const hyper = fitHyperparameters(
      fitIndex.map((i) => x[i]),
      Float64Array.from(fitIndex, (i) => y[i]),
      rng,
    );
    let gp = new GaussianProcess(x, y, hyper);

    let incumbent = Infinity;
    let incumbentX = observed[0].x;
    observed.forEach((o, i) => {
      if (o.y !== undefined && y[i] < incumbent) (incumbent = y[i]), (incumbentX = o.x);
    });
    const pendingX = pending.map((a) => encode(this.encoded, a)).filter((p): p is Float64Array => p !== undefined);
    if (pendingX.length > 0) {
      const fantasies = pendingX.map((p) => gp.predict(p).mean);
      gp = gp.condition(pendingX, fantasies);
      incumbent = Math.min(incumbent, ...fantasies);
    }
    const anchors = observed
      .map((o, i) => ({ x: o.x, y: y[i] }))
      .sort((a, b) => a.y - b.y)
      .slice(0, 5)
      .map((o) => o.x);
    const best = maximizeAcquisition(this.encoded, (p) => logExpectedImprovement(gp, p, incumbent), rng, {
      anchors,
      exclude,
      withGradient: (p) => logExpectedImprovementWithGradient(gp, p, incumbent),
      region: this.trustRegion(index, incumbentX, hyper.lengthscales),
    });
    return best ? decode(this.encoded, best) : this.randomAvoiding(index, exclude);
  }

  /** Row `index` of a Latin hypercube fixed by the seed (categoricals cycle through their values). */
  private designPoint(index: number): Assignment {
    const n = this.initialPoints;
    const rng = new Rng(this.seed, DESIGN_STREAM);
    const x = new Float64Array(this.encoded.dims);
    this.space.parameters.forEach((p, i) => {
      const perm = rng.permutation(n);
      const jitter = Array.from({ length: n }, () => rng.next());
      const o = this.encoded.offsets[i];
      if (p.type === 'Categorical') x[o + (perm[index] % p.values.length)] = 1;
      else x[o] = (perm[index] + jitter[index]) / n;
    });
    return decode(this.encoded, x);
  }

  private randomAvoiding(index: number, exclude: Set<string>): Assignment {
    const rng = suggestionRng(this.seed, index, BAYESIAN_STREAM_BASE + 0x10000);
    let a = randomAssignment(this.space.parameters, rng);
    for (let tries = 0; tries < 100 && exclude.has(assignmentKey(this.space.parameters, a)); tries++) a = randomAssignment(this.space.parameters, rng);
    return a;
  }
}
