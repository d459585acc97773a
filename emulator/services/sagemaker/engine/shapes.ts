import type { ServiceModel, Shape } from '../../../protocol/service-model.js';

/**
 * Shape-driven values: the smallest value a shape accepts (used to fill an output's required
 * members the engine cannot know, and by the contract test to build inputs), and the projection
 * of a stored record onto an output shape so that no member the model does not declare reaches a
 * client.
 */

/** A value that satisfies the shape's type, length, enum and (for common patterns) its regex. */
export function minimalValue(model: ServiceModel, shapeName: string, memberName = '', depth = 0): unknown {
  const shape = model.shapes[shapeName];
  if (!shape) return undefined;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      if (depth > 8) return out;
      for (const name of shape.required ?? []) {
        const member = shape.members?.[name];
        if (member) out[name] = minimalValue(model, member.shape, name, depth + 1);
      }
      // A union (every member optional, the model asks for exactly one) gets its first member.
      if (!shape.required?.length && (shape as Shape & { union?: boolean }).union) {
        const [first] = Object.entries(shape.members ?? {});
        if (first) out[first[0]] = minimalValue(model, first[1].shape, first[0], depth + 1);
      }
      return out;
    }
    case 'list': {
      const n = Math.max(shape.min ?? 0, 0);
      return Array.from({ length: n }, () => minimalValue(model, shape.member!.shape, memberName, depth + 1));
    }
    case 'map':
      return (shape.min ?? 0) > 0 ? { [String(minimalValue(model, shape.key!.shape, memberName, depth + 1))]: minimalValue(model, shape.value!.shape, memberName, depth + 1) } : {};
    case 'string':
      return minimalString(shape, memberName);
    case 'integer':
    case 'long':
      return Math.max(shape.min ?? 0, 1) <= (shape.max ?? Infinity) ? Math.max(shape.min ?? 0, 1) : (shape.min ?? 0);
    case 'float':
    case 'double':
      return shape.min ?? 0;
    case 'boolean':
      return false;
    case 'timestamp':
      return new Date(0);
    case 'blob':
      return 'AA==';
    default:
      return undefined;
  }
}

function minimalString(shape: Shape, memberName: string): string {
  if (shape.enum?.length) return shape.enum[0];
  const pattern = shape.pattern ?? '';
  const candidates: string[] = [];
  if (/arn/i.test(memberName) || pattern.startsWith('arn:')) {
    const type = /:([a-z-]+)\//.exec(pattern.replace(/\\/g, ''))?.[1] ?? 'resource';
    if (pattern.includes(':iam:') || /role/i.test(memberName)) candidates.push('arn:aws:iam::123456789012:role/localsage');
    candidates.push(`arn:aws:sagemaker:us-east-1:123456789012:${type}/localsage`);
  }
  candidates.push('localsage', 's3://localsage/key', 'https://localsage.example/repository', 'd-localsage1', 'localsage.example', '1', 'a');
  const min = shape.min ?? 0;
  const max = shape.max ?? 1024;
  const sized = (v: string) => (v.length < min ? v + 'a'.repeat(min - v.length) : v).slice(0, Math.max(max, min));
  const re = pattern ? javaPattern(pattern) : undefined;
  for (const c of candidates) if (!re || re.test(sized(c))) return sized(c);
  return sized(candidates[0]);
}

/** The model's Java patterns, where JavaScript reads them the same way (most of them). */
function javaPattern(pattern: string): RegExp | undefined {
  for (const flags of ['u', '']) {
    try {
      return new RegExp(`^(?:${pattern.replace(/^\^/, '').replace(/\$$/, '')})$`, flags);
    } catch {
      // try without the unicode flag
    }
  }
  return undefined;
}

/**
 * The record projected onto the shape: members the shape does not declare are dropped (at every
 * depth), and required members the record lacks get the shape's minimal value.
 */
export function conform(model: ServiceModel, shapeName: string, value: unknown, fillRequired = true): unknown {
  const shape = model.shapes[shapeName];
  if (!shape || value === undefined || value === null) return undefined;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value) || value instanceof Date) return undefined;
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        const v = conform(model, member.shape, src[name], fillRequired);
        if (v !== undefined) out[name] = v;
      }
      if (fillRequired) {
        for (const name of shape.required ?? []) {
          if (out[name] === undefined && shape.members?.[name]) out[name] = minimalValue(model, shape.members[name].shape, name);
        }
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => conform(model, shape.member!.shape, v, fillRequired)).filter((v) => v !== undefined) : undefined;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const c = conform(model, shape.value!.shape, v, fillRequired);
        if (c !== undefined) out[k] = c;
      }
      return out;
    }
    case 'timestamp':
      return value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return typeof value === 'number' ? value : undefined;
    default:
      return value;
  }
}

/** Where a value breaks its shape: unknown members, wrong types, missing required members. */
export function shapeViolations(model: ServiceModel, shapeName: string, value: unknown, path = '$'): string[] {
  const shape = model.shapes[shapeName];
  if (!shape || value === undefined || value === null) return [];
  const bad = (what: string) => [`${path}: ${what}`];
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return bad('expected a structure');
      const obj = value as Record<string, unknown>;
      const out: string[] = [];
      for (const k of Object.keys(obj)) {
        if (obj[k] === undefined) continue;
        const member = shape.members?.[k];
        if (!member) out.push(`${path}.${k}: not a member of ${shapeName}`);
        else out.push(...shapeViolations(model, member.shape, obj[k], `${path}.${k}`));
      }
      for (const r of shape.required ?? []) if (obj[r] === undefined || obj[r] === null) out.push(`${path}.${r}: required member missing`);
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.flatMap((v, i) => shapeViolations(model, shape.member!.shape, v, `${path}[${i}]`)) : bad('expected a list');
    case 'map':
      return typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => shapeViolations(model, shape.value!.shape, v, `${path}.${k}`))
        : bad('expected a map');
    case 'string':
      if (typeof value !== 'string') return bad('expected a string');
      return shape.enum && !shape.enum.includes(value) ? bad(`'${value}' is not in the enum`) : [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : bad('expected a boolean');
    case 'timestamp':
      return value instanceof Date || typeof value === 'number' ? [] : bad('expected a timestamp');
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return typeof value === 'number' ? [] : bad('expected a number');
    default:
      return [];
  }
}
