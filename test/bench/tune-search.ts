/**
 * npm run bench:tune:search: the tuning job's Bayesian and Random strategies against Optuna's TPE,
 * GP and random samplers, on the same functions in the same run, with the same sequential protocol
 * (one evaluation at a time, each suggestion sees every earlier result), N evaluations x S seeds.
 * Prints each method's median and 90th-percentile simple regret (best found minus the known
 * minimum) per function, and our Bayesian's ratio to each peer.
 *
 * Optuna runs as a child process (test/bench/tune_optuna.py) from a virtualenv this script creates
 * on first use under LOCALSAGE_BENCH_DIR (default <tmp>/localsage-tune-optuna) and fills with
 * optuna, scipy and torch (GPSampler needs the last two) from the Python package index.
 *
 * Flags: --evaluations N (30), --seeds S (20), --only branin,hartmann6,mixed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSearcher, type Assignment, type Evaluation, type SearchSpace } from '../../emulator/tuning/search/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const evaluations = Number(flag('--evaluations', '30'));
const seeds = Number(flag('--seeds', '20'));
const only = flag('--only', 'branin,hartmann6,mixed').split(',');

// --- The functions (the same formulas as tune_optuna.py) -------------------------------------
interface BenchFunction {
  space: SearchSpace;
  minimum: number;
  f: (a: Assignment) => number;
}
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const MIXED_CENTER: Record<string, number> = { sgd: -1.5, adam: -3.0, rmsprop: -4.0 };
const MIXED_OFFSET: Record<string, number> = { sgd: 0, adam: 0.3, rmsprop: 0.6 };

const FUNCTIONS: Record<string, BenchFunction> = {
  branin: {
    space: {
      direction: 'Minimize',
      parameters: [
        { name: 'x1', type: 'Continuous', min: -5, max: 10, scaling: 'Linear' },
        { name: 'x2', type: 'Continuous', min: 0, max: 15, scaling: 'Linear' },
      ],
    },
    minimum: 0.397887357729738,
    f: (a) => {
      const x1 = Number(a.x1);
      const x2 = Number(a.x2);
      const b = 5.1 / (4 * Math.PI ** 2);
      const c = 5 / Math.PI;
      const t = 1 / (8 * Math.PI);
      return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
    },
  },
  hartmann6: {
    space: {
      direction: 'Minimize',
      parameters: Array.from({ length: 6 }, (_, i) => ({ name: `x${i}`, type: 'Continuous' as const, min: 0, max: 1, scaling: 'Linear' as const })),
    },
    minimum: -3.322368011391339,
    f: (a) => {
      const x = Array.from({ length: 6 }, (_, i) => Number(a[`x${i}`]));
      let total = 0;
      for (let i = 0; i < 4; i++) {
        let inner = 0;
        for (let j = 0; j < 6; j++) inner += H6_A[i][j] * (x[j] - H6_P[i][j] * 1e-4) ** 2;
        total += H6_ALPHA[i] * Math.exp(-inner);
      }
      return -total;
    },
  },
  mixed: {
    space: {
      direction: 'Minimize',
      parameters: [
        { name: 'lr', type: 'Continuous', min: 1e-5, max: 1, scaling: 'Logarithmic' },
        { name: 'dropout', type: 'Continuous', min: 0, max: 1, scaling: 'Linear' },
        { name: 'layers', type: 'Integer', min: 1, max: 8, scaling: 'Linear' },
        { name: 'optimizer', type: 'Categorical', values: ['sgd', 'adam', 'rmsprop'] },
      ],
    },
    minimum: 0,
    f: (a) =>
      (Math.log10(Number(a.lr)) - MIXED_CENTER[a.optimizer]) ** 2 / 4 +
      2 * (Number(a.dropout) - 0.3) ** 2 +
      0.05 * (Number(a.layers) - 3) ** 2 +
      MIXED_OFFSET[a.optimizer],
  },
};

// --- Optuna's side ----------------------------------------------------------------------------
function optunaPython(): string {
  const dir = process.env.LOCALSAGE_BENCH_DIR ?? join(tmpdir(), 'localsage-tune-optuna');
  const python = join(dir, 'venv', 'bin', 'python');
  const probe = () => spawnSync(python, ['-c', 'import optuna, torch, scipy; print(optuna.__version__, torch.__version__, scipy.__version__)'], { encoding: 'utf8' });
  if (!existsSync(python) || probe().status !== 0) {
    mkdirSync(dir, { recursive: true });
    console.log(`creating a virtualenv with optuna, scipy and torch in ${dir} (first run only; torch is large) ...`);
    execFileSync('python3', ['-m', 'venv', join(dir, 'venv')], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', 'optuna', 'scipy', 'torch'], { stdio: 'inherit' });
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
  const searcher = createSearcher(strategy, space, seed);
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
