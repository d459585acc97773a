/**
 * npm run bench:tune:e2e: hyperparameter tuning end to end through the API. A Bayesian tuning job
 * of linear-learner (learning_rate, wd, l1, mini_batch_size: the ranges of AWS's linear-learner
 * tuning example) on the KDD99-shaped set, MaxParallelTrainingJobs 2, beside a Random tuning job
 * with the same budget on the same data, in the same run. The emulator runs as its own child
 * process; this process only drives it with the AWS SDK and polls Describe.
 *
 * Prints, for each strategy: wall time from CreateHyperParameterTuningJob to Completed, jobs per
 * minute, and the best validation objective (validation:objective_loss, lower is better).
 * Goals: Bayesian's best at least as good as Random's; the Bayesian job under 90 s on a quiet
 * 2-core machine.
 *
 * Training is seeded, so a configuration gives the same objective in every run; what can differ
 * between runs is the Bayesian job's path, as each suggestion sees which of the two parallel jobs
 * finished first.
 *
 * Options: --jobs N (default 20), --rows N (training rows; default the full 494,021), --epochs N
 * (default 3), --list (print every training job's objective and hyperparameters). Env: LOCALSAGE_BENCH_DIR (data cache, shared with bench:train).
 */
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateHyperParameterTuningJobCommand, type HyperParameterTuningJobStrategyType } from '@aws-sdk/client-sagemaker';
import { clients } from '../helpers/clients.js';
import { removeDir, startEmulatorProcess } from '../helpers/emulator-process.js';
import { ensureBucket, upload } from '../helpers/pipeline.js';
import { linearLearnerDefinition, listTuningChildren, tuningConfig, waitForTuning } from '../helpers/tuning.js';
import { KDD99_FEATURES, KDD99_ROWS, writeKdd99Csv } from './kdd99.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const jobs = opt('--jobs', 20);
const rows = opt('--rows', KDD99_ROWS);
const epochs = opt('--epochs', 3);
const listJobs = args.includes('--list');

const dir = process.env.LOCALSAGE_BENCH_DIR ?? join(tmpdir(), 'localsage-kdd99');
mkdirSync(dir, { recursive: true });
const trainCsv = join(dir, rows === KDD99_ROWS ? 'train.csv' : `train-${rows}.csv`);
const validationCsv = join(dir, 'test.csv');
if (!existsSync(trainCsv)) await writeKdd99Csv(trainCsv, rows, 1);
if (!existsSync(validationCsv)) await writeKdd99Csv(validationCsv, 49_402, 2);

const emu = await startEmulatorProcess();
try {
  const c = clients(emu.url);
  await ensureBucket(c.s3, 'bench-tune');
  const train = await upload(c.s3, 'bench-tune', 'train/kdd99.csv', readFileSync(trainCsv));
  const validation = await upload(c.s3, 'bench-tune', 'validation/kdd99.csv', readFileSync(validationCsv));

  async function tune(strategy: HyperParameterTuningJobStrategyType) {
    const name = `bench-${strategy.toLowerCase()}`;
    const started = performance.now();
    await c.sagemaker.send(
      new CreateHyperParameterTuningJobCommand({
        HyperParameterTuningJobName: name,
        HyperParameterTuningJobConfig: tuningConfig({
          Strategy: strategy,
          ResourceLimits: { MaxNumberOfTrainingJobs: jobs, MaxParallelTrainingJobs: 2 },
          ParameterRanges: {
            ContinuousParameterRanges: [
              { Name: 'learning_rate', MinValue: '0.0001', MaxValue: '1', ScalingType: 'Logarithmic' },
              { Name: 'wd', MinValue: '0.0000001', MaxValue: '1', ScalingType: 'Logarithmic' },
              { Name: 'l1', MinValue: '0.0000001', MaxValue: '1', ScalingType: 'Logarithmic' },
            ],
            IntegerParameterRanges: [{ Name: 'mini_batch_size', MinValue: '100', MaxValue: '5000', ScalingType: 'Logarithmic' }],
          },
          RandomSeed: 1,
        }),
        TrainingJobDefinition: linearLearnerDefinition(
          'bench-tune',
          { train, validation, features: KDD99_FEATURES },
          { epochs: String(epochs) },
          { OutputDataConfig: { S3OutputPath: 's3://bench-tune/out' } },
        ),
      }),
    );
    const done = await waitForTuning(c.sagemaker, name, 3_600_000);
    const wall = (performance.now() - started) / 1000;
    if (done.HyperParameterTuningJobStatus !== 'Completed') throw new Error(`${name} ended ${done.HyperParameterTuningJobStatus}: ${done.FailureReason}`);
    const best = done.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric?.Value;
    if (listJobs) {
      const children = (await listTuningChildren(c.sagemaker, name)).sort((x, y) => x.TrainingJobName!.localeCompare(y.TrainingJobName!));
      for (const j of children) console.log(`    ${name} ${j.TrainingJobName}: ${j.FinalHyperParameterTuningJobObjectiveMetric?.Value} ${JSON.stringify(j.TunedHyperParameters)}`);
    }
    return { wall, perMinute: (60 * jobs) / wall, best, counters: done.TrainingJobStatusCounters, tuned: done.BestTrainingJob?.TunedHyperParameters };
  }

  console.log(`linear-learner on KDD99-shaped data (${rows} x ${KDD99_FEATURES}, validation 49,402 rows), epochs=${epochs}, ${jobs} jobs, MaxParallelTrainingJobs 2`);
  const bayes = await tune('Bayesian');
  const random = await tune('Random');
  for (const [label, r] of [['Bayesian', bayes], ['Random', random]] as const) {
    console.log(
      `  ${label.padEnd(8)}: wall ${r.wall.toFixed(1)} s, ${r.perMinute.toFixed(1)} jobs/min, best validation:objective_loss ${r.best?.toPrecision(8)}  ${JSON.stringify(r.tuned)}`,
    );
  }
  const asGood = bayes.best !== undefined && random.best !== undefined && bayes.best <= random.best;
  console.log(`  goals   : Bayesian best <= Random best: ${asGood ? 'met' : 'MISSED'}; Bayesian wall < 90 s: ${bayes.wall < 90 ? 'met' : 'MISSED'} (quiet 2-core machine)`);
} finally {
  await emu.stop();
  removeDir(emu.dataDir);
}
