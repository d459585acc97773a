/**
 * npm run bench:simulate — how fast the simulator runs, against SimPy on the same model.
 *
 * Model (M/M/c): Poisson arrivals at 1,000 requests/s into one ml.m4.xlarge with 4 workers and
 * exponential service of mean 3.333 ms (rho = 0.83), run through the full simulator (scenario,
 * routing, CloudWatch metrics, per-second series, histograms) for 24 simulated hours: 86.4
 * million requests, two model events each (arrival, completion). The JavaScript runs on one
 * thread; where `taskset` exists the whole process is pinned to one core.
 *
 * SimPy runs the same model for a shorter horizon (5 simulated minutes by default,
 * SIMPY_HORIZON_S to change it; a whole day would take it about ten minutes), and the comparison is of model events per wall-clock second, which does not depend on the
 * horizon. Targets: >= 5 M events/s, the day in < 60 s, >= 20x SimPy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../simulator/run.js';
import { parseScenario } from '../../simulator/scenario.js';
import { mmcMeanResponseMs } from '../helpers/queueing.js';

const RATE = 1000;
const MEAN_MS = 10 / 3;
const C = 4;
const DAY_S = 86_400;
const SIMPY_S = Number(process.env.SIMPY_HORIZON_S ?? 300);

// Pin to one core, once.
if (!process.env.LOCALSAGE_BENCH_PINNED && existsSync('/usr/bin/taskset')) {
  const r = spawnSync('/usr/bin/taskset', ['-c', '0', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, LOCALSAGE_BENCH_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

const scenario = (seconds: number) =>
  parseScenario({
    name: 'bench-mmc',
    seed: 1,
    traffic: { phases: [{ name: 'poisson', openLoop: { rate: RATE, duration: seconds } }] },
    serving: { instanceType: 'ml.m4.xlarge', concurrency: C, serviceTime: { distribution: 'exponential', mean: `${MEAN_MS}ms` } },
  });

console.log(`localsage simulator benchmark: M/M/${C}, lambda ${RATE}/s, E[S] ${MEAN_MS.toFixed(3)} ms, Node ${process.version}${process.env.LOCALSAGE_BENCH_PINNED ? ', pinned to core 0' : ''}`);
console.log(`analytic mean response time (Erlang C): ${mmcMeanResponseMs(C, RATE, 1000 / MEAN_MS).toFixed(3)} ms`);

// Warm the JIT on a short run, then the day.
runScenario(scenario(120));
const day = runScenario(scenario(DAY_S));
const m = day.model.recorder;
const events = day.fastEvents + day.slowEvents;
const evps = events / (day.wallMs / 1000);
const modelEvps = day.fastEvents / (day.wallMs / 1000);
console.log(`\n24-hour day: ${m.completed.toLocaleString('en-US')} requests, ${events.toLocaleString('en-US')} events (${day.slowEvents.toLocaleString('en-US')} of them timers), in ${(day.wallMs / 1000).toFixed(2)} s`);
console.log(`  ${(evps / 1e6).toFixed(2)} M events/s (model events: ${(modelEvps / 1e6).toFixed(2)} M/s), mean response ${(m.completedLatencySum / m.completed).toFixed(3)} ms`);

const py = spawnSync('python3', [join(dirname(fileURLToPath(import.meta.url)), 'simulate_simpy.py'), String(SIMPY_S), String(RATE), String(MEAN_MS), String(C), '1'], { encoding: 'utf8' });
if (py.status !== 0) {
  console.error(py.stderr || py.error?.message || 'SimPy run failed');
  if (py.status === 3 || py.error) console.error('The comparison needs Python 3 with SimPy: python3 -m pip install simpy');
  process.exit(1);
}
const simpy = JSON.parse(py.stdout.trim().split('\n').pop()!);
const simpyEvps = simpy.model_events / simpy.wall_s;
const ratio = modelEvps / simpyEvps;
console.log(`\nSimPy ${simpy.simpy} (Python ${simpy.python}), same model, ${SIMPY_S} simulated seconds (not a whole day: that would take ~${((DAY_S / SIMPY_S) * simpy.wall_s / 60).toFixed(0)} min):`);
console.log(`  ${simpy.completed.toLocaleString('en-US')} requests in ${simpy.wall_s.toFixed(2)} s: ${(simpyEvps / 1e6).toFixed(3)} M model events/s (${simpy.simpy_events.toLocaleString('en-US')} SimPy-internal events), mean response ${simpy.mean_response_ms.toFixed(3)} ms`);
console.log(`\nratio (model events/s, localsage / SimPy): ${ratio.toFixed(1)}x`);

const checks = [
  [`>= 5 M events/s`, evps >= 5e6],
  [`day in < 60 s`, day.wallMs < 60_000],
  [`>= 20x SimPy`, ratio >= 20],
] as const;
for (const [name, ok] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}`);
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
