/**
 * The search space as the Bayesian surrogate sees it: a point of the unit cube. Each numeric
 * hyperparameter is one coordinate (warped by its ScalingType); each categorical one is a one-hot
 * block. Assignments (the strings a training job gets) go in and out through here only.
 */
import type { Rng } from '../../../core/random.js';
import { fromUnit, parseValue, renderValue, toUnit, type NumericSpec } from './scaling.js';
import type { Assignment, ParameterSpec } from './types.js';

export interface EncodedSpace {
  parameters: ParameterSpec[];
  /** Coordinates in the cube. */
  dims: number;
  /** First coordinate of each parameter (its one-hot block for a categorical). */
  offsets: number[];
}

export function encodeSpace(parameters: ParameterSpec[]): EncodedSpace {
  const offsets: number[] = [];
  let dims = 0;
  for (const p of parameters) {
    offsets.push(dims);
    dims += p.type === 'Categorical' ? p.values.length : 1;
  }
  return { parameters, dims, offsets };
}

/**
 * An assignment to its point in the cube. Returns undefined when it does not belong to this space
 * (a parameter is missing, not a number, or a category is unknown), e.g. a TransferLearning
 * parent's job that tuned other ranges: such evaluations cannot inform this surrogate.
 */
export function encode(space: EncodedSpace, assignment: Assignment): Float64Array | undefined {
  const x = new Float64Array(space.dims);
  for (let i = 0; i < space.parameters.length; i++) {
    const p = space.parameters[i];
    const text = assignment[p.name];
    if (text === undefined) return undefined;
    if (p.type === 'Categorical') {
      const k = p.values.indexOf(text);
      if (k < 0) return undefined;
      x[space.offsets[i] + k] = 1;
    } else {
      const v = parseValue(text);
      if (!Number.isFinite(v)) return undefined;
      x[space.offsets[i]] = toUnit(p, v);
    }
  }
  return x;
}

/** A point of the cube (one-hot blocks may be soft: the largest entry wins) to an assignment. */
export function decode(space: EncodedSpace, x: ArrayLike<number>): Assignment {
  const out: Assignment = {};
  for (let i = 0; i < space.parameters.length; i++) {
    const p = space.parameters[i];
    const o = space.offsets[i];
    if (p.type === 'Categorical') {
      let best = 0;
      for (let k = 1; k < p.values.length; k++) if (x[o + k] > x[o + best]) best = k;
      out[p.name] = p.values[best];
    } else {
      out[p.name] = renderValue(p, fromUnit(p, x[o]));
    }
  }
  return out;
}

/** Snap a point onto what decode would produce (integers rounded, one-hot made hard). */
export function snap(space: EncodedSpace, x: ArrayLike<number>): Float64Array {
  return encode(space, decode(space, x))!;
}

/** A uniform draw in the warped space: log-uniform for Logarithmic, uniform over categories. */
export function randomAssignment(parameters: ParameterSpec[], rng: Rng): Assignment {
  const out: Assignment = {};
  for (const p of parameters) {
    if (p.type === 'Categorical') out[p.name] = p.values[rng.int(p.values.length)];
    else out[p.name] = renderValue(p as NumericSpec, fromUnit(p as NumericSpec, rng.next()));
  }
  return out;
}

/** A key that identifies an assignment over the space's parameters, for duplicate checks. */
export function assignmentKey(parameters: ParameterSpec[], assignment: Assignment): string {
  return JSON.stringify(parameters.map((p) => assignment[p.name] ?? null));
}
