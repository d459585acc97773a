/**
 * The Search API's SearchExpression, evaluated against one resource as Search returns it: Filters
 * (Name is a dotted property path), NestedFilters over a list property, SubExpressions, combined
 * with the expression's Operator (And by default).
 */
import type { Filter, NestedFilters, SearchExpression } from '@aws-sdk/client-sagemaker';

type Doc = Record<string, unknown>;

/**
 * The value at a dotted path. Lists of key/value pairs are addressed by their key, as Search does:
 * `Tags.<key>`, `Metrics.<name>` (a training job's FinalMetricDataList, or a trial component's
 * metric summary, then `.Max`, `.Last`, ...), `Parameters.<name>` (a trial component's value).
 */
export function valueAt(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (current === undefined || current === null) return undefined;
    const part = parts[i];
    if (Array.isArray(current)) {
      const hit = current.find((e) => e && typeof e === 'object' && ((e as Doc).Key === part || (e as Doc).MetricName === part));
      if (!hit) return undefined;
      current = 'Value' in (hit as Doc) && parts.length === i + 1 ? (hit as Doc).Value : hit;
      continue;
    }
    if (typeof current !== 'object') return undefined;
    // A training job's `Metrics.<name>` are its FinalMetricDataList.
    current = part === 'Metrics' && i === 0 && !('Metrics' in (current as Doc)) ? (current as Doc).FinalMetricDataList : (current as Doc)[part];
    // A trial component parameter is {NumberValue} or {StringValue}: compare the value itself.
    if (current && typeof current === 'object' && !Array.isArray(current) && i === parts.length - 1) {
      const p = current as Doc;
      if ('NumberValue' in p) current = p.NumberValue;
      else if ('StringValue' in p) current = p.StringValue;
    }
  }
  return current;
}

function comparable(actual: unknown, expected: string): [number | string, number | string] {
  if (actual instanceof Date) {
    const t = /^\d+(\.\d+)?$/.test(expected) ? Number(expected) * 1000 : Date.parse(expected);
    return [actual.getTime(), t];
  }
  if (typeof actual === 'number' || (typeof actual === 'string' && actual.trim() !== '' && !Number.isNaN(Number(actual)) && !Number.isNaN(Number(expected)))) {
    return [Number(actual), Number(expected)];
  }
  return [String(actual), expected];
}

function matchesValue(actual: unknown, f: Filter): boolean {
  const op = f.Operator ?? 'Equals';
  if (op === 'Exists') return actual !== undefined && actual !== null;
  if (op === 'NotExists') return actual === undefined || actual === null;
  if (actual === undefined || actual === null) return op === 'NotEquals';
  const expected = f.Value ?? '';
  if (op === 'Contains') return String(actual).includes(expected);
  if (op === 'In') return expected.split(',').some((v) => comparable(actual, v.trim()).every((x, _, [a, b]) => a === b));
  const [a, b] = comparable(actual, expected);
  switch (op) {
    case 'Equals':
      return a === b;
    case 'NotEquals':
      return a !== b;
    case 'GreaterThan':
      return a > b;
    case 'GreaterThanOrEqualTo':
      return a >= b;
    case 'LessThan':
      return a < b;
    case 'LessThanOrEqualTo':
      return a <= b;
    default:
      return false;
  }
}

export function matchesFilter(doc: unknown, f: Filter): boolean {
  return matchesValue(valueAt(doc, f.Name!), f);
}

/** Some element of the nested list satisfies every filter (their Names start with the list's). */
function matchesNested(doc: unknown, n: NestedFilters): boolean {
  const list = valueAt(doc, n.NestedPropertyName!);
  if (!Array.isArray(list)) return false;
  const prefix = `${n.NestedPropertyName}.`;
  return list.some((element) => (n.Filters ?? []).every((f) => matchesFilter(element, { ...f, Name: f.Name!.startsWith(prefix) ? f.Name!.slice(prefix.length) : f.Name })));
}

export function matches(doc: unknown, e: SearchExpression | undefined): boolean {
  if (!e) return true;
  const results = [
    ...(e.Filters ?? []).map((f) => matchesFilter(doc, f)),
    ...(e.NestedFilters ?? []).map((n) => matchesNested(doc, n)),
    ...(e.SubExpressions ?? []).map((s) => matches(doc, s)),
  ];
  return e.Operator === 'Or' ? results.some(Boolean) : results.every(Boolean);
}
