/**
 * Evaluates a step's Arguments at run time: `{"Get": ...}` property references (Steps.*,
 * Parameters.*, Execution.*), `Std:Join`, `Std:JsonGet`, and the condition expressions.
 */
export interface EvalContext {
  parameters: Record<string, unknown>;
  execution: Record<string, unknown>;
  /** Properties of finished steps: their job's Describe output, as JSON. */
  properties: (step: string) => unknown;
}

/** A reference that cannot be evaluated; the step fails with this message. */
export class ExpressionError extends Error {}

export function resolve(value: unknown, ctx: EvalContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, any>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === 'Get' && typeof o.Get === 'string') return get(o.Get, ctx);
  if (keys.length === 1 && keys[0] === 'Std:Join') {
    const values = resolve(o['Std:Join'].Values ?? [], ctx) as unknown[];
    return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(String(o['Std:Join'].On ?? ''));
  }
  if (keys.length === 1 && keys[0] === 'Std:JsonGet') {
    const file = o['Std:JsonGet'].PropertyFile;
    const source = typeof file?.Get === 'string' ? file.Get : JSON.stringify(file);
    throw new ExpressionError(`Std:JsonGet cannot read property file ${source}: processing jobs, which write property files, are not served by localsage yet.`);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = resolve(o[k], ctx);
  return out;
}

function get(path: string, ctx: EvalContext): unknown {
  if (path.startsWith('Parameters.')) {
    const name = path.slice(11);
    if (!(name in ctx.parameters)) throw new ExpressionError(`Parameter ${name} is not defined.`);
    return ctx.parameters[name];
  }
  if (path.startsWith('Execution.')) {
    const name = path.slice(10);
    if (!(name in ctx.execution)) throw new ExpressionError(`Unknown execution variable ${name}.`);
    return ctx.execution[name];
  }
  if (path.startsWith('Steps.')) {
    const [step, ...rest] = tokens(path.slice(6));
    if (rest[0] === 'PropertyFiles') {
      throw new ExpressionError(`Property file ${path} cannot be read: processing jobs are not served by localsage yet.`);
    }
    let cur: unknown = ctx.properties(String(step));
    for (const t of rest) {
      cur = step_into(cur, t);
      if (cur === undefined) throw new ExpressionError(`The property ${path} could not be resolved: ${String(t)} is absent.`);
    }
    return cur;
  }
  throw new ExpressionError(`Unknown property reference ${path}.`);
}

/** `A.B['key'].C[0]` -> ['A', 'B', 'key', 'C', 0]. */
function tokens(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(?:'([^']*)'|"([^"]*)"|(\d+))\]/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[4] !== undefined) out.push(Number(m[4]));
    else out.push(m[2] ?? m[3]!);
  }
  return out;
}

/** A list indexed by a string picks the element whose name field matches (FinalMetricDataList['validation:accuracy']). */
function step_into(cur: unknown, t: string | number): unknown {
  if (cur == null || typeof cur !== 'object') return undefined;
  if (Array.isArray(cur)) {
    if (typeof t === 'number') return cur[t];
    return cur.find((e) => e && typeof e === 'object' && Object.entries(e).some(([k, v]) => /Name$/.test(k) && v === t));
  }
  return (cur as Record<string, unknown>)[t];
}

const num = (v: unknown) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

function compare(a: unknown, b: unknown): number {
  const x = num(a);
  const y = num(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  const sx = String(x);
  const sy = String(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

/** One condition of a ConditionStep (https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html). */
export function evaluateCondition(c: any, ctx: EvalContext): boolean {
  switch (c?.Type) {
    case 'Equals':
      return compare(resolve(c.LeftValue, ctx), resolve(c.RightValue, ctx)) === 0;
    case 'GreaterThan':
      return compare(resolve(c.LeftValue, ctx), resolve(c.RightValue, ctx)) > 0;
    case 'GreaterThanOrEqualTo':
      return compare(resolve(c.LeftValue, ctx), resolve(c.RightValue, ctx)) >= 0;
    case 'LessThan':
      return compare(resolve(c.LeftValue, ctx), resolve(c.RightValue, ctx)) < 0;
    case 'LessThanOrEqualTo':
      return compare(resolve(c.LeftValue, ctx), resolve(c.RightValue, ctx)) <= 0;
    case 'In': {
      const q = resolve(c.QueryValue, ctx);
      return (resolve(c.Values ?? [], ctx) as unknown[]).some((v) => compare(q, v) === 0);
    }
    case 'Not':
      return !evaluateCondition(c.Expression ?? c.Condition, ctx);
    case 'Or':
      return (c.Conditions ?? []).some((x: unknown) => evaluateCondition(x, ctx));
    default:
      throw new ExpressionError(`Unknown condition type ${JSON.stringify(c?.Type)}.`);
  }
}
