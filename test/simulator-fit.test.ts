/**
 * --fit recovers known parameters from a synthetic run: a scenario with a known service time and
 * a known time outside the instance is simulated, its per-minute measurements are written in the
 * documented CSV format (users, hits_per_second, latency_ms[, model_latency_ms]), and the fit,
 * which sees only that CSV and the scenario's workers per instance, must find them again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulate } from '../simulator/cli.js';
import { runScenario } from '../simulator/run.js';
import { loadScenarioFile, parseScenario } from '../simulator/scenario.js';
import { perMinute, perSecond } from '../simulator/report/series.js';

const dir = mkdtempSync(join(tmpdir(), 'localsage-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Known truth: service exponential mean 4 ms on 2 workers, 100 ms outside (network round trip,
// lognormal), 20 to 40 closed-loop users: up to 40 / 0.104 s = ~385 req/s, utilisation up to
// ~0.77, so the instance queues noticeably in the busier minutes.
const TRUE_S = 4;
const TRUE_OUTSIDE = 100;
const truth = {
  name: 'fit-truth',
  seed: 3,
  traffic: { phases: [{ closedLoop: { users: 40, rampUp: '10m', steps: 5, thinkTime: 0 } }, { closedLoop: { users: 40, holdFor: '5m' } }] },
  path: { network: { latency: { distribution: 'lognormal', mean: `${TRUE_OUTSIDE}ms`, sigma: 0.2 } } },
  serving: { instanceType: 'ml.m5.large', concurrency: 2, serviceTime: { distribution: 'exponential', mean: `${TRUE_S}ms` } },
};

function measuredCsv(withModelLatency: boolean): string {
  const r = runScenario(parseScenario(structuredClone(truth)));
  const sec = perSecond(r);
  const min = perMinute(r);
  const lines = [`minute,users,hits_per_second,latency_ms${withModelLatency ? ',model_latency_ms' : ''}`];
  for (let k = 0; k < 15; k++) {
    let users = 0;
    let hits = 0;
    let latSum = 0;
    for (let s = k * 60; s < (k + 1) * 60; s++) {
      users += sec.users[s] as number;
      hits += sec.ok[s] as number;
      latSum += ((sec.avg_latency_ms[s] as number | null) ?? 0) * (sec.ok[s] as number);
    }
    const model = (min.model_latency_avg_us[k] as number) / 1000;
    lines.push([k, users / 60, hits / 60, latSum / hits, ...(withModelLatency ? [model] : [])].join(','));
  }
  return lines.join('\n') + '\n';
}

// The scenario the user fits: the same workload and instance, with the two unknowns wrong.
const base = join(dir, 'base.yaml');
writeFileSync(
  base,
  `name: fit-base
traffic:
  phases:
    - closedLoop: { users: 40, rampUp: 10m, steps: 5, thinkTime: 0 }
    - closedLoop: { users: 40, holdFor: 5m }
path:
  network:
    latency: { distribution: lognormal, mean: 500ms, sigma: 0.2 }
serving:
  instanceType: ml.m5.large
  concurrency: 2
  serviceTime: { distribution: exponential, mean: 1ms }
`,
);

function fitted(csv: string, name: string) {
  const file = join(dir, `${name}.csv`);
  writeFileSync(file, csv);
  const out = join(dir, `${name}-fitted.yaml`);
  const lines: string[] = [];
  expect(simulate({ scenario: base, fit: file, out }, (s) => lines.push(s))).toBe(0);
  const sc = loadScenarioFile(out);
  return { sc, text: readFileSync(out, 'utf8'), lines };
}

describe('localsage simulate --fit', () => {
  it('with ModelLatency measured, recovers the service time and the outside latency', () => {
    const { sc, text, lines } = fitted(measuredCsv(true), 'with-model');
    expect(Math.abs(sc.serving.serviceTime.mean / TRUE_S - 1)).toBeLessThan(0.05);
    expect(Math.abs(sc.path.network.latency.mean / TRUE_OUTSIDE - 1)).toBeLessThan(0.02);
    // The distributions' shapes are kept, and the file says where the numbers came from.
    expect(sc.serving.serviceTime.kind).toBe('exponential');
    expect(sc.path.network.latency.kind).toBe('lognormal');
    expect(text).toContain('Fitted by localsage simulate --fit');
    expect(lines.join('\n')).toMatch(/users \/ hits - latency - think time = -?\d/);
  });

  it('from the round trip alone, recovers them from how the instance queued', () => {
    const { sc } = fitted(measuredCsv(false), 'round-trip-only');
    expect(Math.abs(sc.serving.serviceTime.mean / TRUE_S - 1)).toBeLessThan(0.15);
    expect(Math.abs(sc.path.network.latency.mean / TRUE_OUTSIDE - 1)).toBeLessThan(0.03);
  });

  it('names the missing column of a malformed CSV and exits 2', () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'minute,users,latency_ms\n0,10,100\n');
    const lines: string[] = [];
    expect(simulate({ scenario: base, fit: file }, (s) => lines.push(s))).toBe(2);
    expect(lines.join('\n')).toMatch(/--fit: .*bad\.csv has no hits_per_second column/);
  });
});
