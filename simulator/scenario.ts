import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_TARGET_TRACKING_ALARMS,
  type PutMetricAlarmInput,
  type PutScalingPolicyRequest,
  type PutScheduledActionRequest,
  type RegisterScalableTargetRequest,
  type TargetTrackingAlarmSettings,
} from '../core/autoscaling/index.js';
import { parseDistribution, type Distribution } from './distributions.js';
import { INSTANCE_TYPES, type InstanceProfile } from '../core/instance-types.js';
import { TIMING_PROFILES, type TimingProfile } from '../core/timing.js';
import { validateScenario, type Reference, type ScenarioInput } from './scenario-schema.js';
import { ScenarioError } from './units.js';

/**
 * A scenario, as a user writes it (YAML or JSON):
 *
 *   name, description, seed (default 1), startTime (ISO, default 2024-01-01T00:00:00Z),
 *   duration (default: the phases' total)
 *   endpoint:  { name, variant }                       metric dimensions and the ResourceId
 *   traffic:   { phases: [ {name, closedLoop | openLoop | trace}, ... ] }   run in sequence
 *     closedLoop: { users, rampUp, steps (0 = linear), holdFor, thinkTime }   (Taurus/JMeter)
 *     openLoop:   { rate | curve: [[t, rate/s], ...], interpolation: linear|step, duration,
 *                   arrivals: poisson|uniform }
 *     trace:      { file (CSV), column, unit: s|ms, timeScale, duration }
 *   serving:   { instanceType, initialInstanceCount, concurrency, maxQueue, queueTimeout,
 *                routing: random|least-outstanding-requests, serviceTime, warmup,
 *                cpuCoresPerRequest, errorLatency, failures: { meanTimeBetweenFailures, replacement } }
 *                serviceTime: instance-profile  takes the instance profile's serviceTimeMs, and
 *                concurrency defaults to its modelServerWorkers (the emulator's capacity mode);
 *                warmup: timing-profile:fast|realistic  takes the emulator's timing profile.
 *   path:      where a round trip's time goes outside the instances (all optional, default 0):
 *     client:  { overhead: <distribution>, concurrency }   the load generator's per-request work,
 *              on `concurrency` servers (a queue) or, without it, as a pure delay
 *     network: { latency: <distribution>, requestShare }   round trip client <-> gateway <->
 *              endpoint, both legs; requestShare (default 0.5) of it before the endpoint
 *     gateway: { latency: <distribution>, throttle: { rate, burst } }   e.g. API Gateway: its
 *              own latency, and a token bucket (requests/s, bucket size) that answers 429
 *   instanceTypes: { <type>: { vcpu, memoryGiB, pricePerHour, modelServerWorkers, serviceTimeMs } }    overrides / additions
 *   scaling:   { scalableTarget: RegisterScalableTarget request,
 *                policies: [PutScalingPolicy requests], alarms: [PutMetricAlarm requests],
 *                scheduledActions: [PutScheduledAction requests],
 *                targetTrackingAlarms: { periodSeconds, high: {evaluationPeriods, datapointsToAlarm},
 *                                        low: {evaluationPeriods, datapointsToAlarm, thresholdRatio},
 *                                        evaluationDelaySeconds } }
 *   slo:       { p99, p95, errorRate }
 *   sweep:     { <path>: [values], ... }   e.g. "scaling.policies[0].TargetTrackingScalingPolicyConfiguration.TargetValue"
 * Durations: a number of seconds, or "250ms", "30s", "5m", "1h".
 */
export interface Scenario {
  name: string;
  description: string;
  seed: number;
  startMs: number;
  durationMs: number;
  endpointName: string;
  variantName: string;
  phases: Phase[];
  path: RequestPath;
  serving: Serving;
  scaling?: Scaling;
  slo: { p99Ms?: number; p95Ms?: number; errorRate?: number };
  sweep: { path: string; values: unknown[] }[];
  /** The parsed file, for sweeps that override values and re-parse. */
  raw: Record<string, unknown>;
  /** Directory that relative paths (traces) resolve against. */
  baseDir: string;
}

