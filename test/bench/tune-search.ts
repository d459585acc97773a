/**
 * npm run bench:tune:search: the tuning job's Bayesian and Random strategies against Optuna's TPE,
 * GP and random samplers, on the same functions in the same run, with the same sequential protocol
 * (one evaluation at a time, each suggestion sees every earlier result), N evaluations x S seeds.
 * Prints each method's median and 90th-percentile simple regret (best found minus the known
 * minimum) per function, and our Bayesian's ratio to each peer. Our searchers are told the budget
 * (N), as the tuning service tells them MaxNumberOfTrainingJobs; Optuna's samplers take none.
 *
 * Optuna runs as a child process (test/bench/tune_optuna.py) from a virtualenv this script creates
 * on first use under LOCALSAGE_BENCH_DIR (default <tmp>/localsage-tune-optuna) and fills with
 * optuna, scipy, torch (GPSampler needs these two) and greenlet (its batched optimizer) from the
 * Python package index.
 *
 * Flags: --evaluations N (30), --seeds S (20), --only branin,hartmann6,mixed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSearcher, type Evaluation } from '../../emulator/tuning/search/index.js';
import { FUNCTIONS } from './tune-functions.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const evaluations = Number(flag('--evaluations', '30'));
const seeds = Number(flag('--seeds', '20'));
const only = flag('--only', 'branin,hartmann6,mixed').split(',');

// --- Optuna's side ----------------------------------------------------------------------------
function optunaPython(): string {
  const dir = process.env.LOCALSAGE_BENCH_DIR ?? join(tmpdir(), 'localsage-tune-optuna');
  const python = join(dir, 'venv', 'bin', 'python');
  const probe = () => spawnSync(python, ['-c', 'import optuna, torch, scipy, greenlet; print(optuna.__version__, torch.__version__, scipy.__version__)'], { encoding: 'utf8' });
  if (!existsSync(python) || probe().status !== 0) {
    mkdirSync(dir, { recursive: true });
    console.log(`creating a virtualenv with optuna, scipy and torch in ${dir} (first run only; torch is large) ...`);
    execFileSync('python3', ['-m', 'venv', join(dir, 'venv')], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', 'optuna', 'scipy', 'torch', 'greenlet'], { stdio: 'inherit' });
  }
  const p = probe();
  if (p.status !== 0) {
    console.error('could not import optuna, torch and scipy in the benchmark virtualenv:\n' + p.stderr);
    process.exit(2);
  }
  const [optuna, torch, scipy] = p.stdout.trim().split(' ');
  console.log(`optuna ${optuna}, torch ${torch}, scipy ${scipy}, node ${process.version}`);
  return python;
}

interface Row {
  function: string;
  method: string;
  seed: number;
  best: number;
  seconds: number;
}

function runOptuna(python: string, functions: string[]): Row[] {
  const out = execFileSync(python, [join(here, 'tune_optuna.py'), String(evaluations), String(seeds), functions.join(','), 'optuna-tpe,optuna-gp,optuna-random'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return (JSON.parse(out.trim().split('\n').pop()!) as { results: Row[] }).results;
}

// --- Ours -------------------------------------------------------------------------------------
function runOurs(name: string, strategy: 'Bayesian' | 'Random', seed: number): Row {
  const { space, f } = FUNCTIONS[name];
  const start = performance.now();
  // The budget, as the tuning service passes MaxNumberOfTrainingJobs (Optuna's samplers are not told it).
  const searcher = createSearcher(strategy, space, seed, { budget: evaluations });
  const done: Evaluation[] = [];
  for (let i = 0; i < evaluations; i++) {
    const a = searcher.suggest(done, [], i)!;
    done.push({ assignment: a, objective: f(a) });
  }
  return { function: name, method: strategy === 'Bayesian' ? 'ours-bayesian' : 'ours-random', seed, best: Math.min(...done.map((e) => e.objective!)), seconds: (performance.now() - start) / 1000 };
}

// --- Report -----------------------------------------------------------------------------------
function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const functions = only.filter((f) => f in FUNCTIONS);
const python = optunaPython();
console.log(`${evaluations} evaluations x ${seeds} seeds per method and function, sequential protocol`);
const rows: Row[] = [];
for (const name of functions) {
  for (let seed = 1; seed <= seeds; seed++) {
    rows.push(runOurs(name, 'Bayesian', seed));
    rows.push(runOurs(name, 'Random', seed));
  }
}
rows.push(...runOptuna(python, functions));

const methods = ['ours-bayesian', 'ours-random', 'optuna-tpe', 'optuna-gp', 'optuna-random'];
const fmt = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2));
const verdicts: string[] = [];
for (const name of functions) {
  const stats = new Map<string, { median: number; p90: number; seconds: number }>();
  for (const m of methods) {
    const mine = rows.filter((r) => r.function === name && r.method === m);
    const regrets = mine.map((r) => Math.max(0, r.best - FUNCTIONS[name].minimum));
    stats.set(m, { median: quantile(regrets, 0.5), p90: quantile(regrets, 0.9), seconds: mine.reduce((a, r) => a + r.seconds, 0) / mine.length });
  }
  console.log(`\n${name}: simple regret after ${evaluations} evaluations (${seeds} seeds)`);
  console.log('  method          median       p90        s/run   ours-bayesian median / this');
  const ours = stats.get('ours-bayesian')!;
  for (const m of methods) {
    const s = stats.get(m)!;
    const ratio = m === 'ours-bayesian' ? '' : (ours.median / s.median).toFixed(2);
    console.log(`  ${m.padEnd(14)} ${fmt(s.median).padStart(10)} ${fmt(s.p90).padStart(10)} ${s.seconds.toFixed(2).padStart(8)}   ${ratio}`);
  }
  const tpe = ours.median / stats.get('optuna-tpe')!.median;
  const gp = ours.median / stats.get('optuna-gp')!.median;
  verdicts.push(
    `${name}: vs TPE ${tpe.toFixed(2)}x (goal <= 1: ${tpe <= 1 ? 'met' : 'MISSED'}), vs Optuna GP ${gp.toFixed(2)}x (goal <= 1.2: ${gp <= 1.2 ? 'met' : 'MISSED'})`,
  );
}
console.log('\nGoal: Bayesian median regret <= Optuna TPE and <= 1.2x Optuna GP');
for (const v of verdicts) console.log('  ' + v);
