import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument, YAMLMap } from 'yaml';
import type { Scenario } from './scenario.js';
import { ScenarioError } from './units.js';

/**
 * Calibration: `localsage simulate <scenario> --fit <per-minute CSV>` estimates, from a measured
 * load test, the model's service time on the instance and the time a round trip spends outside
 * it, and writes them into a copy of the scenario.
 *
 * The CSV has a header row and one row per minute (other columns are ignored):
 *   users            concurrent virtual users (mean over the minute)            required
 *   hits_per_second  responses per second at the load generator (mean)          required
 *   latency_ms       mean round trip at the load generator, ms                  required
 *   model_latency_ms SageMaker's ModelLatency (mean, ms; CloudWatch publishes   optional
 *                    microseconds: divide by 1000)
 *   instances        instances in service (default: the scenario's initial count)  optional
 * Aliases: threads/vusers for users, hits/throughput for hits_per_second, avg_latency_ms /
 * response_time_ms for latency_ms.
 *
 * The model: each round trip R = O + T, O the time outside the instance (load generator,
 * network, gateway: a delay that does not depend on load) and T the instance's part: service S
 * plus the M/M/c queue wait at the per-instance arrival rate lambda = X / instances, with c the
 * scenario's workers per instance. The interactive response-time law (N = X (R + Z)) checks the
 * columns against each other: Z = N / X - R is the sender's time outside the measured latency
 * (think time), ~0 for a closed loop without think time.
 * - With model_latency_ms, T is measured: S is the least-squares fit of T = S + Wq(lambda, S, c)
 *   and O the mean of R - T over the minutes.
 * - Without it, S and O are fitted together to R = O + S + Wq(lambda, S, c) (for each S the
 *   best O is the mean residual, so it is a search over S). S is identifiable only if the
 *   instance queued in some minutes; when it never did, every S below the bound the busiest
 *   minute sets (c / lambda) fits alike, and the fit says so and reports that range.
 */
export interface FitRow {
  users: number;
  hitsPerSecond: number;
  latencyMs: number;
  modelLatencyMs?: number;
  instances: number;
}

export interface FitResult {
  serviceTimeMs: number;
  outsideMs: number;
  /** Sender's time outside the measured latency (think time), from N = X (R + Z). */
  impliedThinkMs: number;
  /** How S was found, and its range when the data cannot pin it down. */
  method: 'model-latency' | 'queueing';
  serviceTimeRangeMs: [number, number];
  minutesUsed: number;
  rmsErrorMs: number;
}