export type Phase = {
  name: string;
  startMs: number;
  durationMs: number;
} & (
  | { kind: 'closed'; users: number; rampUpMs: number; steps: number; holdMs: number; think: Distribution }
  | { kind: 'open'; points: [number, number][]; interpolation: 'linear' | 'step'; arrivals: 'poisson' | 'uniform' }
  | { kind: 'trace'; times: Float64Array; file: string }
);

/** The request path outside the instances (see the header). */
export interface RequestPath {
  client: { overhead: Distribution; concurrency: number };
  network: { latency: Distribution; requestShare: number };
  gateway: { latency: Distribution; throttle?: { ratePerSecond: number; burst: number } };
  /** Nothing between sending and the endpoint: the fast path, two events per request. */
  direct: boolean;
}

export interface Serving {
  instance: InstanceProfile;
  initialInstanceCount: number;
  concurrency: number;
  maxQueue: number;
  queueTimeoutMs: number;
  routing: 'random' | 'least-outstanding-requests';
  serviceTime: Distribution;
  warmup: Distribution;
  cpuCoresPerRequest: number;
  errorLatencyMs: number;
  failures?: { mtbfMs: number; replacement: Distribution };
}

export interface Scaling {
  scalableTarget: RegisterScalableTargetRequest;
  policies: PutScalingPolicyRequest[];
  alarms: PutMetricAlarmInput[];
  scheduledActions: PutScheduledActionRequest[];
  targetTrackingAlarms: TargetTrackingAlarmSettings;
}

export function loadScenarioFile(path: string): Scenario {
  const text = readFileSync(path, 'utf8');
  const raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ScenarioError(path, 'a scenario file holds one mapping (object)');
  return parseScenario(raw as Record<string, unknown>, { baseDir: dirname(resolve(path)), defaultName: basename(path, extname(path)) });
}

type Obj = Record<string, unknown>;

export function parseScenario(raw: Obj, opts: { baseDir?: string; defaultName?: string } = {}): Scenario {
  const v = validateScenario(raw);
  const baseDir = opts.baseDir ?? process.cwd();
  const name = v.name ?? opts.defaultName ?? 'scenario';
  const startText = v.startTime === undefined ? '2024-01-01T00:00:00Z' : v.startTime instanceof Date ? v.startTime.toISOString() : v.startTime;
  const startMs = Date.parse(startText);
  if (!Number.isFinite(startMs)) throw new ScenarioError('startTime', `is not an ISO 8601 time: ${startText}`);
  if (startMs % 60_000 !== 0) throw new ScenarioError('startTime', 'must fall on a whole minute (CloudWatch periods are minute-aligned)');
  const endpointName = v.endpoint?.name ?? 'endpoint';
  const variantName = v.endpoint?.variant ?? 'AllTraffic';

  const types: Record<string, InstanceProfile> = { ...INSTANCE_TYPES };
  for (const [k, o] of Object.entries(v.instanceTypes ?? {})) {
    const base = types[k] as (InstanceProfile & { modelServerWorkers?: number; serviceTimeMs?: number }) | undefined;
    const need = <T>(x: T | undefined, field: string): T => {
      if (x === undefined) throw new ScenarioError(`instanceTypes.${k}.${field}`, 'is required for a new instance type');
      return x;
    };
    types[k] = {
      ...base,
      name: k,
      vcpu: o.vcpu ?? need(base?.vcpu, 'vcpu'),
      memoryGiB: o.memoryGiB ?? need(base?.memoryGiB, 'memoryGiB'),
      pricePerHour: o.pricePerHour ?? need(base?.pricePerHour, 'pricePerHour'),
      accelerator: o.accelerator ?? base?.accelerator,
      ...(o.modelServerWorkers !== undefined ? { modelServerWorkers: o.modelServerWorkers } : {}),
      ...(o.serviceTimeMs !== undefined ? { serviceTimeMs: o.serviceTimeMs } : {}),
    } as InstanceProfile;
  }

  const phases = buildPhases(v.traffic.phases, baseDir);
  const total = phases.reduce((sum, p) => sum + p.durationMs, 0);
  const durationMs = v.duration ?? total;
  if (!(durationMs > 0)) throw new ScenarioError('duration', 'the scenario must last longer than 0');

  const serving = buildServing(v.serving, types);
  const path = buildPath(v.path ?? {});
  const scaling = v.scaling ? buildScaling(v.scaling, endpointName, variantName) : undefined;
  const slo = { p99Ms: v.slo?.p99, p95Ms: v.slo?.p95, errorRate: v.slo?.errorRate };
  const sweep = Object.entries(v.sweep ?? {}).map(([p, values]) => ({ path: p, values }));
  return { name, description: v.description ?? '', seed: v.seed ?? 1, startMs, durationMs, endpointName, variantName, phases, path, serving, scaling, slo, sweep, raw, baseDir };
}

