/**
 * Random search: every suggestion is an independent draw, honouring ScalingType. Suggestion
 * `index` draws from its own stream of the job's seed, so it is the same after a restart and does
 * not depend on how many suggestions came before it.
 */
import { Rng } from '../../../core/random.js';
import { randomAssignment } from './space.js';
import type { Assignment, Evaluation, Searcher, SearchSpace } from './types.js';

/** Streams of the job's seed: suggestion i of a strategy draws from stream base + i. */
export const RANDOM_STREAM_BASE = 0x1000;

export function suggestionRng(seed: number, index: number, base = RANDOM_STREAM_BASE): Rng {
  return new Rng(seed, base + index);
}

export class RandomSearcher implements Searcher {
  constructor(
    private readonly space: SearchSpace,
    private readonly seed: number,
  ) {}

  suggest(_completed: Evaluation[], _pending: Assignment[], index: number): Assignment {
    return randomAssignment(this.space.parameters, suggestionRng(this.seed, index));
  }
}
