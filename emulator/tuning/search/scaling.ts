/**
 * ScalingType warping, shared by every strategy: each numeric hyperparameter maps to [0, 1] and
 * back, so Random draws uniformly in the warped space (log-uniform for Logarithmic) and the
 * Bayesian surrogate models the objective on the unit cube.
 *
 * - Linear: x = min + u (max - min).
 * - Logarithmic (needs min > 0): log x is uniform.
 * - ReverseLogarithmic (needs 0 <= min <= max < 1): log(1 - x) is uniform, so values crowd
 *   towards 1 (momentum, decay rates).
 * - Auto: the API reference says only that tuning "chooses the best scale for the
 *   hyperparameter". We resolve it from the range alone, before any job runs (so Random and the
 *   Bayesian start agree, and a restart resolves it the same way): Logarithmic when min > 0 and
 *   the range spans at least two orders of magnitude, ReverseLogarithmic when it lies in [0, 1)
 *   and 1 - x spans two orders of magnitude, Linear otherwise.
 *
 * Integers are warped over [min - 0.5, max + 0.5] and rounded, so every integer in range is
 * equally likely under Linear and the rounding never leaves the range.
 */
import type { ParameterSpec, ScalingType } from './types.js';

export type NumericSpec = Extract<ParameterSpec, { type: 'Integer' | 'Continuous' }>;
export type ConcreteScaling = Exclude<ScalingType, 'Auto'>;

/** Ratio of max to min (or of 1 - min to 1 - max) from which Auto picks a logarithmic scale. */
export const AUTO_LOG_SPAN = 100;

export function resolveScaling(spec: NumericSpec): ConcreteScaling {
  const { min, max, scaling } = spec;
  if (scaling !== 'Auto') return scaling;
  // A relative tolerance, so that [0.9, 0.999] counts as the two decades it is.
  const span = AUTO_LOG_SPAN * (1 - 1e-9);
  if (min > 0 && max / min >= span) return 'Logarithmic';
  if (min >= 0 && max < 1 && (1 - min) / (1 - max) >= span) return 'ReverseLogarithmic';
  return 'Linear';
}

/** The continuous interval the warp covers: integers get half a step either side. */
function interval(spec: NumericSpec, scaling: ConcreteScaling): [number, number] {
  if (spec.type === 'Continuous') return [spec.min, spec.max];
  let lo = spec.min - 0.5;
  let hi = spec.max + 0.5;
  // Keep the warp defined: log needs lo > 0; reverse-log needs hi < 1.
  if (scaling === 'Logarithmic' && lo <= 0) lo = spec.min / 2;
  if (scaling === 'ReverseLogarithmic') (lo = Math.max(lo, 0)), (hi = Math.min(hi, (1 + spec.max) / 2));
  return [lo, hi];
}

function forward(x: number, scaling: ConcreteScaling): number {
  if (scaling === 'Logarithmic') return Math.log(x);
  if (scaling === 'ReverseLogarithmic') return -Math.log1p(-x);
  return x;
}

function backward(t: number, scaling: ConcreteScaling): number {
  if (scaling === 'Logarithmic') return Math.exp(t);
  if (scaling === 'ReverseLogarithmic') return -Math.expm1(-t);
  return t;
}

/** A value of the hyperparameter (already in range) to its position in [0, 1]. */
export function toUnit(spec: NumericSpec, value: number): number {
  const scaling = resolveScaling(spec);
  const [lo, hi] = interval(spec, scaling);
  const a = forward(lo, scaling);
  const b = forward(hi, scaling);
  if (!(b > a)) return 0.5;
  const clamped = Math.min(Math.max(value, lo), hi);
  return Math.min(1, Math.max(0, (forward(clamped, scaling) - a) / (b - a)));
}

/** A position in [0, 1] to a value of the hyperparameter: in range, and an integer for Integer. */
export function fromUnit(spec: NumericSpec, u: number): number {
  const scaling = resolveScaling(spec);
  const [lo, hi] = interval(spec, scaling);
  const a = forward(lo, scaling);
  const b = forward(hi, scaling);
  const t = Math.min(1, Math.max(0, u));
  const x = b > a ? backward(a + t * (b - a), scaling) : lo;
  if (spec.type === 'Integer') return Math.min(spec.max, Math.max(spec.min, Math.round(x)));
  return Math.min(spec.max, Math.max(spec.min, x));
}

/**
 * A value as the training job receives it: integers in decimal, continuous values as the shortest
 * string that reads back as the same double (what Python's repr gives, up to exponent style).
 */
export function renderValue(spec: NumericSpec, value: number): string {
  if (spec.type === 'Integer') return String(Math.round(value));
  return String(value);
}

/** Parse a value a training job received (or a parent job recorded). NaN when it is not a number. */
export function parseValue(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? NaN : Number(trimmed);
}