function buildPhases(list: ScenarioInput['traffic']['phases'], baseDir: string): Phase[] {
  const out: Phase[] = [];
  let at = 0;
  list.forEach((o, i) => {
    const w = `traffic.phases[${i}]`;
    const kinds = (['closedLoop', 'openLoop', 'trace'] as const).filter((k) => o[k] !== undefined);
    if (kinds.length !== 1) throw new ScenarioError(w, 'needs exactly one of closedLoop, openLoop, trace');
    const name = o.name ?? `phase ${i + 1}`;
    let phase: Phase;
    if (o.closedLoop) {
      const c = o.closedLoop;
      const rampUpMs = c.rampUp ?? 0;
      const holdMs = c.holdFor ?? 0;
      phase = { name, startMs: at, durationMs: rampUpMs + holdMs, kind: 'closed', users: c.users, rampUpMs, steps: c.steps ?? 0, holdMs, think: c.thinkTime ?? parseDistribution(0, '') };
    } else if (o.openLoop) {
      const c = o.openLoop;
      let points: [number, number][];
      if (c.curve !== undefined) {
        if (c.rate !== undefined) throw new ScenarioError(`${w}.openLoop`, 'give rate or curve, not both');
        points = c.curve.map(([t, r]) => [t, r] as [number, number]);
        for (let j = 1; j < points.length; j++) if (points[j][0] <= points[j - 1][0]) throw new ScenarioError(`${w}.openLoop.curve`, 'times must increase');
        if (points[0][0] !== 0) throw new ScenarioError(`${w}.openLoop.curve[0]`, 'the first point must be at time 0');
      } else {
        if (c.rate === undefined) throw new ScenarioError(`${w}.openLoop.rate`, 'is required (or a curve)');
        points = [[0, c.rate]];
      }
      const durationMs = c.duration ?? points[points.length - 1][0];
      if (!(durationMs > 0)) throw new ScenarioError(`${w}.openLoop.duration`, 'is required (> 0) unless the curve ends later than 0');
      phase = { name, startMs: at, durationMs, kind: 'open', points, interpolation: c.interpolation ?? 'linear', arrivals: c.arrivals ?? 'poisson' };
    } else {
      const c = o.trace!;
      const file = resolve(baseDir, c.file);
      const times = readTrace(file, c.column ?? 0, (c.unit ?? 's') === 's' ? 1000 : 1, c.timeScale ?? 1, `${w}.trace`);
      const durationMs = c.duration ?? (times.length ? times[times.length - 1] + 1 : 0);
      if (!(durationMs > 0)) throw new ScenarioError(`${w}.trace`, 'an empty trace needs a duration');
      phase = { name, startMs: at, durationMs, kind: 'trace', times, file };
    }
    if (!(phase.durationMs > 0)) throw new ScenarioError(w, 'lasts 0 seconds (give rampUp/holdFor or duration)');
    out.push(phase);
    at += phase.durationMs;
  });
  return out;
}

