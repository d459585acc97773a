import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
} from '@aws-sdk/client-sagemaker';
import { afterAll, describe, expect, it } from 'vitest';
import { clients } from './helpers/clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { linearLearnerDefinition, listTuningChildren, tuneAndWait, tuningConfig, uploadBinarySplit, waitForTuning } from './helpers/tuning.js';

const started: EmulatorProcess[] = [];
afterAll(async () => {
  for (const e of started) await e.stop();
  for (const dir of new Set(started.map((e) => e.dataDir))) removeDir(dir);
});

async function start(dataDir?: string, args: string[] = []) {
  const e = await startEmulatorProcess({ dataDir, args });
  started.push(e);
  return e;
}

describe('tuning jobs across restarts and time limits', () => {
  it('SIGKILL mid-tuning: the job resumes, re-runs the killed children (RetryableError) and completes its budget', async () => {
    const first = await start();
    let c = clients(first.url);
    const uris = await uploadBinarySplit(c.s3, 'tuning-restart', 600);
    const name = 'tune-restart';
    await c.sagemaker.send(
      new CreateHyperParameterTuningJobCommand({
        HyperParameterTuningJobName: name,
        HyperParameterTuningJobConfig: tuningConfig({ ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 2 } }),
        TrainingJobDefinition: linearLearnerDefinition('tuning-restart', uris, { epochs: '40', mini_batch_size: '5' }),
      }),
    );
    for (let i = 0; i < 300; i++) {
      const d = await c.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
      if (d.TrainingJobStatusCounters!.InProgress! >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.kill();

    const second = await start(first.dataDir);
    c = clients(second.url);
    const resumed = await c.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
    expect(['InProgress', 'Completed']).toContain(resumed.HyperParameterTuningJobStatus);
    const done = await waitForTuning(c.sagemaker, name);
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    const counters = done.TrainingJobStatusCounters!;
    expect(counters.Completed).toBe(3);
    expect(counters.RetryableError).toBeGreaterThanOrEqual(1);
    expect(counters.NonRetryableError).toBe(0);
    const summaries = await listTuningChildren(c.sagemaker, name);
    const failed = summaries.filter((s) => s.TrainingJobStatus === 'Failed');
    expect(failed.length).toBe(counters.RetryableError);
    for (const f of failed) {
      expect(f.FailureReason).toMatch(/restarted/);
      // Each killed child was re-run with the same values.
      const rerun = summaries.find((s) => s.TrainingJobStatus === 'Completed' && JSON.stringify(s.TunedHyperParameters) === JSON.stringify(f.TunedHyperParameters));
      expect(rerun).toBeDefined();
    }
    expect(done.BestTrainingJob!.TrainingJobStatus).toBe('Completed');
  });

  it('ResourceLimits.MaxRuntimeInSeconds stops the tuning job and its children (emulator clock 120x)', async () => {
    const emu = await start(undefined, ['--clock-scale', '120']);
    const c = clients(emu.url);
    const uris = await uploadBinarySplit(c.s3, 'tuning-runtime', 400);
    const done = await tuneAndWait(c.sagemaker, {
      HyperParameterTuningJobName: 'tune-runtime',
      HyperParameterTuningJobConfig: tuningConfig({ ResourceLimits: { MaxNumberOfTrainingJobs: 50, MaxParallelTrainingJobs: 1, MaxRuntimeInSeconds: 120 } }),
      TrainingJobDefinition: linearLearnerDefinition('tuning-runtime', uris, { epochs: '2000', mini_batch_size: '5' }),
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Stopped');
    const counters = done.TrainingJobStatusCounters!;
    expect(counters.InProgress).toBe(0);
    expect(counters.Stopped).toBeGreaterThanOrEqual(1);
    expect(done.ConsumedResources!.RuntimeInSeconds).toBeGreaterThanOrEqual(120);
  });
});
