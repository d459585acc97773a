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
}

export class BayesianSearcher implements Searcher {
  private readonly encoded: EncodedSpace;
  readonly initialPoints: number;

  constructor(
    private readonly space: SearchSpace,
    private readonly seed: number,
    options: BayesianOptions = {},
  ) {
    this.encoded = encodeSpace(space.parameters);
    this.initialPoints = options.initialPoints ?? Math.min(10, Math.max(4, space.parameters.length + 2));
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

    let incumbent = Math.min(...observed.map((o, i) => (o.y === undefined ? Infinity : y[i])));
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