/** Reads request timestamps from a CSV column (index or header name); returns sorted ms offsets from the first. */
export function readTrace(file: string, column: unknown, unitMs: number, timeScale: number, where: string): Float64Array {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`${where}.file`, `cannot read ${file}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let col = typeof column === 'number' ? column : -1;
  let first = 0;
  const header = lines[0]?.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
  if (typeof column === 'string') {
    col = header?.indexOf(column) ?? -1;
    if (col < 0) throw new ScenarioError(`${where}.column`, `no column named ${column} in the header of ${file}`);
    first = 1;
  } else if (header && !isTimestamp(header[col])) {
    first = 1; // a header row
  }
  const out: number[] = [];
  for (let i = first; i < lines.length; i++) {
    const cell = lines[i].split(',')[col]?.trim().replace(/^"|"$/g, '');
    if (cell === undefined || cell === '') throw new ScenarioError(`${where}.file`, `${file} line ${i + 1}: no value in column ${String(column)}`);
    const n = Number(cell);
    const ms = Number.isFinite(n) ? n * unitMs : Date.parse(cell);
    if (!Number.isFinite(ms)) throw new ScenarioError(`${where}.file`, `${file} line ${i + 1}: ${cell} is not a timestamp`);
    out.push(ms);
  }
  out.sort((a, b) => a - b);
  const t0 = out.length ? out[0] : 0;
  return Float64Array.from(out, (t) => (t - t0) / timeScale);
}

function isTimestamp(s: string | undefined): boolean {
  return s !== undefined && (Number.isFinite(Number(s)) || Number.isFinite(Date.parse(s)));
}

function buildServing(o: ScenarioInput['serving'], types: Record<string, InstanceProfile>): Serving {
  const instance = types[o.instanceType] as (InstanceProfile & { modelServerWorkers?: number; serviceTimeMs?: number }) | undefined;
  if (!instance) throw new ScenarioError('serving.instanceType', `unknown instance type ${o.instanceType}; known: ${Object.keys(types).join(', ')} (add it under instanceTypes)`);
  // The emulator's capacity mode serves with the profile's workers (one per vCPU by default).
  const concurrency = o.concurrency ?? instance.modelServerWorkers ?? Math.max(1, Math.round(instance.vcpu));
  const serviceTime = resolveReference(o.serviceTime, 'serving.serviceTime', instance);
  const warmup = resolveReference(o.warmup ?? DEFAULT_WARMUP, 'serving.warmup', instance);
  let failures: Serving['failures'];
  if (o.failures) {
    if (!(o.failures.meanTimeBetweenFailures > 0)) throw new ScenarioError('serving.failures.meanTimeBetweenFailures', 'must be > 0');
    failures = { mtbfMs: o.failures.meanTimeBetweenFailures, replacement: o.failures.replacement ? resolveReference(o.failures.replacement, 'serving.failures.replacement', instance) : warmup };
  }
  const errorLatencyMs = o.errorLatency ?? 10;
  if (!(errorLatencyMs > 0)) throw new ScenarioError('serving.errorLatency', 'must be > 0 (a rejected closed-loop user would otherwise retry in zero time)');
  return {
    instance,
    initialInstanceCount: o.initialInstanceCount ?? 1,
    concurrency,
    maxQueue: o.maxQueue ?? Infinity,
    queueTimeoutMs: o.queueTimeout ?? 60_000,
    routing: o.routing ?? 'random',
    serviceTime,
    warmup,
    cpuCoresPerRequest: o.cpuCoresPerRequest ?? instance.vcpu / concurrency,
    errorLatencyMs,
    failures,
  };
}

/**
 * `instance-profile` (a service time) is the instance type profile's serviceTimeMs, the number
 * the emulator's capacity mode serves with; `timing-profile:<fast|realistic>` (a warm-up) is the
 * emulator's timing profile: its instance warm-up range, or its endpoint update time.
 */
function resolveReference(d: Distribution | Reference, where: string, instance: InstanceProfile & { serviceTimeMs?: number }): Distribution {
  if (!('reference' in d)) return d;
  if (d.reference === 'instance-profile') {
    if (instance.serviceTimeMs === undefined) throw new ScenarioError(where, `the profile of ${instance.name} has no serviceTimeMs (give it under instanceTypes)`);
    return parseDistribution(`${instance.serviceTimeMs}ms`, where);
  }
  const profile = TIMING_PROFILES[d.reference.slice('timing-profile:'.length) as keyof typeof TIMING_PROFILES] as TimingProfile & { instanceWarmupMin?: number; instanceWarmupMax?: number };
  if (profile.instanceWarmupMin !== undefined && profile.instanceWarmupMax !== undefined) {
    return parseDistribution({ distribution: 'uniform', min: `${profile.instanceWarmupMin}ms`, max: `${profile.instanceWarmupMax}ms` }, where);
  }
  return parseDistribution(`${profile.endpointUpdating}ms`, where);
}

function buildPath(o: NonNullable<ScenarioInput['path']>): RequestPath {
  const zero = parseDistribution(0, '');
  const throttle = o.gateway?.throttle ? { ratePerSecond: o.gateway.throttle.rate, burst: o.gateway.throttle.burst ?? Math.max(1, o.gateway.throttle.rate) } : undefined;
  const path: RequestPath = {
    client: { overhead: o.client?.overhead ?? zero, concurrency: o.client?.concurrency ?? Infinity },
    network: { latency: o.network?.latency ?? zero, requestShare: o.network?.requestShare ?? 0.5 },
    gateway: { latency: o.gateway?.latency ?? zero, throttle },
    direct: false,
  };
  const none = (d: Distribution) => d.kind === 'constant' && d.mean === 0;
  path.direct = none(path.client.overhead) && none(path.network.latency) && none(path.gateway.latency) && !throttle && !Number.isFinite(path.client.concurrency);
  return path;
}

/** New instances serve 5 to 7 minutes after the decision (the seed article's measurement). */
const DEFAULT_WARMUP = parseDistribution({ distribution: 'uniform', min: '5m', max: '7m' }, 'serving.warmup');

function buildScaling(o: NonNullable<ScenarioInput['scaling']>, endpointName: string, variantName: string): Scaling {
  const st = o.scalableTarget as unknown as RegisterScalableTargetRequest;
  const resourceId = `endpoint/${endpointName}/variant/${variantName}`;
  const ids = { ServiceNamespace: 'sagemaker', ResourceId: resourceId, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } as const;
  const checkIds = (r: Obj, w: string) => {
    for (const [k, v] of Object.entries(ids)) {
      if (r[k] === undefined) r[k] = v;
      else if (r[k] !== v) throw new ScenarioError(`${w}.${k}`, `must be ${v} (the scenario's endpoint is ${endpointName}, variant ${variantName})`);
    }
  };
  checkIds(st as unknown as Obj, 'scaling.scalableTarget');
  const policies = (o.policies ?? []) as unknown as PutScalingPolicyRequest[];
  policies.forEach((p, i) => checkIds(p as unknown as Obj, `scaling.policies[${i}]`));
  const scheduledActions = (o.scheduledActions ?? []) as unknown as PutScheduledActionRequest[];
  scheduledActions.forEach((p, i) => {
    checkIds(p as unknown as Obj, `scaling.scheduledActions[${i}]`);
    for (const k of ['StartTime', 'EndTime'] as const) {
      const v = p[k] as unknown;
      if (v !== undefined && !(v instanceof Date)) {
        const d = new Date(v as string);
        if (!Number.isFinite(d.getTime())) throw new ScenarioError(`scaling.scheduledActions[${i}].${k}`, 'is not a time');
        p[k] = d;
      }
    }
  });
  const alarms = (o.alarms ?? []) as unknown as PutMetricAlarmInput[];
  const t = o.targetTrackingAlarms ?? {};
  const d = DEFAULT_TARGET_TRACKING_ALARMS;
  const targetTrackingAlarms: TargetTrackingAlarmSettings = {
    periodSeconds: t.periodSeconds ?? d.periodSeconds,
    evaluationDelaySeconds: t.evaluationDelaySeconds ?? d.evaluationDelaySeconds,
    high: { evaluationPeriods: t.high?.evaluationPeriods ?? d.high.evaluationPeriods, datapointsToAlarm: t.high?.datapointsToAlarm ?? d.high.datapointsToAlarm },
    low: {
      evaluationPeriods: t.low?.evaluationPeriods ?? d.low.evaluationPeriods,
      datapointsToAlarm: t.low?.datapointsToAlarm ?? d.low.datapointsToAlarm,
      thresholdRatio: t.low?.thresholdRatio ?? d.low.thresholdRatio,
    },
  };
  return { scalableTarget: st, policies, alarms, scheduledActions, targetTrackingAlarms };
}

/** Sets a value at a path like "scaling.policies[0].TargetTrackingScalingPolicyConfiguration.TargetValue" (or with .0.). */
export function setPath(root: Obj, path: string, value: unknown): void {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  let cur: Obj = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (next === undefined || next === null || typeof next !== 'object') {
      throw new ScenarioError(`sweep.${path}`, `no ${parts.slice(0, i + 1).join('.')} in the scenario to set a value under`);
    }
    cur = next as Obj;
  }
  cur[parts[parts.length - 1]] = value;
}
