/**
 * npm run bench:train: linear-learner and k-means on a KDD99-shaped data set (494,021 x 122), in
 * the same run as scikit-learn on the same CSV files, with wall time, peak memory, quality and ratios.
 *
 * Each scenario runs in its own process (so its peak RSS is its own), alternating localsage and
 * scikit-learn, `--runs N` times (default 2); the best wall time is reported with the spread.
 * Both sides' timings include reading and parsing the CSV (see train-run.ts and train_sklearn.py).
 *
 * Needs python3 with scikit-learn and pandas:  python3 -m pip install scikit-learn pandas
 * Env: LOCALSAGE_BENCH_DIR (data cache; default <tmp>/localsage-kdd99), LOCALSAGE_TFJS_BACKEND.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KDD99_ROWS, writeKdd99Csv } from './kdd99.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 0) || 2;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;

function requireSklearn(): void {
  const probe = spawnSync('python3', ['-c', 'import sklearn, pandas, numpy; print(sklearn.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error('bench:train compares against scikit-learn, which is not installed for python3.');
    console.error('Install it with:  python3 -m pip install scikit-learn pandas');
    process.exit(2);
  }
  console.log(`scikit-learn ${probe.stdout.trim()}, node ${process.version}, backend ${process.env.LOCALSAGE_TFJS_BACKEND ?? 'wasm (default)'}`);
}

requireSklearn();
const dir = process.env.LOCALSAGE_BENCH_DIR ?? join(tmpdir(), 'localsage-kdd99');
mkdirSync(dir, { recursive: true });
const trainCsv = join(dir, 'train.csv');
const testCsv = join(dir, 'test.csv');
if (!existsSync(trainCsv) || !existsSync(testCsv)) {
  console.log(`generating KDD99-shaped data in ${dir} ...`);
  await writeKdd99Csv(trainCsv, KDD99_ROWS, 1);
  await writeKdd99Csv(testCsv, 49_402, 2);
}

type Result = Record<string, number | string | undefined> & { wall_s: number; cpu_s: number; peak_rss_mb: number };
function ours(scenario: string, seed: number): Result {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'train-run.ts'), scenario, trainCsv, testCsv, String(seed)], {
    encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}
function sk(scenario: string, seed: number): Result {
  const out = execFileSync('python3', [join(here, 'train_sklearn.py'), scenario, trainCsv, testCsv, String(seed)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}
/**
 * Best (lowest wall time) of the runs, plus the spread of wall times and the lowest CPU time (every
 * thread of the process over the same timed region): on a shared machine CPU seconds move far less
 * than wall seconds.
 */
function best(results: Result[]): Result & { spread: string; best_cpu_s: number } {
  const sorted = [...results].sort((a, b) => a.wall_s - b.wall_s);
  const walls = results.map((r) => r.wall_s);
  return { ...sorted[0], spread: `${Math.min(...walls).toFixed(2)}-${Math.max(...walls).toFixed(2)} s over ${results.length}`, best_cpu_s: Math.min(...results.map((r) => r.cpu_s)) };
}
const f = (v: unknown, digits = 3) => (typeof v === 'number' ? v.toFixed(digits) : String(v));
const want = (s: string) => !only || only.includes(s);