export function readFitCsv(file: string, defaultInstances: number): FitRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError('--fit', `cannot read ${file}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new ScenarioError('--fit', `${file} needs a header row and at least one row per minute`);
  const header = lines[0].split(',').map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  const col = (names: string[], required: boolean) => {
    const i = header.findIndex((h) => names.includes(h));
    if (i < 0 && required) throw new ScenarioError('--fit', `${file} has no ${names[0]} column (header: ${header.join(', ')}; accepted: ${names.join(', ')})`);
    return i;
  };
  const cUsers = col(['users', 'threads', 'vusers'], true);
  const cHits = col(['hits_per_second', 'hits', 'throughput'], true);
  const cLat = col(['latency_ms', 'avg_latency_ms', 'response_time_ms'], true);
  const cModel = col(['model_latency_ms'], false);
  const cInst = col(['instances', 'in_service'], false);
  const rows: FitRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',').map((c) => c.trim());
    const num = (c: number, name: string) => {
      const v = Number(cells[c]);
      if (cells[c] === undefined || cells[c] === '' || !Number.isFinite(v)) throw new ScenarioError('--fit', `${file} line ${i + 1}: ${name} is not a number: ${JSON.stringify(cells[c] ?? '')}`);
      return v;
    };
    const users = num(cUsers, 'users');
    const hits = num(cHits, 'hits_per_second');
    const lat = num(cLat, 'latency_ms');
    if (!(users > 0 && hits > 0 && lat > 0)) continue; // an idle minute says nothing
    const row: FitRow = { users, hitsPerSecond: hits, latencyMs: lat, instances: cInst >= 0 && cells[cInst] !== '' ? num(cInst, 'instances') : defaultInstances };
    if (cModel >= 0 && cells[cModel] !== '') row.modelLatencyMs = num(cModel, 'model_latency_ms');
    rows.push(row);
  }
  if (rows.length === 0) throw new ScenarioError('--fit', `${file} has no minute with users, hits and latency above 0`);
  return rows;
}

/** Mean M/M/c queue wait (ms) at arrival rate lambda (per ms) with mean service s (ms); Infinity when saturated. */
export function mmcWaitMs(lambda: number, s: number, c: number): number {
  const a = lambda * s;
  if (a >= c) return Infinity;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const top = ((term * a) / c) * (c / (c - a));
  const pWait = top / (sum + top);
  return (pWait * s) / (c - a);
}

export function fit(rows: FitRow[], workers: number, thinkMs: number): FitResult {
  const lambdas = rows.map((r) => r.hitsPerSecond / 1000 / r.instances); // per instance, per ms
  const bound = Math.min(...lambdas.map((l) => workers / l)) * 0.999; // the instance kept up with every minute
  const impliedThink = mean(rows.map((r) => (r.users / r.hitsPerSecond) * 1000 - r.latencyMs)) - thinkMs;
  const grid = (hi: number) => Array.from({ length: 400 }, (_, i) => (hi * (i + 1)) / 400);
  const model = rows.every((r) => r.modelLatencyMs !== undefined);
  // Sum of squared errors of the instance part (or the whole round trip) for a service time s.
  const sse = (s: number) => {
    const predicted = rows.map((r, i) => s + mmcWaitMs(lambdas[i], s, workers));
    const observed = rows.map((r) => (model ? r.modelLatencyMs! : r.latencyMs));
    const outside = model ? 0 : mean(observed.map((o, i) => o - predicted[i]));
    return { sse: observed.reduce((acc, o, i) => acc + (o - outside - predicted[i]) ** 2, 0), outside };
  };
  const hi = model ? Math.min(bound, Math.max(...rows.map((r) => r.modelLatencyMs!))) : bound;
  const candidates = grid(hi).map((s) => ({ s, ...sse(s) }));
  let best = candidates[0];
  for (const c of candidates) if (c.sse < best.sse) best = c;
  // Refine around the best grid point (golden section on the neighbouring interval).
  let lo = Math.max(hi / 400 / 2, best.s - hi / 400);
  let up = Math.min(hi, best.s + hi / 400);
  for (let k = 0; k < 60; k++) {
    const m1 = up - (up - lo) / 1.618;
    const m2 = lo + (up - lo) / 1.618;
    if (sse(m1).sse < sse(m2).sse) up = m2;
    else lo = m1;
  }
  const s = (lo + up) / 2;
  const final = sse(s);
  const n = rows.length;
  const rms = Math.sqrt(final.sse / n);
  // The range of S that fits about as well (within 5 % of the best squared error, or within the
  // measurement's own noise floor): wide when the instance never queued.
  const tolerance = Math.max(final.sse * 1.05, final.sse + n * 0.01);
  const fitting = candidates.filter((c) => c.sse <= tolerance).map((c) => c.s);
  const range: [number, number] = [Math.min(s, ...fitting), Math.max(s, ...fitting)];
  const outside = model ? mean(rows.map((r) => r.latencyMs - r.modelLatencyMs!)) : final.outside;
  return { serviceTimeMs: s, outsideMs: outside, impliedThinkMs: impliedThink, method: model ? 'model-latency' : 'queueing', serviceTimeRangeMs: range, minutesUsed: n, rmsErrorMs: rms };
}

/**
 * Writes a copy of the scenario file with the fitted service time and outside latency: the
 * service time's and the network latency's means are replaced (their distribution kept when it
 * has a mean; otherwise lognormal sigma 0.5 for service and constant for the network), with a
 * comment saying where they came from.
 */
export function writeFittedScenario(sc: Scenario, scenarioFile: string, csvFile: string, r: FitResult, out: string): void {
  const doc = parseDocument(readFileSync(scenarioFile, 'utf8'));
  const ms = (x: number) => `${Math.round(x * 1000) / 1000}ms`;
  const withMean = (current: unknown, mean: string, fallback: Record<string, unknown> | string) => {
    const c = current instanceof YAMLMap ? (current.toJSON() as Record<string, unknown>) : undefined;
    if (c && ['lognormal', 'exponential'].includes(String(c.distribution))) {
      const { median: _m, p50: _p, p99: _q, ...rest } = c;
      return { ...rest, mean };
    }
    return fallback;
  };
  const service = withMean(doc.getIn(['serving', 'serviceTime']), ms(r.serviceTimeMs), { distribution: 'lognormal', mean: ms(r.serviceTimeMs), sigma: 0.5 });
  doc.setIn(['serving', 'serviceTime'], service);
  const pathNode = doc.getIn(['path']);
  if (!(pathNode instanceof YAMLMap)) doc.setIn(['path'], doc.createNode({}));
  const latency = withMean(doc.getIn(['path', 'network', 'latency']), ms(r.outsideMs), ms(r.outsideMs));
  doc.setIn(['path', 'network', 'latency'], latency);
  const note = ` Fitted by localsage simulate --fit ${csvFile} (${r.minutesUsed} minutes, method ${r.method}): service time ${ms(r.serviceTimeMs)} (fits alike from ${ms(r.serviceTimeRangeMs[0])} to ${ms(r.serviceTimeRangeMs[1])}), time outside the instance ${ms(r.outsideMs)} per round trip, rms error ${ms(r.rmsErrorMs)}.`;
  const serving = doc.get('serving', true) as YAMLMap;
  serving.commentBefore = (serving.commentBefore ? serving.commentBefore + '\n' : '') + note;
  doc.set('name', `${sc.name}-fitted`);
  writeFileSync(out, doc.toString());
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
