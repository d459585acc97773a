import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { writeReport } from './report/write.js';
import { runScenario } from './run.js';
import { loadScenarioFile, parseScenario, setPath } from './scenario.js';
import { fit, readFitCsv, writeFittedScenario } from './fit.js';
import { replicate, showInterval } from './replications.js';
import { runSweep } from './sweep.js';
import type { Summary } from './report/summary.js';
import { ScenarioError } from './units.js';

export interface SimulateOptions {
  scenario: string;
  out?: string;
  seed?: number;
  /** "path=value" overrides (value parsed as YAML: 30000, 5m, true, [1,2]). */
  set?: string[];
  /** "path=v1,v2,..." sweep dimensions, added to the scenario's own sweep: section. */
  sweep?: string[];
  quiet?: boolean;
  /** Runs each scenario (or sweep point) with this many seeds and reports means with 95 % intervals. */
  replications?: number;
  /** A measured per-minute CSV: estimate service time and outside latency, write a fitted scenario (to --out). */
  fit?: string;
}

/** `localsage simulate <scenario>`: runs it (or its sweep) and writes the report folder. Returns the exit code. */
export function simulate(opts: SimulateOptions, print: (s: string) => void = (s) => console.log(s)): number {
  try {
    let sc = loadScenarioFile(opts.scenario);
    if (opts.seed !== undefined || opts.set?.length) {
      const raw = structuredClone(sc.raw);
      if (opts.seed !== undefined) raw.seed = opts.seed;
      for (const kv of opts.set ?? []) {
        const [path, value] = splitAssignment(kv, '--set');
        setPath(raw, path, parseYaml(value));
      }
      sc = parseScenario(raw, { baseDir: sc.baseDir, defaultName: sc.name });
    }
    if (opts.fit) {
      const rows = readFitCsv(opts.fit, sc.serving.initialInstanceCount);
      const closed = sc.phases.find((p) => p.kind === 'closed');
      const r = fit(rows, sc.serving.concurrency, closed && closed.kind === 'closed' ? closed.think.mean : 0);
      const target = resolve(opts.out ?? opts.scenario.replace(/(\.[a-z]+)?$/i, '-fitted.yaml'));
      writeFittedScenario(sc, opts.scenario, opts.fit, r, target);
      const ms = (x: number) => `${Math.round(x * 1000) / 1000} ms`;
      print(`fitted from ${r.minutesUsed} minutes (${r.method === 'model-latency' ? 'ModelLatency measured' : 'service time from queueing alone'}):`);
      print(`  service time ${ms(r.serviceTimeMs)} (fits alike from ${ms(r.serviceTimeRangeMs[0])} to ${ms(r.serviceTimeRangeMs[1])})`);
      print(`  outside the instance ${ms(r.outsideMs)} per round trip; rms error ${ms(r.rmsErrorMs)}`);
      print(`  users / hits - latency - think time = ${ms(r.impliedThinkMs)} (about 0 when the columns agree)`);
      print(`localsage: fitted scenario written to ${target}`);
      return 0;
    }
    const reps = opts.replications ?? 1;
    if (!(Number.isInteger(reps) && reps >= 1)) throw new ScenarioError('--replications', 'must be an integer >= 1');
    const dims = [...sc.sweep];
    for (const kv of opts.sweep ?? []) {
      const [path, list] = splitAssignment(kv, '--sweep');
      const values = parseYaml(`[${list}]`) as unknown[];
      dims.push({ path, values });
    }
    const out = resolve(opts.out ?? join('reports', sc.name));
    if (dims.length) {
      if (!opts.quiet) print(`Sweeping ${sc.name} over ${dims.map((d) => `${d.path} (${d.values.length})`).join(' x ')} into ${out}`);
      const res = runSweep(sc, dims, out, opts.quiet ? undefined : print, reps);
      print(`localsage: sweep report written to ${join(out, 'index.html')} (${res.rows.length} runs)`);
      return 0;
    }
    if (reps > 1) {
      const rep = replicate(sc, reps);
      const { summary } = writeReport(rep.first, out, rep.replications);
      if (!opts.quiet) {
        print(describe(summary));
        print(`over ${reps} replications (seeds ${rep.replications.seeds[0]}-${rep.replications.seeds[reps - 1]}), mean [95 % interval]:`);
        for (const [k, i] of Object.entries(rep.replications.intervals)) print(`  ${k}: ${showInterval(i)}`);
      }
      print(`localsage: report written to ${join(out, 'index.html')}`);
      return 0;
    }
    const r = runScenario(sc);
    const { summary } = writeReport(r, out);
    if (!opts.quiet) {
      print(describe(summary));
      print(`simulated ${(r.fastEvents + r.slowEvents).toLocaleString('en-US')} events in ${(r.wallMs / 1000).toFixed(2)} s`);
    }
    print(`localsage: report written to ${join(out, 'index.html')}`);
    return 0;
  } catch (e) {
    if (e instanceof ScenarioError) {
      print(`localsage simulate: scenario error: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

function splitAssignment(kv: string, flag: string): [string, string] {
  const i = kv.indexOf('=');
  if (i <= 0) throw new ScenarioError(flag, `expected path=value, got ${JSON.stringify(kv)}`);
  return [kv.slice(0, i), kv.slice(i + 1)];
}

/** A few lines for the terminal. */
export function describe(s: Summary): string {
  const lines = [
    `${s.scenario}: ${s.durationSeconds / 60} min on ${s.instanceType}, seed ${s.seed}`,
    `  requests ${s.requests.sent} sent, ${s.requests.ok} ok, ${s.requests.errors} errors (${s.requests.timeouts} timeouts)`,
    `  throughput ${s.throughput.averagePerSecond} req/s average, ${s.throughput.peakPerSecond} peak`,
    `  latency ms: mean ${s.latencyMs.mean}, p50 ${s.latencyMs.p50}, p95 ${s.latencyMs.p95}, p99 ${s.latencyMs.p99}`,
    `  instances: max ${s.instances.maxInService} in service (desired ${s.instances.maxDesired}), ${s.instances.instanceMinutes} instance-minutes, cost $${s.instances.cost}`,
    `  CPU per instance: average ${s.cpuPerInstancePercent.average}% (peak minute ${s.cpuPerInstancePercent.peakMinute}% of ${s.cpuPerInstancePercent.maxPossible}%)`,
    `  scaling: ${s.scaling.scaleOuts} scale-outs, ${s.scaling.scaleIns} scale-ins, first scale-out at ${s.scaling.firstScaleOutAfterSeconds ?? '-'} s, time to scale mean ${s.scaling.timeToScaleSeconds.mean ?? '-'} s`,
  ];
  const share = (v: number | null) => (v === null ? '' : ` (${Math.round(v * 1000) / 10} %)`);
  lines.push(
    `  round trip by stage: ${s.stages
      .map((st) => `${st.name} ${st.meanMs ?? '-'} ms${share(st.shareOfRoundTrip)}${st.utilisation === null ? '' : `, ${Math.round(st.utilisation * 1000) / 10} % busy`}`)
      .join('; ')}`,
  );
  if (s.scaling.refusedWhileUpdating) lines.push(`  ${s.scaling.refusedWhileUpdating} scaling attempts refused while the endpoint was Updating`);
  for (const p of s.phases) lines.push(`  phase ${p.name}: ${p.throughputPerSecond} req/s, p50 ${p.latencyMs.p50} ms, p99 ${p.latencyMs.p99} ms, ${p.errors} errors`);
  if (s.slo.met !== null) lines.push(`  SLO ${s.slo.met ? 'met' : `violated in ${s.slo.minutesViolated} minutes`}`);
  return lines.join('\n');
}
