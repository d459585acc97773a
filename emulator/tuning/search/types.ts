/**
 * The contract between the tuning-job service (which runs training jobs and persists state) and
 * the search strategies (pure, seeded, no I/O). A strategy is stateless between calls: it is
 * handed the whole history each time, so a tuning job that a restart interrupted resumes from
 * what SQLite holds, and a warm start is just a longer history.
 */

/** ScalingType as CreateHyperParameterTuningJob takes it. */
export type ScalingType = 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';

/** One tuned hyperparameter, with numbers already parsed from the API's strings. */
export type ParameterSpec =
  | { name: string; type: 'Integer'; min: number; max: number; scaling: ScalingType }
  | { name: string; type: 'Continuous'; min: number; max: number; scaling: ScalingType }
  | { name: string; type: 'Categorical'; values: string[] };

/** Hyperparameter values as they are passed to a training job: strings. */
export type Assignment = Record<string, string>;

export interface SearchSpace {
  parameters: ParameterSpec[];
  /** The objective's Type. Strategies compare objectives through this, never by sign tricks. */
  direction: 'Minimize' | 'Maximize';
}

/** A finished (or stopped) child job. objective is undefined when the metric never appeared. */
export interface Evaluation {
  assignment: Assignment;
  objective?: number;
}

export interface Searcher {
  /**
   * The next configuration to train, given every finished evaluation (parents' included, for a
   * warm start) and the configurations still running. Returns undefined when the space is
   * exhausted (Grid), so the tuning job completes.
   * `index` is the 0-based number of this suggestion within the job: with the job's RandomSeed it
   * makes each suggestion reproducible, also after a restart.
   */
  suggest(completed: Evaluation[], pending: Assignment[], index: number): Assignment | undefined;
}

export type SearchStrategyName = 'Bayesian' | 'Random' | 'Grid' | 'Hyperband';
