import { JSONPath } from 'jsonpath-plus';

/**
 * Evaluates a step's Arguments at run time: `{"Get": ...}` property references (Steps.*,
 * Parameters.*, Execution.*), `Std:Join`, `Std:JsonGet`, and the condition expressions.
 */
export interface EvalContext {
  parameters: Record<string, unknown>;
  execution: Record<string, unknown>;
  /** Properties of finished steps: their job's Describe output, as JSON. */
  properties: (step: string) => unknown;
  /** The parsed JSON of a property file a finished Processing step declared (PropertyFiles). */
  propertyFile: (step: string, name: string) => Promise<unknown>;
  /** The parsed JSON of an S3 object (JsonGet's S3Uri form). */
  readJson: (s3Uri: string) => Promise<unknown>;
}

/** A reference that cannot be evaluated; the step fails with this message. */
export class ExpressionError extends Error {}

export async function resolve(value: unknown, ctx: EvalContext): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolve(v, ctx)));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, any>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === 'Get' && typeof o.Get === 'string') return get(o.Get, ctx);
  if (keys.length === 1 && keys[0] === 'Std:Join') {
    const values = (await resolve(o['Std:Join'].Values ?? [], ctx)) as unknown[];
    return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(String(o['Std:Join'].On ?? ''));
  }
  if (keys.length === 1 && keys[0] === 'Std:JsonGet') return jsonGet(o['Std:JsonGet'], ctx);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = await resolve(o[k], ctx);
  return out;
}

/**
 * `Std:JsonGet`: one value out of a JSON document, by a JsonPath. The document is a property file
 * of a Processing step (`{"PropertyFile": {"Get": "Steps.<step>.PropertyFiles.<name>"}}`, read
 * from the S3 location of the output the PropertyFile names) or, in the newer form, any S3 object
 * (`{"S3Uri": <string or Std:Join>}`). The path may leave out the leading `$.`, as the SDK's
 * examples do (`regression_metrics.mse.value`).
 */
async function jsonGet(spec: any, ctx: EvalContext): Promise<unknown> {
  const path = spec?.Path;
  if (typeof path !== 'string' || !path) throw new ExpressionError(`Std:JsonGet needs a Path: ${JSON.stringify(spec)}.`);
  let doc: unknown;
  let source: string;
  if (spec.PropertyFile !== undefined) {
    const ref = spec.PropertyFile?.Get;
    const m = typeof ref === 'string' ? /^Steps\.([^.]+)\.PropertyFiles\.(.+)$/.exec(ref) : null;
    if (!m) throw new ExpressionError(`Std:JsonGet: PropertyFile must be {"Get": "Steps.<step>.PropertyFiles.<name>"}, not ${JSON.stringify(spec.PropertyFile)}.`);
    source = `property file ${m[2]} of step ${m[1]}`;
    doc = await ctx.propertyFile(m[1]!, m[2]!);
  } else if (spec.S3Uri !== undefined) {
    const uri = await resolve(spec.S3Uri, ctx);
    if (typeof uri !== 'string' || !uri.startsWith('s3://')) throw new ExpressionError(`Std:JsonGet: S3Uri ${JSON.stringify(uri)} is not an s3:// URI.`);
    source = uri;
    doc = await ctx.readJson(uri);
  } else {
    throw new ExpressionError(`Std:JsonGet needs a PropertyFile or an S3Uri: ${JSON.stringify(spec)}.`);
  }
  let found: unknown[];
  try {
    found = JSONPath({ path, json: doc as object, wrap: true, eval: 'safe' }) as unknown[];
  } catch (e) {
    throw new ExpressionError(`Std:JsonGet: the JsonPath ${path} is not valid: ${(e as Error).message}`);
  }
  if (!found.length) throw new ExpressionError(`Std:JsonGet: the JsonPath ${path} matches nothing in ${source}.`);
  return found[0];
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
      throw new ExpressionError(`Property file ${path} is read through Std:JsonGet, not as a property.`);
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
export async function evaluateCondition(c: any, ctx: EvalContext): Promise<boolean> {
  const r = (v: unknown) => resolve(v, ctx);
  switch (c?.Type) {
    case 'Equals':
      return compare(await r(c.LeftValue), await r(c.RightValue)) === 0;
    case 'GreaterThan':
      return compare(await r(c.LeftValue), await r(c.RightValue)) > 0;
    case 'GreaterThanOrEqualTo':
      return compare(await r(c.LeftValue), await r(c.RightValue)) >= 0;
    case 'LessThan':
      return compare(await r(c.LeftValue), await r(c.RightValue)) < 0;
    case 'LessThanOrEqualTo':
      return compare(await r(c.LeftValue), await r(c.RightValue)) <= 0;
    case 'In': {
      const q = await r(c.QueryValue);
      return ((await r(c.Values ?? [])) as unknown[]).some((v) => compare(q, v) === 0);
    }
    case 'Not':
      return !(await evaluateCondition(c.Expression ?? c.Condition, ctx));
    case 'Or':
      for (const x of c.Conditions ?? []) if (await evaluateCondition(x, ctx)) return true;
      return false;
    default:
      throw new ExpressionError(`Unknown condition type ${JSON.stringify(c?.Type)}.`);
  }
}
