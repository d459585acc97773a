import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { separableBinary, toCsv } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, ensureBucket, trainAndWait, upload } from './helpers/pipeline.js';

/**
 * Limits a request cannot get past (instance quotas, timers in range) and the training queue:
 * 50 jobs at once wait their turn for the emulator's training slots, with the process's memory
 * and threads sampled from /proc while they run.
 */
const QUOTA = 60;
const SLOTS = 2;
let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let trainUri: string;
const BUCKET = 'limits';

beforeAll(async () => {
  // Stale files a killed emulator left behind: start-up must reclaim them.
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dataDir = mkdtempSync(join(tmpdir(), 'localsage-limits-'));
  mkdirSync(join(dataDir, 's3', '.tmp'), { recursive: true });
  writeFileSync(join(dataDir, 's3', '.tmp', 'put-0123456789abcdef'), 'half an upload');
  mkdirSync(join(dataDir, 'training', '000000000000', 'us-east-1', 'killed-job', 'input'), { recursive: true });
  writeFileSync(join(dataDir, 'training', '000000000000', 'us-east-1', 'killed-job', 'input', 'x.csv'), '1,2');
  emu = await startEmulatorProcess({ dataDir, env: { LOCALSAGE_TRAINING_INSTANCE_QUOTA: String(QUOTA), LOCALSAGE_TRAINING_SLOTS: String(SLOTS) } });
  c = clients(emu.url);
  await ensureBucket(c.s3, BUCKET);
  const data = separableBinary(200, 4, 7);
  trainUri = await upload(c.s3, BUCKET, 'train/data.csv', toCsv(data.x, data.y));
}, 60_000);

afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

function request(name: string, resource: { InstanceType?: string; InstanceCount?: number }, maxRuntime = 3600) {
  return new CreateTrainingJobCommand({
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: LINEAR_LEARNER_IMAGE, TrainingInputMode: 'File' },
    RoleArn: ROLE,
    InputDataConfig: [channel('train', trainUri, 'text/csv')],
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/output` },
    ResourceConfig: { InstanceType: 'ml.m5.large', VolumeSizeInGB: 10, ...resource } as never,
    StoppingCondition: { MaxRuntimeInSeconds: maxRuntime },
    HyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', mini_batch_size: '50', epochs: '2' },
  });
}

async function rejection(p: Promise<unknown>): Promise<SageMakerServiceException> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(SageMakerServiceException);
  return e as SageMakerServiceException;
}

it('reclaimed the temp files and job dirs a killed process left', () => {
  expect(existsSync(join(emu.dataDir, 's3', '.tmp', 'put-0123456789abcdef'))).toBe(false);
  expect(existsSync(join(emu.dataDir, 'training', '000000000000', 'us-east-1', 'killed-job'))).toBe(false);
});

describe('instance counts', () => {
  it('refuses more instances than the type’s quota with AWS’s ResourceLimitExceeded', async () => {
    for (const count of [QUOTA + 1, 2147483648]) {
      const e = await rejection(c.sagemaker.send(request(`over-quota-${count}`, { InstanceCount: count })));
      expect(e.name).toBe('ResourceLimitExceeded');
      expect(e.message).toBe(
        `The account-level service limit 'ml.m5.large for training job usage' is ${QUOTA} Instances, with current utilization of 0 Instances and a request delta of ${count} Instances. Please use AWS Service Quotas to request an increase for this quota. If AWS Service Quotas is not available, contact AWS support to request an increase for this quota.`,
      );
    }
    // Nothing was stored for a refused request.
    const missing = await rejection(c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: `over-quota-${QUOTA + 1}` })));
    expect(missing.name).toBe('ValidationException');
  });

  it('refuses InstanceCount 0 without InstanceGroups', async () => {
    const e = await rejection(c.sagemaker.send(request('zero-instances', { InstanceCount: 0 })));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toMatch(/instanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1/);
  });
});

it('a MaxRuntimeInSeconds past the 24.8-day timer range does not end the job at once', async () => {
  const job = await trainAndWait(c.sagemaker, {
    name: 'long-runtime',
    image: LINEAR_LEARNER_IMAGE,
    hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', mini_batch_size: '50', epochs: '2' },
    channels: [channel('train', trainUri, 'text/csv')],
    output: `s3://${BUCKET}/output`,
    maxRuntime: 2_147_484,
  });
  expect(job.FailureReason).toBeUndefined();
  expect(job.SecondaryStatus).toBe('Completed');
}, 120_000);

/** Resident memory and thread count of the emulator process, from /proc (Linux). */
function sample(pid: number): { rssBytes: number; threads: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssBytes: Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024, threads: Number(/Threads:\s+(\d+)/.exec(status)![1]) };
  } catch {
    return undefined;
  }
}

it('50 concurrent jobs queue for the training slots: all complete, memory and threads stay bounded', async () => {
  const pid = emu.proc.pid!;
  if (!sample(pid)) return void console.warn('hardening-limits: /proc is not readable here; the memory sampling part is skipped');
  const names = Array.from({ length: 50 }, (_, i) => `queued-${i}`);
  await Promise.all(names.map((name) => c.sagemaker.send(request(name, { InstanceCount: 1 }))));
  let maxRss = 0;
  let maxThreads = 0;
  const sawQueued = new Set<string>();
  const done = new Set<string>();
  // Poll until every job has ended; each round samples the process and every unfinished job.
  while (done.size < names.length) {
    const s = sample(pid)!;
    maxRss = Math.max(maxRss, s.rssBytes);
    maxThreads = Math.max(maxThreads, s.threads);
    for (const name of names.filter((n) => !done.has(n))) {
      const job = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
      if (job.SecondaryStatusTransitions?.some((t) => t.StatusMessage?.startsWith('Insufficient capacity'))) sawQueued.add(name);
      if (job.TrainingJobStatus !== 'InProgress') {
        expect(job.FailureReason, name).toBeUndefined();
        expect(job.TrainingJobStatus).toBe('Completed');
        done.add(name);
      }
    }
  }
  console.log(`hardening-limits: 50 jobs on ${SLOTS} slots: max RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB, max threads ${maxThreads}, ${sawQueued.size} seen waiting for capacity`);
  // Two instance workers (≈75 MiB each) run at once, not fifty.
  expect(maxRss).toBeLessThan(1.5 * 2 ** 30);
  expect(maxThreads).toBeLessThan(60);
  expect(sawQueued.size).toBeGreaterThan(0);
}, 600_000);

it('a hyperparameter named like an Object.prototype member is an unknown hyperparameter, as the algorithm says', async () => {
  for (const name of ['constructor', 'hasOwnProperty']) {
    const cmd = request(`proto-hp-${name.toLowerCase()}`, { InstanceCount: 1 });
    cmd.input.HyperParameters = { ...cmd.input.HyperParameters, [name]: 'x' };
    await c.sagemaker.send(cmd);
    let job;
    for (;;) {
      job = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: `proto-hp-${name.toLowerCase()}` }));
      if (job.TrainingJobStatus !== 'InProgress') break;
      await new Promise((ok) => setTimeout(ok, 200)); // polling pace, not an assertion
    }
    expect(job.TrainingJobStatus).toBe('Failed');
    expect(job.FailureReason).toContain(`Additional properties are not allowed ('${name}' was unexpected)`);
  }
}, 120_000);
