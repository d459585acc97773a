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
import { parseDurationMs, ScenarioError } from './units.js';

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

const TOP_KEYS = ['name', 'description', 'seed', 'startTime', 'duration', 'endpoint', 'traffic', 'serving', 'instanceTypes', 'scaling', 'slo', 'sweep'];

export function parseScenario(raw: Obj, opts: { baseDir?: string; defaultName?: string } = {}): Scenario {
  onlyKeys(raw, TOP_KEYS, '');
  const baseDir = opts.baseDir ?? process.cwd();
  const name = raw.name === undefined ? (opts.defaultName ?? 'scenario') : str(raw.name, 'name');
  const seed = raw.seed === undefined ? 1 : int(raw.seed, 'seed', 0);
  const startText = raw.startTime === undefined ? '2024-01-01T00:00:00Z' : raw.startTime instanceof Date ? raw.startTime.toISOString() : str(raw.startTime, 'startTime');
  const startMs = Date.parse(startText);
  if (!Number.isFinite(startMs)) throw new ScenarioError('startTime', `is not an ISO 8601 time: ${startText}`);
  if (startMs % 60_000 !== 0) throw new ScenarioError('startTime', 'must fall on a whole minute (CloudWatch periods are minute-aligned)');

  const endpoint = (raw.endpoint ?? {}) as Obj;
  onlyKeys(endpoint, ['name', 'variant'], 'endpoint');
  const endpointName = endpoint.name === undefined ? 'endpoint' : str(endpoint.name, 'endpoint.name');
  const variantName = endpoint.variant === undefined ? 'AllTraffic' : str(endpoint.variant, 'endpoint.variant');

  const types: Record<string, InstanceProfile> = { ...INSTANCE_TYPES };
  if (raw.instanceTypes !== undefined) {
    for (const [k, v] of Object.entries(obj(raw.instanceTypes, 'instanceTypes'))) {
      const o = obj(v, `instanceTypes.${k}`);
      onlyKeys(o, ['vcpu', 'memoryGiB', 'pricePerHour', 'accelerator', 'modelServerWorkers', 'serviceTimeMs'], `instanceTypes.${k}`);
      const base = types[k];
      types[k] = {
        name: k,
        vcpu: o.vcpu === undefined ? need(base?.vcpu, `instanceTypes.${k}.vcpu`) : num(o.vcpu, `instanceTypes.${k}.vcpu`, 0.001),
        memoryGiB: o.memoryGiB === undefined ? need(base?.memoryGiB, `instanceTypes.${k}.memoryGiB`) : num(o.memoryGiB, `instanceTypes.${k}.memoryGiB`, 0),
        pricePerHour: o.pricePerHour === undefined ? need(base?.pricePerHour, `instanceTypes.${k}.pricePerHour`) : num(o.pricePerHour, `instanceTypes.${k}.pricePerHour`, 0),
        accelerator: o.accelerator === undefined ? base?.accelerator : str(o.accelerator, `instanceTypes.${k}.accelerator`),
        modelServerWorkers: 0, // filled below: it defaults to the (possibly overridden) vCPU count
        serviceTimeMs: o.serviceTimeMs === undefined ? (base?.serviceTimeMs ?? 5) : num(o.serviceTimeMs, `instanceTypes.${k}.serviceTimeMs`, 0),
      };
      types[k].modelServerWorkers =
        o.modelServerWorkers !== undefined ? int(o.modelServerWorkers, `instanceTypes.${k}.modelServerWorkers`, 1) : o.vcpu === undefined && base ? base.modelServerWorkers : Math.max(1, Math.round(types[k].vcpu));
    }
  }

  const phases = parsePhases(raw.traffic, baseDir);
  const total = phases.reduce((s, p) => s + p.durationMs, 0);
  const durationMs = raw.duration === undefined ? total : parseDurationMs(raw.duration, 'duration');
  if (!(durationMs > 0)) throw new ScenarioError('duration', 'the scenario must last longer than 0');

  const serving = parseServing(raw.serving, types);
  const scaling = raw.scaling === undefined || raw.scaling === null ? undefined : parseScaling(raw.scaling, endpointName, variantName);
  const sloRaw = (raw.slo ?? {}) as Obj;
  onlyKeys(sloRaw, ['p99', 'p95', 'errorRate'], 'slo');
  const slo = {
    p99Ms: sloRaw.p99 === undefined ? undefined : parseDurationMs(sloRaw.p99, 'slo.p99'),
    p95Ms: sloRaw.p95 === undefined ? undefined : parseDurationMs(sloRaw.p95, 'slo.p95'),
    errorRate: sloRaw.errorRate === undefined ? undefined : num(sloRaw.errorRate, 'slo.errorRate', 0),
  };
  const sweep: { path: string; values: unknown[] }[] = [];
  if (raw.sweep !== undefined) {
    for (const [path, values] of Object.entries(obj(raw.sweep, 'sweep'))) {
      if (!Array.isArray(values) || values.length === 0) throw new ScenarioError(`sweep.${path}`, 'must be a non-empty list of values');
      sweep.push({ path, values });
    }
  }
  return {
    name,
    description: raw.description === undefined ? '' : str(raw.description, 'description'),
    seed,
    startMs,
    durationMs,
    endpointName,
    variantName,
    phases,
    serving,
    scaling,
    slo,
    sweep,
    raw,
    baseDir,
  };
}

