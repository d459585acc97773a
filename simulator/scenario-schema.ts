import { z } from 'zod';
import { parseDistribution, type Distribution } from './distributions.js';
import { parseDurationMs, ScenarioError } from './units.js';

/**
 * The shape of a scenario file, as a zod schema: types, ranges, required and unknown fields, with
 * the error each one gives. zod (a well-kept, widely used validation library with static type
 * inference) replaces the hand-written validators, so the scenario's TypeScript type and its
 * checks come from one declaration. What is not a shape (durations like "5m", the distribution
 * mini-language, and cross-field rules such as a curve's first point at 0 or the scaling ids) is
 * still checked by code, which reports through the same path-to-the-bad-value errors.
 *
 * The first issue becomes a ScenarioError "traffic.phases[0].closedLoop.users: must be an
 * integer >= 0", as before.
 */

const required = (what: string) => (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : what);

const num = (min: number) =>
  z.number({ error: required(`must be a number >= ${min}`) }).min(min, { error: `must be a number >= ${min}` });
const int = (min: number) =>
  z
    .number({ error: required(`must be an integer >= ${min}`) })
    .int({ error: `must be an integer >= ${min}` })
    .min(min, { error: `must be an integer >= ${min}` });
const str = z.string({ error: required('must be a non-empty string') }).min(1, { error: 'must be a non-empty string' });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be ${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: required('must be a list') });

