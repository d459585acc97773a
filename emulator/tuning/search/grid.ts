/**
 * Grid search: every combination of the categorical values (and of the integers in each integer
 * range) exactly once, in a fixed order (the first parameter varies slowest), then undefined so
 * the tuning job completes. A combination already among `completed` (warm-start parents included)
 * or `pending` is skipped, so a restart never trains one twice.
 */
import { assignmentKey } from './space.js';
import type { Assignment, Evaluation, ParameterSpec, Searcher, SearchSpace } from './types.js';

export class GridSearchError extends Error {}

function valuesOf(p: ParameterSpec): string[] {
  if (p.type === 'Categorical') return p.values;
  if (p.type === 'Integer') {
    const out: string[] = [];
    for (let v = Math.ceil(p.min); v <= Math.floor(p.max); v++) out.push(String(v));
    return out;
  }
  throw new GridSearchError(`Grid search takes only categorical and integer ranges; ${p.name} is continuous.`);
}

export class GridSearcher implements Searcher {
  private readonly axes: { name: string; values: string[] }[];
  /** Number of combinations in the grid. */
  readonly size: number;

  constructor(private readonly space: SearchSpace) {
    this.axes = space.parameters.map((p) => ({ name: p.name, values: valuesOf(p) }));
    this.size = this.axes.length === 0 ? 0 : this.axes.reduce((n, a) => n * a.values.length, 1);
  }

  /** The combination at a position of the grid's order. */
  at(position: number): Assignment {
    const picks: string[] = new Array(this.axes.length);
    let rest = position;
    for (let i = this.axes.length - 1; i >= 0; i--) {
      const a = this.axes[i];
      picks[i] = a.values[rest % a.values.length];
      rest = Math.floor(rest / a.values.length);
    }
    const out: Assignment = {};
    this.axes.forEach((a, i) => (out[a.name] = picks[i]));
    return out;
  }

  suggest(completed: Evaluation[], pending: Assignment[], index: number): Assignment | undefined {
    const seen = new Set<string>();
    for (const e of completed) seen.add(assignmentKey(this.space.parameters, e.assignment));
    for (const a of pending) seen.add(assignmentKey(this.space.parameters, a));
    // Start the scan at `index` (where a fresh job's next combination is) and wrap around, so the
    // usual call is O(1) and a history with gaps still gets every combination.
    for (let k = 0; k < this.size; k++) {
      const candidate = this.at((index + k) % this.size);
      if (!seen.has(assignmentKey(this.space.parameters, candidate))) return candidate;
    }
    return undefined;
  }
}