function parsePhases(traffic: unknown, baseDir: string): Phase[] {
  const t = obj(traffic, 'traffic');
  onlyKeys(t, ['phases'], 'traffic');
  if (!Array.isArray(t.phases) || t.phases.length === 0) throw new ScenarioError('traffic.phases', 'must list at least one phase');
  const out: Phase[] = [];
  let at = 0;
  t.phases.forEach((p: unknown, i: number) => {
    const w = `traffic.phases[${i}]`;
    const o = obj(p, w);
    onlyKeys(o, ['name', 'closedLoop', 'openLoop', 'trace'], w);
    const kinds = ['closedLoop', 'openLoop', 'trace'].filter((k) => o[k] !== undefined);
    if (kinds.length !== 1) throw new ScenarioError(w, 'needs exactly one of closedLoop, openLoop, trace');
    const name = o.name === undefined ? `phase ${i + 1}` : str(o.name, `${w}.name`);
    let phase: Phase;
    if (o.closedLoop !== undefined) {
      const c = obj(o.closedLoop, `${w}.closedLoop`);
      onlyKeys(c, ['users', 'rampUp', 'steps', 'holdFor', 'thinkTime'], `${w}.closedLoop`);
      const users = int(c.users, `${w}.closedLoop.users`, 0);
      const rampUpMs = c.rampUp === undefined ? 0 : parseDurationMs(c.rampUp, `${w}.closedLoop.rampUp`);
      const holdMs = c.holdFor === undefined ? 0 : parseDurationMs(c.holdFor, `${w}.closedLoop.holdFor`);
      const steps = c.steps === undefined ? 0 : int(c.steps, `${w}.closedLoop.steps`, 0);
      const think = parseDistribution(c.thinkTime ?? 0, `${w}.closedLoop.thinkTime`);
      phase = { name, startMs: at, durationMs: rampUpMs + holdMs, kind: 'closed', users, rampUpMs, steps, holdMs, think };
    } else if (o.openLoop !== undefined) {
      const c = obj(o.openLoop, `${w}.openLoop`);
      onlyKeys(c, ['rate', 'curve', 'interpolation', 'duration', 'arrivals'], `${w}.openLoop`);
      let points: [number, number][];
      if (c.curve !== undefined) {
        if (c.rate !== undefined) throw new ScenarioError(`${w}.openLoop`, 'give rate or curve, not both');
        if (!Array.isArray(c.curve) || c.curve.length === 0) throw new ScenarioError(`${w}.openLoop.curve`, 'must be a list of [time, rate] points');
        points = c.curve.map((pt: unknown, j: number) => {
          const ww = `${w}.openLoop.curve[${j}]`;
          if (!Array.isArray(pt) || pt.length !== 2) throw new ScenarioError(ww, 'must be [time, requests per second]');
          return [parseDurationMs(pt[0], `${ww}[0]`), num(pt[1], `${ww}[1]`, 0)] as [number, number];
        });
        for (let j = 1; j < points.length; j++) if (points[j][0] <= points[j - 1][0]) throw new ScenarioError(`${w}.openLoop.curve`, 'times must increase');
        if (points[0][0] !== 0) throw new ScenarioError(`${w}.openLoop.curve[0]`, 'the first point must be at time 0');
      } else {
        points = [[0, num(c.rate, `${w}.openLoop.rate`, 0)]];
      }
      const last = points[points.length - 1][0];
      const durationMs = c.duration === undefined ? last : parseDurationMs(c.duration, `${w}.openLoop.duration`);
      if (!(durationMs > 0)) throw new ScenarioError(`${w}.openLoop.duration`, 'is required (> 0) unless the curve ends later than 0');
      const interpolation = (c.interpolation ?? 'linear') as 'linear';
      if (!['linear', 'step'].includes(interpolation)) throw new ScenarioError(`${w}.openLoop.interpolation`, 'must be linear or step');
      const arrivals = (c.arrivals ?? 'poisson') as 'poisson';
      if (!['poisson', 'uniform'].includes(arrivals)) throw new ScenarioError(`${w}.openLoop.arrivals`, 'must be poisson or uniform');
      phase = { name, startMs: at, durationMs, kind: 'open', points, interpolation, arrivals };
    } else {
      const c = obj(o.trace, `${w}.trace`);
      onlyKeys(c, ['file', 'column', 'unit', 'timeScale', 'duration'], `${w}.trace`);
      const file = resolve(baseDir, str(c.file, `${w}.trace.file`));
      const unit = c.unit === undefined ? 's' : str(c.unit, `${w}.trace.unit`);
      if (!['s', 'ms'].includes(unit)) throw new ScenarioError(`${w}.trace.unit`, 'must be s or ms (ISO timestamps need no unit)');
      const scale = c.timeScale === undefined ? 1 : num(c.timeScale, `${w}.trace.timeScale`, 1e-9);
      const times = readTrace(file, c.column ?? 0, unit === 's' ? 1000 : 1, scale, `${w}.trace`);
      const durationMs = c.duration === undefined ? (times.length ? times[times.length - 1] + 1 : 0) : parseDurationMs(c.duration, `${w}.trace.duration`);
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

function parseServing(s: unknown, types: Record<string, InstanceProfile>): Serving {
  const o = obj(s, 'serving');
  onlyKeys(o, ['instanceType', 'initialInstanceCount', 'concurrency', 'maxQueue', 'queueTimeout', 'routing', 'serviceTime', 'warmup', 'cpuCoresPerRequest', 'errorLatency', 'failures'], 'serving');
  const typeName = str(o.instanceType, 'serving.instanceType');
  const instance = types[typeName];
  if (!instance) throw new ScenarioError('serving.instanceType', `unknown instance type ${typeName}; known: ${Object.keys(types).join(', ')} (add it under instanceTypes)`);
  const concurrency = o.concurrency === undefined ? instance.modelServerWorkers : int(o.concurrency, 'serving.concurrency', 1);
  const routing = (o.routing ?? 'random') as Serving['routing'];
  if (!['random', 'least-outstanding-requests'].includes(routing)) throw new ScenarioError('serving.routing', 'must be random or least-outstanding-requests');
  if (o.serviceTime === undefined) throw new ScenarioError('serving.serviceTime', 'is required (the time one request takes on one worker)');
  let failures: Serving['failures'];
  if (o.failures !== undefined && o.failures !== null) {
    const f = obj(o.failures, 'serving.failures');
    onlyKeys(f, ['meanTimeBetweenFailures', 'replacement'], 'serving.failures');
    const mtbfMs = parseDurationMs(f.meanTimeBetweenFailures, 'serving.failures.meanTimeBetweenFailures');
    if (!(mtbfMs > 0)) throw new ScenarioError('serving.failures.meanTimeBetweenFailures', 'must be > 0');
    failures = { mtbfMs, replacement: parseDistribution(f.replacement ?? o.warmup ?? DEFAULT_WARMUP, 'serving.failures.replacement') };
  }
  const errorLatencyMs = o.errorLatency === undefined ? 10 : parseDurationMs(o.errorLatency, 'serving.errorLatency');
  if (!(errorLatencyMs > 0)) throw new ScenarioError('serving.errorLatency', 'must be > 0 (a rejected closed-loop user would otherwise retry in zero time)');
  return {
    instance,
    initialInstanceCount: o.initialInstanceCount === undefined ? 1 : int(o.initialInstanceCount, 'serving.initialInstanceCount', 0),
    concurrency,
    maxQueue: o.maxQueue === undefined || o.maxQueue === null ? Infinity : int(o.maxQueue, 'serving.maxQueue', 0),
    queueTimeoutMs: o.queueTimeout === undefined ? 60_000 : parseDurationMs(o.queueTimeout, 'serving.queueTimeout'),
    routing,
    serviceTime: parseDistribution(o.serviceTime, 'serving.serviceTime'),
    warmup: parseDistribution(o.warmup ?? DEFAULT_WARMUP, 'serving.warmup'),
    cpuCoresPerRequest: o.cpuCoresPerRequest === undefined ? instance.vcpu / concurrency : num(o.cpuCoresPerRequest, 'serving.cpuCoresPerRequest', 0),
    errorLatencyMs,
    failures,
  };
}

/** New instances serve 5 to 7 minutes after the decision (the seed article's measurement). */
const DEFAULT_WARMUP = { distribution: 'uniform', min: '5m', max: '7m' };

function parseScaling(s: unknown, endpointName: string, variantName: string): Scaling {
  const o = obj(s, 'scaling');
  onlyKeys(o, ['scalableTarget', 'policies', 'alarms', 'scheduledActions', 'targetTrackingAlarms'], 'scaling');
  const st = obj(o.scalableTarget, 'scaling.scalableTarget') as unknown as RegisterScalableTargetRequest;
  const resourceId = `endpoint/${endpointName}/variant/${variantName}`;
  const ids = { ServiceNamespace: 'sagemaker', ResourceId: resourceId, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } as const;
  const checkIds = (r: Obj, w: string) => {
    for (const [k, v] of Object.entries(ids)) {
      if (r[k] === undefined) r[k] = v;
      else if (r[k] !== v) throw new ScenarioError(`${w}.${k}`, `must be ${v} (the scenario's endpoint is ${endpointName}, variant ${variantName})`);
    }
  };
  checkIds(st as unknown as Obj, 'scaling.scalableTarget');
  int(st.MinCapacity, 'scaling.scalableTarget.MinCapacity', 0);
  int(st.MaxCapacity, 'scaling.scalableTarget.MaxCapacity', 0);
  const list = <T>(v: unknown, w: string): T[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new ScenarioError(w, 'must be a list');
    return v.map((x, i) => obj(x, `${w}[${i}]`) as T);
  };
  const policies = list<PutScalingPolicyRequest>(o.policies, 'scaling.policies');
  policies.forEach((p, i) => checkIds(p as unknown as Obj, `scaling.policies[${i}]`));
  const scheduledActions = list<PutScheduledActionRequest>(o.scheduledActions, 'scaling.scheduledActions');
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
  const alarms = list<PutMetricAlarmInput>(o.alarms, 'scaling.alarms');
  const tta = (o.targetTrackingAlarms ?? {}) as Obj;
  onlyKeys(tta, ['periodSeconds', 'high', 'low', 'evaluationDelaySeconds'], 'scaling.targetTrackingAlarms');
  const high = (tta.high ?? {}) as Obj;
  const low = (tta.low ?? {}) as Obj;
  onlyKeys(high, ['evaluationPeriods', 'datapointsToAlarm'], 'scaling.targetTrackingAlarms.high');
  onlyKeys(low, ['evaluationPeriods', 'datapointsToAlarm', 'thresholdRatio'], 'scaling.targetTrackingAlarms.low');
  const d = DEFAULT_TARGET_TRACKING_ALARMS;
  const targetTrackingAlarms: TargetTrackingAlarmSettings = {
    periodSeconds: tta.periodSeconds === undefined ? d.periodSeconds : int(tta.periodSeconds, 'scaling.targetTrackingAlarms.periodSeconds', 60),
    evaluationDelaySeconds: tta.evaluationDelaySeconds === undefined ? d.evaluationDelaySeconds : num(tta.evaluationDelaySeconds, 'scaling.targetTrackingAlarms.evaluationDelaySeconds', 0),
    high: {
      evaluationPeriods: high.evaluationPeriods === undefined ? d.high.evaluationPeriods : int(high.evaluationPeriods, 'scaling.targetTrackingAlarms.high.evaluationPeriods', 1),
      datapointsToAlarm: high.datapointsToAlarm === undefined ? d.high.datapointsToAlarm : int(high.datapointsToAlarm, 'scaling.targetTrackingAlarms.high.datapointsToAlarm', 1),
    },
    low: {
      evaluationPeriods: low.evaluationPeriods === undefined ? d.low.evaluationPeriods : int(low.evaluationPeriods, 'scaling.targetTrackingAlarms.low.evaluationPeriods', 1),
      datapointsToAlarm: low.datapointsToAlarm === undefined ? d.low.datapointsToAlarm : int(low.datapointsToAlarm, 'scaling.targetTrackingAlarms.low.datapointsToAlarm', 1),
      thresholdRatio: low.thresholdRatio === undefined ? d.low.thresholdRatio : num(low.thresholdRatio, 'scaling.targetTrackingAlarms.low.thresholdRatio', 0),
    },
  };
  if (targetTrackingAlarms.periodSeconds % 60 !== 0) throw new ScenarioError('scaling.targetTrackingAlarms.periodSeconds', 'must be a multiple of 60 (SageMaker metrics are per minute)');
  for (const [i, a] of alarms.entries()) {
    if (a.Period !== undefined && a.Period % 60 !== 0) throw new ScenarioError(`scaling.alarms[${i}].Period`, 'must be a multiple of 60 (SageMaker metrics are per minute)');
  }
  return { scalableTarget: st, policies, alarms, scheduledActions, targetTrackingAlarms };
}

// ---- small validators ----

function onlyKeys(o: Obj, keys: string[], where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ScenarioError(where ? `${where}.${k}` : k, `unknown field (expected one of: ${keys.join(', ')})`);
}
function obj(v: unknown, where: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ScenarioError(where, 'must be a mapping');
  return v as Obj;
}
function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '') throw new ScenarioError(where, 'must be a non-empty string');
  return v;
}
function num(v: unknown, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new ScenarioError(where, `must be a number >= ${min}`);
  return v;
}
function int(v: unknown, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ScenarioError(where, `must be an integer >= ${min}`);
  return v;
}
function need<T>(v: T | undefined, where: string): T {
  if (v === undefined) throw new ScenarioError(where, 'is required for a new instance type');
  return v;
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