/** A mapping with only the listed fields. */
const strict = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown field (expected one of: ${Object.keys(shape).join(', ')})` : iss.input === undefined ? 'is required' : 'must be a mapping'),
  });
/** An AWS request shape, checked by the autoscaler itself (so a real request pastes in as is). */
const awsRequest = z.looseObject({}, { error: required('must be a mapping') });

/** Runs one of the hand-written parsers, turning its ScenarioError into an issue at the right path. */
function parsed<T>(parse: (v: unknown) => T) {
  return z.unknown().transform((v, ctx): T => {
    try {
      return parse(v);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      const suffix = e.where.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      ctx.issues.push({ code: 'custom', message: e.detail, input: v, path: suffix });
      return z.NEVER;
    }
  });
}

const duration = parsed((v) => parseDurationMs(v, ''));
const distribution = parsed((v): Distribution => parseDistribution(v, ''));

/** A keyword that stands for a value defined elsewhere (an instance profile, a timing profile). */
export interface Reference {
  reference: string;
}
const distributionOr = (keyword: RegExp, missing: string) =>
  parsed((v): Distribution | Reference => {
    if (v === undefined) throw new ScenarioError('', missing);
    if (typeof v === 'string' && keyword.test(v)) return { reference: v };
    return parseDistribution(v, '');
  });

const closedLoop = strict({ users: int(0), rampUp: duration.optional(), steps: int(0).optional(), holdFor: duration.optional(), thinkTime: distribution.optional() });
const openLoop = strict({
  rate: num(0).optional(),
  curve: list(z.tuple([duration, num(0)], { error: 'must be [time, requests per second]' })).min(1, { error: 'must be a list of [time, rate] points' }).optional(),
  interpolation: oneOf(['linear', 'step']).optional(),
  duration: duration.optional(),
  arrivals: oneOf(['poisson', 'uniform']).optional(),
});
const trace = strict({
  file: str,
  column: z.union([z.number().int().min(0), z.string()], { error: 'must be a column index or a header name' }).optional(),
  unit: z.enum(['s', 'ms'], { error: 'must be s or ms (ISO timestamps need no unit)' }).optional(),
  timeScale: num(1e-9).optional(),
  duration: duration.optional(),
});
const phase = strict({ name: str.optional(), closedLoop: closedLoop.optional(), openLoop: openLoop.optional(), trace: trace.optional() });

const requestPath = strict({
  client: strict({ overhead: distribution.optional(), concurrency: int(1).optional() }).optional(),
  network: strict({ latency: distribution.optional(), requestShare: num(0).max(1, { error: 'must be between 0 and 1' }).optional() }).optional(),
  gateway: strict({ latency: distribution.optional(), throttle: strict({ rate: num(0), burst: num(1).optional() }).nullable().optional() }).optional(),
});

const serving = strict({
  instanceType: str,
  initialInstanceCount: int(0).optional(),
  concurrency: int(1).optional(),
  maxQueue: int(0).nullable().optional(),
  queueTimeout: duration.optional(),
  routing: oneOf(['random', 'least-outstanding-requests']).optional(),
  serviceTime: distributionOr(/^instance-profile$/, 'is required (the time one request takes on one worker; or instance-profile for the instance type profile)'),
  warmup: distributionOr(/^timing-profile:(fast|realistic)$/, 'is required').optional(),
  cpuCoresPerRequest: num(0).optional(),
  errorLatency: duration.optional(),
  failures: strict({ meanTimeBetweenFailures: duration, replacement: distributionOr(/^timing-profile:(fast|realistic)$/, 'is required').optional() }).nullable().optional(),
});

const instanceType = strict({
  vcpu: num(0.001).optional(),
  memoryGiB: num(0).optional(),
  pricePerHour: num(0).optional(),
  accelerator: str.optional(),
  modelServerWorkers: int(1).optional(),
  serviceTimeMs: num(0).optional(),
});

const perMinutePeriod = (min: number) => int(min).refine((v) => v % 60 === 0, { error: 'must be a multiple of 60 (SageMaker metrics are per minute)' });
const scaling = strict({
  scalableTarget: z.looseObject({ MinCapacity: int(0), MaxCapacity: int(0) }, { error: required('must be a mapping') }),
  policies: list(awsRequest).nullable().optional(),
  alarms: list(z.looseObject({ Period: perMinutePeriod(60).optional() }, { error: 'must be a mapping' })).nullable().optional(),
  scheduledActions: list(awsRequest).nullable().optional(),
  targetTrackingAlarms: strict({
    periodSeconds: perMinutePeriod(60).optional(),
    evaluationDelaySeconds: num(0).optional(),
    high: strict({ evaluationPeriods: int(1).optional(), datapointsToAlarm: int(1).optional() }).optional(),
    low: strict({ evaluationPeriods: int(1).optional(), datapointsToAlarm: int(1).optional(), thresholdRatio: num(0).optional() }).optional(),
  }).optional(),
});

export const scenarioSchema = strict({
  name: str.optional(),
  description: z.string({ error: 'must be a string' }).optional(),
  seed: int(0).optional(),
  startTime: z.union([z.string(), z.date()], { error: 'must be an ISO 8601 time' }).optional(),
  duration: duration.optional(),
  endpoint: strict({ name: str.optional(), variant: str.optional() }).optional(),
  traffic: strict({ phases: list(phase).min(1, { error: 'must list at least one phase' }) }),
  path: requestPath.nullable().optional(),
  serving,
  instanceTypes: z.record(z.string(), instanceType, { error: 'must be a mapping' }).optional(),
  scaling: scaling.nullable().optional(),
  slo: strict({ p99: duration.optional(), p95: duration.optional(), errorRate: num(0).optional() }).optional(),
  sweep: z.record(z.string(), list(z.unknown()).min(1, { error: 'must be a non-empty list of values' }), { error: 'must be a mapping' }).optional(),
});

export type ScenarioInput = z.infer<typeof scenarioSchema>;

/** Validates a parsed scenario file; the first problem is thrown as a ScenarioError with its path. */
export function validateScenario(raw: unknown): ScenarioInput {
  const r = scenarioSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [...issue.path];
  if (issue.code === 'unrecognized_keys') path.push(issue.keys[0]);
  throw new ScenarioError(formatPath(path) || '(scenario)', issue.message);
}

/** ['traffic', 'phases', 0, 'closedLoop'] -> traffic.phases[0].closedLoop */
export function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}
