/**
 * Warm start (WarmStartConfig): the parents' finished training jobs join `completed`, so the
 * searchers learn from them as from the child's own jobs. Parents may have tuned other ranges
 * (IdenticalDataAndAlgorithm allows new ranges; TransferLearning also other hyperparameters), so
 * each parent evaluation is projected onto the child's space first:
 *
 * - hyperparameters the child does not tune are dropped;
 * - a child hyperparameter the parent did not tune takes the parent job's static value when the
 *   caller passes it (`staticHyperParameters`), else the evaluation cannot be placed and is left out;
 * - a value outside the child's range, or a category the child does not list, leaves it out
 *   (the surrogate only models the child's space; clamping would misplace it).
 */
import { parseValue } from './scaling.js';
import type { Assignment, Evaluation, SearchSpace } from './types.js';

export interface ParentEvaluation extends Evaluation {
  /** The parent training job's StaticHyperParameters, to fill child ranges the parent did not tune. */
  staticHyperParameters?: Record<string, string>;
}

export function projectParentEvaluations(parents: ParentEvaluation[], space: SearchSpace): Evaluation[] {
  const out: Evaluation[] = [];
  for (const parent of parents) {
    const assignment: Assignment = {};
    let placed = true;
    for (const p of space.parameters) {
      const text = parent.assignment[p.name] ?? parent.staticHyperParameters?.[p.name];
      if (text === undefined) {
        placed = false;
        break;
      }
      if (p.type === 'Categorical') {
        if (!p.values.includes(text)) placed = false;
      } else {
        const v = parseValue(text);
        if (!Number.isFinite(v) || v < p.min || v > p.max || (p.type === 'Integer' && !Number.isInteger(v))) placed = false;
      }
      if (!placed) break;
      assignment[p.name] = text;
    }
    if (placed) out.push(parent.objective === undefined ? { assignment } : { assignment, objective: parent.objective });
  }
  return out;
}
