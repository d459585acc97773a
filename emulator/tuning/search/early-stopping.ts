/**
 * Stopping decisions the tuning service asks for after each epoch's objective metric of a child
 * training job. Both are pure functions of the per-epoch histories the service stores, so a
 * restarted service decides exactly as before.
 *
 * A history lists the objective metric by epoch: values[e - 1] is the value reported for epoch e
 * (undefined when that epoch emitted none). Jobs are given in creation order.
 */

export type Direction = 'Minimize' | 'Maximize';

export interface EpochHistory {
  /** The child training job's name (for the caller's bookkeeping; decisions do not read it). */
  name: string;
  /** Objective metric per epoch; index 0 is epoch 1. */
  values: (number | undefined)[];
}

export interface StopDecision {
  stop: boolean;
  /** Why, in words the service can put in a log line or a FailureReason-like field. */
  reason: string;
}

const better = (direction: Direction, a: number, b: number) => (direction === 'Minimize' ? a < b : a > b);

/** The last value reported at or before `epoch` (1-based). */
export function valueAt(history: EpochHistory, epoch: number): number | undefined {
  for (let e = Math.min(epoch, history.values.length); e >= 1; e--) {
    const v = history.values[e - 1];
    if (v !== undefined && Number.isFinite(v)) return v;
  }
  return undefined;
}

function bestUpTo(history: EpochHistory, epoch: number, direction: Direction): number | undefined {
  let best: number | undefined;
  for (let e = 1; e <= Math.min(epoch, history.values.length); e++) {
    const v = history.values[e - 1];
    if (v !== undefined && Number.isFinite(v) && (best === undefined || better(direction, v, best))) best = v;
  }
  return best;
}

function runningAverage(history: EpochHistory, epoch: number): number | undefined {
  let sum = 0;
  let count = 0;
  for (let e = 1; e <= Math.min(epoch, history.values.length); e++) {
    const v = history.values[e - 1];
    if (v !== undefined && Number.isFinite(v)) (sum += v), count++;
  }
  return count > 0 ? sum / count : undefined;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface MedianRuleOptions {
  /** Earlier jobs that must have reached the epoch before the rule applies (default 3). */
  minEarlierJobs?: number;
}

/**
 * TrainingJobEarlyStoppingType Auto: the median stopping rule, as the SageMaker developer guide
 * ("Stop Training Jobs Early") describes it. After epoch `epoch` of `job`, take the running
 * average of the objective up to that epoch of every earlier job that reached it, and their
 * median; stop the job if its best objective so far is worse than that median.
 *
 * `earlier` are the jobs created before `job` (finished or still running). The guide does not say
 * how many are needed; below `minEarlierJobs` the rule keeps the job running, so the first jobs of
 * a tuning job are never stopped on the evidence of one or two others.
 */
export function medianStoppingDecision(
  job: EpochHistory,
  epoch: number,
  earlier: EpochHistory[],
  direction: Direction,
  { minEarlierJobs = 3 }: MedianRuleOptions = {},
): StopDecision {
  const best = bestUpTo(job, epoch, direction);
  if (best === undefined) return { stop: false, reason: `no objective metric up to epoch ${epoch}` };
  const averages = earlier.filter((h) => h.values.length >= epoch).map((h) => runningAverage(h, epoch)).filter((v): v is number => v !== undefined);
  if (averages.length < minEarlierJobs) {
    return { stop: false, reason: `only ${averages.length} earlier job(s) reached epoch ${epoch}` };
  }
  const m = median(averages);
  if (better(direction, m, best)) {
    return { stop: true, reason: `best objective ${best} by epoch ${epoch} is worse than the median ${m} of ${averages.length} earlier jobs' running averages` };
  }
  return { stop: false, reason: `best objective ${best} by epoch ${epoch} is not worse than the median ${m}` };
}

export interface HyperbandConfig {
  /**
   * StrategyConfig.HyperbandStrategyConfig.MinResource (epochs; default 1). The API reference:
   * until a job has reached MinResource, Hyperband does not stop it; here the first rung is there.
   */
  minResource?: number;
  /** StrategyConfig.HyperbandStrategyConfig.MaxResource (epochs). */
  maxResource: number;
  /** Fraction 1/eta of the jobs at a rung that go on to the next (default eta = 3, as in ASHA). */
  reductionFactor?: number;
}

/** The rung levels (epochs) where Hyperband compares jobs: minResource * eta^k below maxResource. */
export function hyperbandRungs({ minResource = 1, maxResource, reductionFactor = 3 }: HyperbandConfig): number[] {
  const rungs: number[] = [];
  const min = Math.max(1, Math.round(minResource));
  for (let r = min; r < maxResource; r = Math.max(r + 1, Math.round(r * reductionFactor))) rungs.push(r);
  return rungs;
}

/** numpy's default (linear) percentile, q in [0, 100]. */
function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Hyperband, which SageMaker implements with the Asynchronous Successive Halving Algorithm (AWS
 * Machine Learning blog, "Amazon SageMaker Automatic Model Tuning now provides up to three times
 * faster hyperparameter tuning with Hyperband"; Li et al., "A System for Massively Parallel
 * Hyperparameter Tuning", MLSys 2020) on the epoch resource, in its stopping form: every job starts
 * and trains on; when it reaches a rung it goes on only if its objective there is among the best
 * 1/eta of what the jobs before it reported at that rung, and every job stops at MaxResource.
 * The first job to reach a rung always goes on (nothing to compare with), so no job waits for
 * others: that is what makes it asynchronous.
 *
 * `others` are all other jobs of the tuning job; only what they reported at the rung counts, and
 * among them only jobs that reached it earlier are meaningful, which the histories reflect.
 */
export function hyperbandDecision(
  config: HyperbandConfig,
  job: EpochHistory,
  epoch: number,
  others: EpochHistory[],
  direction: Direction,
): StopDecision {
  if (epoch >= config.maxResource) return { stop: true, reason: `reached MaxResource (${config.maxResource} epochs)` };
  const rungs = hyperbandRungs(config);
  if (!rungs.includes(epoch)) return { stop: false, reason: `epoch ${epoch} is not a rung (${rungs.join(', ')})` };
  const mine = valueAt(job, epoch);
  if (mine === undefined) return { stop: false, reason: `no objective metric by rung ${epoch}` };
  const recorded = others.filter((h) => h.values.length >= epoch).map((h) => valueAt(h, epoch)).filter((v): v is number => v !== undefined);
  if (recorded.length === 0) return { stop: false, reason: `first job to reach rung ${epoch}` };
  const eta = config.reductionFactor ?? 3;
  const keep = 100 / eta;
  const cutoff = direction === 'Minimize' ? percentile(recorded, keep) : percentile(recorded, 100 - keep);
  if (better(direction, cutoff, mine)) {
    return { stop: true, reason: `objective ${mine} at rung ${epoch} is outside the best 1/${eta} (cutoff ${cutoff} over ${recorded.length} jobs)` };
  }
  return { stop: false, reason: `objective ${mine} at rung ${epoch} is within the best 1/${eta} (cutoff ${cutoff})` };
}
