/**
 * The tuning job's early-stopping helpers (Hyperband's rungs, the median rule for
 * TrainingJobEarlyStoppingType Auto) and warm-start projection, on hand-derived histories.
 */
import { describe, expect, it } from 'vitest';
import { hyperbandDecision, hyperbandRungs, medianStoppingDecision, projectParentEvaluations, type SearchSpace } from '../emulator/tuning/search/index.js';

describe('Hyperband (asynchronous successive halving)', () => {
  const config = { minResource: 1, maxResource: 81 };
  const h = (name: string, values: (number | undefined)[]) => ({ name, values });

  it('puts rungs at MinResource * 3^k below MaxResource', () => {
    expect(hyperbandRungs(config)).toEqual([1, 3, 9, 27]);
    expect(hyperbandRungs({ minResource: 2, maxResource: 30 })).toEqual([2, 6, 18]);
  });

  it('keeps the best third at a rung and stops the rest (Minimize)', () => {
    // Others at epoch 3: 0.1..0.5; the 33.3rd percentile is 0.2 + 0.1/3.
    const others = [0.5, 0.4, 0.3, 0.2, 0.1].map((v, i) => h(`o${i}`, [1, 1, v]));
    expect(hyperbandDecision(config, h('j', [1, 1, 0.25]), 3, others, 'Minimize').stop).toBe(true);
    expect(hyperbandDecision(config, h('j', [1, 1, 0.2]), 3, others, 'Minimize').stop).toBe(false);
    // Between rungs nothing is decided; the first job to reach a rung goes on; MaxResource stops.
    expect(hyperbandDecision(config, h('j', [9, 9]), 2, others, 'Minimize').stop).toBe(false);
    expect(hyperbandDecision(config, h('j', [9, 9, 9, 9, 9, 9, 9, 9, 9]), 9, others, 'Minimize').stop).toBe(false);
    expect(hyperbandDecision(config, h('j', new Array(81).fill(0)), 81, others, 'Minimize').stop).toBe(true);
  });

  it('mirrors the cutoff for Maximize', () => {
    // The 66.7th percentile of 0.1..0.5 is 0.3 + 0.1 * (2/3).
    const others = [0.5, 0.4, 0.3, 0.2, 0.1].map((v, i) => h(`o${i}`, [v]));
    expect(hyperbandDecision(config, h('j', [0.35]), 1, others, 'Maximize').stop).toBe(true);
    expect(hyperbandDecision(config, h('j', [0.37]), 1, others, 'Maximize').stop).toBe(false);
  });
});

describe('median stopping rule (TrainingJobEarlyStoppingType Auto)', () => {
  const h = (name: string, values: (number | undefined)[]) => ({ name, values });
  // Running averages up to epoch 2: A 0.9, B 0.8, C 0.5 -> median 0.8. D has not reached epoch 2.
  const earlier = [h('A', [1.0, 0.8, 0.6]), h('B', [0.9, 0.7]), h('C', [0.5, 0.5]), h('D', [0.1])];

  it('stops a job whose best so far is worse than the median (Minimize)', () => {
    expect(medianStoppingDecision(h('j', [0.95, 0.85]), 2, earlier, 'Minimize').stop).toBe(true);
    expect(medianStoppingDecision(h('j', [0.95, 0.75]), 2, earlier, 'Minimize').stop).toBe(false);
    // The best so far counts, not the latest value.
    expect(medianStoppingDecision(h('j', [0.7, 0.85]), 2, earlier, 'Minimize').stop).toBe(false);
  });

  it('mirrors for Maximize', () => {
    expect(medianStoppingDecision(h('j', [0.7, 0.75]), 2, earlier, 'Maximize').stop).toBe(true);
    expect(medianStoppingDecision(h('j', [0.7, 0.85]), 2, earlier, 'Maximize').stop).toBe(false);
  });

  it('waits for enough earlier jobs at that epoch', () => {
    expect(medianStoppingDecision(h('j', [5, 5, 5]), 3, earlier, 'Minimize').stop).toBe(false);
    expect(medianStoppingDecision(h('j', [5, 5, 5]), 3, earlier, 'Minimize', { minEarlierJobs: 1 }).stop).toBe(true);
  });
});

describe('warm start', () => {
  it('projects parents onto the child space: extra dropped, missing from statics, out of range left out', () => {
    const space: SearchSpace = { direction: 'Minimize', parameters: [{ name: 'lr', type: 'Continuous', min: 1e-4, max: 1, scaling: 'Logarithmic' }, { name: 'opt', type: 'Categorical', values: ['sgd', 'adam'] }] };
    const out = projectParentEvaluations(
      [
        { assignment: { lr: '0.01', opt: 'sgd', momentum: '0.9' }, objective: 1 },
        { assignment: { lr: '0.1' }, staticHyperParameters: { opt: 'adam' }, objective: 2 },
        { assignment: { lr: '0.1' }, objective: 3 },
        { assignment: { lr: '5', opt: 'sgd' }, objective: 4 },
        { assignment: { lr: '0.1', opt: 'nadam' }, objective: 5 },
        { assignment: { lr: '0.2', opt: 'adam' } },
      ],
      space,
    );
    expect(out).toEqual([
      { assignment: { lr: '0.01', opt: 'sgd' }, objective: 1 },
      { assignment: { lr: '0.1', opt: 'adam' }, objective: 2 },
      { assignment: { lr: '0.2', opt: 'adam' } },
    ]);
  });
});
