/** Declarative hyperparameter checks shared by both algorithms; messages always name the key. */
import { AlgorithmError } from './errors.js';

export type Spec =
  | { kind: 'enum'; values: readonly string[]; auto?: boolean }
  | { kind: 'int'; min?: number; max?: number; auto?: boolean }
  | { kind: 'float'; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean; auto?: boolean }
  | { kind: 'bool'; auto?: boolean }
  | { kind: 'metric-list'; values: readonly string[] }
  | { kind: 'any' };

/** Keys the containers accept without documenting them. */
export const HIDDEN_KEYS = new Set(['_kvstore', '_num_gpus', '_num_kv_servers', '_log_level', '_enable_profiler', '_tuning_objective_metric']);

function bad(key: string, value: string, why: string): AlgorithmError {
  return new AlgorithmError(`Invalid value '${value}' for hyperparameter '${key}': ${why}`);
}

function rangeText(s: Extract<Spec, { kind: 'int' | 'float' }>): string {
  const parts: string[] = [];
  if (s.min !== undefined) parts.push(`${'minExclusive' in s && s.minExclusive ? '>' : '>='} ${s.min}`);
  if (s.max !== undefined) parts.push(`${'maxExclusive' in s && s.maxExclusive ? '<' : '<='} ${s.max}`);
  return parts.join(' and ');
}

export function checkValue(key: string, raw: string, spec: Spec): void {
  const value = raw.trim();
  if (spec.kind !== 'any' && spec.kind !== 'metric-list' && spec.auto && value.toLowerCase() === 'auto') return;
  switch (spec.kind) {
    case 'any':
      return;
    case 'enum':
      if (!spec.values.includes(value)) throw bad(key, raw, `must be one of ${[...spec.values, ...(spec.auto ? ['auto'] : [])].join(', ')}`);
      return;
    case 'bool':
      if (!['true', 'false'].includes(value.toLowerCase())) throw bad(key, raw, `must be true or false${spec.auto ? ' or auto' : ''}`);
      return;
    case 'int': {
      if (!/^[+-]?\d+$/.test(value)) throw bad(key, raw, `must be an integer${spec.auto ? ' or auto' : ''}`);
      const v = Number(value);
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) throw bad(key, raw, `must be an integer ${rangeText(spec)}`);
      return;
    }
    case 'float': {
      const v = value === '' ? NaN : Number(value);
      if (!Number.isFinite(v)) throw bad(key, raw, `must be a number${spec.auto ? ' or auto' : ''}`);
      const low = spec.min !== undefined && (spec.minExclusive ? v <= spec.min : v < spec.min);
      const high = spec.max !== undefined && (spec.maxExclusive ? v >= spec.max : v > spec.max);
      if (low || high) throw bad(key, raw, `must be a number ${rangeText(spec)}`);
      return;
    }
    case 'metric-list': {
      let list: unknown;
      try {
        list = JSON.parse(value.replace(/'/g, '"'));
      } catch {
        throw bad(key, raw, `must be a JSON list drawn from ${spec.values.join(', ')}`);
      }
      if (!Array.isArray(list) || list.length === 0 || !list.every((m) => typeof m === 'string' && spec.values.includes(m))) {
        throw bad(key, raw, `must be a JSON list drawn from ${spec.values.join(', ')}`);
      }
    }
  }
}

/** Checks keys (required, unknown) and each value against its spec. */
export function validateAgainst(hp: Record<string, string>, specs: Record<string, Spec>, required: string[]): void {
  const entries = Object.entries(hp);
  if (entries.length > 100) throw new AlgorithmError(`At most 100 hyperparameters are allowed, got ${entries.length}`);
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw new AlgorithmError(`Hyperparameter '${key}' must be a string`);
    if (key.length > 256) throw new AlgorithmError(`Hyperparameter name '${key.slice(0, 40)}...' is longer than 256 characters`);
    if (value.length > 2500) throw new AlgorithmError(`Value of hyperparameter '${key}' is longer than 2500 characters`);
    // Own keys only: `key in specs` also finds '__proto__' and 'constructor' on every object.
    if (!Object.hasOwn(specs, key) && !HIDDEN_KEYS.has(key)) {
      throw new AlgorithmError(`Additional properties are not allowed ('${key}' was unexpected)`);
    }
  }
  for (const key of required) {
    if (!Object.hasOwn(hp, key) || hp[key] === undefined) throw new AlgorithmError(`'${key}' is a required property`);
  }
  for (const [key, value] of entries) {
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    if (spec) checkValue(key, value, spec);
  }
}

/** Typed accessors over validated raw strings, treating 'auto' as absent. */
export class HpReader {
  constructor(private readonly hp: Record<string, string>) {}

  raw(key: string): string | undefined {
    const v = this.hp[key];
    return v === undefined ? undefined : v.trim();
  }

  isAuto(key: string): boolean {
    const v = this.raw(key);
    return v === undefined || v.toLowerCase() === 'auto';
  }

  num(key: string, fallback: number): number {
    return this.isAuto(key) ? fallback : Number(this.raw(key));
  }

  str(key: string, fallback: string): string {
    return this.isAuto(key) ? fallback : (this.raw(key) as string);
  }

  bool(key: string, fallback: boolean): boolean {
    return this.isAuto(key) ? fallback : (this.raw(key) as string).toLowerCase() === 'true';
  }
}
