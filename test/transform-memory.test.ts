import { readFileSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateModelCommand, CreateTransformJobCommand, DescribeTransformJobCommand, waitUntilTransformJobCompletedOrStopped } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { mulberry32 } from './helpers/data.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { trainBinaryOnSeparableData } from './helpers/pipeline.js';

/**
 * A batch transform streams: the emulator's resident memory while it transforms a large input
 * grows no more than while it transforms a small one (both several mini-batches long), and far
 * less than the input. RSS is sampled from /proc; nothing here depends on how fast it runs.
 */
let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
const MB = 1 << 20;

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  const { job } = await trainBinaryOnSeparableData(c, { bucket: 'bigtf', name: 'bigtf-train', rows: 300, features: 3, seed: 2, hyperParameters: { epochs: '1', num_models: '1' } });
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'bigtf', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts! }, ExecutionRoleArn: ROLE }));
}, 240_000);
afterAll(async () => {
  await emu?.stop();
});

function csvOf(bytes: number): { body: Buffer; rows: number } {
  const rand = mulberry32(bytes);
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `${(rand() * 2 - 1).toFixed(6)},${(rand() * 2 - 1).toFixed(6)},${(rand() * 2 - 1).toFixed(6)}\n`;
    lines.push(line);
    size += line.length;
  }
  return { body: Buffer.from(lines.join('')), rows: lines.length };
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Runs one transform of `bytes` of CSV; returns the peak RSS growth over the RSS before it. */
async function transform(name: string, bytes: number): Promise<{ growth: number; trace: number[]; rows: number; outputLines: number }> {
  const { body, rows } = csvOf(bytes);
  await c.s3.send(new PutObjectCommand({ Bucket: 'bigtf', Key: `${name}/in.csv`, Body: body }));
  const pid = emu.proc.pid!;
  const before = rssBytes(pid);
  let peak = before;
  const trace: number[] = [];
  const sampler = setInterval(() => {
    const r = rssBytes(pid);
    peak = Math.max(peak, r);
    trace.push(r);
  }, 25);
  try {
    await c.sagemaker.send(
      new CreateTransformJobCommand({
        TransformJobName: name,
        ModelName: 'bigtf',
        BatchStrategy: 'MultiRecord',
        MaxPayloadInMB: 1,
        TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://bigtf/${name}/` } }, ContentType: 'text/csv', SplitType: 'Line' },
        TransformOutput: { S3OutputPath: `s3://bigtf/out/${name}`, Accept: 'application/jsonlines', AssembleWith: 'Line' },
        TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      }),
    );
    await waitUntilTransformJobCompletedOrStopped({ client: c.sagemaker, maxWaitTime: 600, minDelay: 1, maxDelay: 1 }, { TransformJobName: name });
  } finally {
    clearInterval(sampler);
  }
  const job = await c.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: name }));
  expect(job.TransformJobStatus, job.FailureReason).toBe('Completed');
  const seconds = (job.TransformEndTime!.getTime() - job.TransformStartTime!.getTime()) / 1000;
  console.log(`${name}: ${rows} rows (${(bytes / MB).toFixed(0)} MiB) in ${seconds.toFixed(1)} s, ${Math.round(rows / seconds)} rows/s`);
  const out = await c.s3.send(new GetObjectCommand({ Bucket: 'bigtf', Key: `out/${name}/in.csv.out` }));
  let outputLines = 0;
  for await (const chunk of out.Body as AsyncIterable<Buffer>) for (const b of chunk) if (b === 0x0a) outputLines++;
  return { growth: peak - before, trace, rows, outputLines };
}

describe('batch transform memory', () => {
  it('stays flat: a 96 MiB input costs no more resident memory than a 6 MiB one', async () => {
    const small = await transform('small', 6 * MB);
    const big = await transform('big', 96 * MB);
    expect(small.outputLines).toBe(small.rows);
    expect(big.outputLines).toBe(big.rows);
    console.log(`RSS growth: 6 MiB input ${(small.growth / MB).toFixed(1)} MiB, 96 MiB input ${(big.growth / MB).toFixed(1)} MiB`);
    // Holding the input (96 MiB) or the output (about twice that) would add at least 96 MiB; the
    // bound is half of that, as large as the run-to-run spread of RSS growth (GC headroom, worker
    // start-up: ±25 MiB measured on two cores) allows while still catching a held input.
    expect(big.growth).toBeLessThan(small.growth + 48 * MB);
    // And within the large run, memory levels off instead of climbing with the bytes read.
    const third = Math.floor(big.trace.length / 3);
    const early = Math.max(...big.trace.slice(0, third));
    const late = Math.max(...big.trace.slice(2 * third));
    expect(late).toBeLessThan(early + 24 * MB);
  }, 900_000);
});