const report: string[] = [];
if (want('ll1')) {
  const a: Result[] = [];
  const b: Result[] = [];
  for (let i = 0; i < runs; i++) (a.push(ours('ll1', i + 1)), b.push(sk('ll1', i + 1)));
  const o = best(a), s = best(b);
  const ratio = o.wall_s / s.wall_s;
  const gap = 100 * ((o.accuracy as number) - (s.accuracy as number));
  report.push(
    `linear-learner num_models=1 epochs=5 mini_batch_size=1000  vs  StandardScaler + SGDClassifier(log_loss, max_iter=5, tol=None)`,
    `  localsage : wall ${f(o.wall_s)} s (train ${f(o.fit_s)} s, read+scaler ${f(o.setup_s)} s) [${o.spread}], cpu ${f(o.best_cpu_s)} s, peak ${f(o.peak_rss_mb, 0)} MiB, test accuracy ${f(100 * (o.accuracy as number), 2)} %, backend ${o.backend}`,
    `  sklearn   : wall ${f(s.wall_s)} s (fit ${f(s.fit_s)} s, read_csv ${f(s.load_s)} s) [${s.spread}], cpu ${f(s.best_cpu_s)} s, peak ${f(s.peak_rss_mb, 0)} MiB, test accuracy ${f(100 * (s.accuracy as number), 2)} %`,
    `  ratio     : time ${f(ratio, 2)}x (target <= 1.0: ${ratio <= 1 ? 'met' : 'MISSED'}); train-only ${f((o.fit_s as number) / (s.fit_s as number), 2)}x; accuracy ${gap >= 0 ? '+' : ''}${f(gap, 2)} points (target within 0.5: ${Math.abs(gap) <= 0.5 || gap > 0 ? 'met' : 'MISSED'}); cpu ${f(o.best_cpu_s / s.best_cpu_s, 2)}x`,
  );
}
if (want('ll32')) {
  const a: Result[] = [];
  for (let i = 0; i < runs; i++) a.push(ours('ll32', i + 1));
  const o = best(a);
  report.push(
    `linear-learner num_models=auto (32) epochs=5 mini_batch_size=1000`,
    `  localsage : wall ${f(o.wall_s)} s (train ${f(o.fit_s)} s) [${o.spread}], cpu ${f(o.best_cpu_s)} s, peak ${f(o.peak_rss_mb, 0)} MiB, test accuracy ${f(100 * (o.accuracy as number), 2)} %`,
    `  throughput: ${f(o.records_x_models_per_s, 0)} records x models / s; best epoch ${f(o.records_per_s, 0)} records/s through all 32 models = ${f((o.records_per_s as number) / 22744, 1)}x the 22,744 records/s of one ml.m4.xlarge`,
  );
}
if (want('km')) {
  const a: Result[] = [];
  const mb: Result[] = [];
  const full: Result[] = [];
  for (let i = 0; i < runs; i++) (a.push(ours('km', i + 1)), mb.push(sk('km-minibatch', i + 1)), full.push(sk('km-full', i + 1)));
  const o = best(a), m = best(mb), k = best(full);
  const faster = m.wall_s <= k.wall_s ? m : k;
  const ratio = o.wall_s / faster.wall_s;
  const msdVsFaster = (o.msd as number) / (faster.msd as number);
  report.push(
    `k-means k=23 epochs=1 (230 centres, mini_batch_size=5000)  vs  MiniBatchKMeans(23, batch_size=5000) and KMeans(23, n_init=1)`,
    `  localsage      : wall ${f(o.wall_s)} s [${o.spread}], cpu ${f(o.best_cpu_s)} s, peak ${f(o.peak_rss_mb, 0)} MiB, msd ${f(o.msd, 0)}`,
    `  MiniBatchKMeans: wall ${f(m.wall_s)} s (fit ${f(m.fit_s)} s) [${m.spread}], cpu ${f(m.best_cpu_s)} s, peak ${f(m.peak_rss_mb, 0)} MiB, msd ${f(m.msd, 0)}`,
    `  KMeans         : wall ${f(k.wall_s)} s (fit ${f(k.fit_s)} s) [${k.spread}], cpu ${f(k.best_cpu_s)} s, peak ${f(k.peak_rss_mb, 0)} MiB, msd ${f(k.msd, 0)}`,
    `  ratio          : time ${f(ratio, 2)}x the faster (${faster === m ? 'MiniBatchKMeans' : 'KMeans'}) (target <= 1.0: ${ratio <= 1 ? 'met' : 'MISSED'}); ` +
      `msd ${f(msdVsFaster, 3)}x the faster's (target within 5%: ${msdVsFaster <= 1.05 ? 'met' : 'MISSED'}), ${f((o.msd as number) / (k.msd as number), 3)}x KMeans'; ` +
      `cpu ${f(o.best_cpu_s / faster.best_cpu_s, 2)}x the faster's`,
  );
}
console.log(`\nKDD99-shaped data: ${trainCsv} (${KDD99_ROWS} rows x 122), test ${testCsv}; ${runs} run(s) each, best shown\n`);
console.log('Timed on both sides: reading + parsing the CSV, fitting, and (linear-learner / SGDClassifier) scoring the test file;');
console.log('k-means msd is over all training rows for every side (sklearn: inertia_ / n, computed inside fit; localsage: an untimed pass).');
console.log('Ratios compare best wall times; quality is that of the same best run. cpu: the lowest CPU seconds of the runs (all threads,');
console.log('same timed region; steadier than wall time on a busy machine). Module imports (tfjs, sklearn) are outside the timed region on both sides.\n');
console.log(report.join('\n'));
