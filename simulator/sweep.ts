import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepHtml, type SweepRow } from './report/html.js';
import { writeReport } from './report/write.js';
import { replicate, showInterval } from './replications.js';
import { runScenario } from './run.js';
import { parseScenario, setPath, type Scenario } from './scenario.js';

export interface SweepResult {
  rows: SweepRow[];
  files: string[];
}

/** Every combination of the sweep's values, in order (the last path varies fastest). */
export function grid(dims: { path: string; values: unknown[] }[]): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const d of dims) out = out.flatMap((o) => d.values.map((v) => ({ ...o, [d.path]: v })));
  return out;
}

/**
 * Runs the scenario once per grid point, each with its own report folder run-<n>/, and writes
 * the comparison: sweep.csv, sweep.json and index.html (cost against p99 latency).
 */
export function runSweep(base: Scenario, dims: { path: string; values: unknown[] }[], outDir: string, log: (s: string) => void = () => {}, replications = 1): SweepResult {
  mkdirSync(outDir, { recursive: true });
  const points = grid(dims);
  const rows: SweepRow[] = [];
  points.forEach((values, i) => {
    const raw = structuredClone(base.raw);
    delete raw.sweep;
    for (const [path, v] of Object.entries(values)) setPath(raw, path, v);
    const sc = parseScenario(raw, { baseDir: base.baseDir, defaultName: base.name });
    const dir = `run-${String(i + 1).padStart(String(points.length).length, '0')}`;
    if (replications > 1) {
      const rep = replicate(sc, replications);
      const { summary } = writeReport(rep.first, join(outDir, dir), rep.replications);
      rows.push({ index: i + 1, values, summary, dir, replications: rep.replications });
      const iv = rep.replications.intervals;
      log(`  ${dir}: ${Object.entries(values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')} -> cost $${showInterval(iv.cost)}, p99 ${showInterval(iv.latencyP99Ms)} ms, max in service ${showInterval(iv.maxInService)}`);
      return;
    }
    const r = runScenario(sc);
    const { summary } = writeReport(r, join(outDir, dir));
    rows.push({ index: i + 1, values, summary, dir });
    log(`  ${dir}: ${Object.entries(values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')} -> cost $${summary.instances.cost}, p99 ${summary.latencyMs.p99} ms`);
  });
  const paths = dims.map((d) => d.path);
  const csv = [
    [
      'run',
      ...paths,
      'cost_usd',
      'instance_minutes',
      'p50_ms',
      'p95_ms',
      'p99_ms',
      'throughput_per_s',
      'errors',
      'timeouts',
      'max_in_service',
      'slo_minutes_violated',
      // With --replications: the mean and 95 % interval of the headline figures over seeds.
      ...(replications > 1 ? INTERVAL_COLUMNS.flatMap((k) => [`${k}_mean`, `${k}_low`, `${k}_high`]) : []),
    ].join(','),
    ...rows.map((r) =>
      [
        r.index,
        // Scalars as they are (2m, 15000); objects as JSON, quoted for CSV.
        ...paths.map((p) => csvCell(typeof r.values[p] === 'object' && r.values[p] !== null ? JSON.stringify(r.values[p]) : String(r.values[p]))),
        r.summary.instances.cost,
        r.summary.instances.instanceMinutes,
        r.summary.latencyMs.p50,
        r.summary.latencyMs.p95,
        r.summary.latencyMs.p99,
        r.summary.throughput.averagePerSecond,
        r.summary.requests.errors,
        r.summary.requests.timeouts,
        r.summary.instances.maxInService,
        r.summary.slo.met === null ? '' : r.summary.slo.minutesViolated,
        ...(r.replications ? INTERVAL_COLUMNS.flatMap((k) => [r.replications!.intervals[k].mean, r.replications!.intervals[k].low, r.replications!.intervals[k].high]) : []),
      ]
        .map((v) => (v === null ? '' : String(v)))
        .join(','),
    ),
  ].join('\n');
  const files: [string, string][] = [
    ['sweep.csv', csv + '\n'],
    ['sweep.json', JSON.stringify({ scenario: base.name, dimensions: dims, runs: rows.map((r) => ({ run: r.index, dir: r.dir, values: r.values, summary: r.summary })) }, null, 2) + '\n'],
    ['index.html', sweepHtml(base.name, paths, rows)],
  ];
  for (const [n, t] of files) writeFileSync(join(outDir, n), t);
  return { rows, files: files.map(([n]) => join(outDir, n)) };
}

const INTERVAL_COLUMNS = ['cost', 'latencyP99Ms', 'throughputPerSecond', 'maxInService', 'instanceMinutes'];

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
