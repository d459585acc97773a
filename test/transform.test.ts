import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateModelCommand,
  CreateTransformJobCommand,
  DescribeTransformJobCommand,
  ListTransformJobsCommand,
  StopTransformJobCommand,
  waitUntilTransformJobCompletedOrStopped,
  type CreateTransformJobCommandInput,
  type DescribeTransformJobCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRecordIO } from '../algorithms/index.js';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { separableBinary } from './helpers/data.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { deploy, trainBinaryOnSeparableData, upload } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let logs: CloudWatchLogsClient;
const BUCKET = 'transform';
const rows = separableBinary(24, 3, 11).x;
const csv = (r: number[][]) => r.map((x) => x.join(',')).join('\n') + '\n';

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  logs = new CloudWatchLogsClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { job } = await trainBinaryOnSeparableData(c, { bucket: BUCKET, name: 'tf-train', rows: 300, features: 3, seed: 3, hyperParameters: { epochs: '2', num_models: '1' } });
  // The endpoint serves the same model the transform jobs use: its answers are the reference.
  await deploy(c.sagemaker, 'tf-model', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
  await upload(c.s3, BUCKET, 'in/csv/a.csv', csv(rows.slice(0, 14)));
  await upload(c.s3, BUCKET, 'in/csv/sub/b.csv', csv(rows.slice(14)));
  await upload(c.s3, BUCKET, 'in/recordio/a.rec', writeRecordIO(rows.map((x) => ({ features: x }))));
  await upload(c.s3, BUCKET, 'in/ids/a.csv', rows.map((x, i) => [`id${i}`, ...x].join(',')).join('\n') + '\n');
  await upload(c.s3, BUCKET, 'in/jsonl/a.jsonl', rows.map((x, i) => JSON.stringify({ id: i, features: x })).join('\n') + '\n');
  await upload(c.s3, BUCKET, 'in/bad/a.csv', `${rows[0].join(',')}\nnot,a,number\n`);
}, 240_000);
afterAll(async () => {
  await emu?.stop();
});

async function invoke(body: string, contentType: string, accept: string): Promise<string> {
  const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'tf-model', Body: Buffer.from(body), ContentType: contentType, Accept: accept }));
  return Buffer.from(out.Body!).toString('utf8');
}

async function read(key: string): Promise<string> {
  const out = await c.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return out.Body!.transformToString();
}

async function transform(name: string, input: Partial<CreateTransformJobCommandInput> & { uri: string; contentType: string; split: 'None' | 'Line' | 'RecordIO'; accept: string }): Promise<DescribeTransformJobCommandOutput> {
  const { uri, contentType, split, accept, ...rest } = input;
  await c.sagemaker.send(
    new CreateTransformJobCommand({
      TransformJobName: name,
      ModelName: 'tf-model',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri } }, ContentType: contentType, SplitType: split },
      TransformOutput: { S3OutputPath: `s3://${BUCKET}/out/${name}`, Accept: accept, AssembleWith: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      ...rest,
    }),
  );
  await waitUntilTransformJobCompletedOrStopped({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { TransformJobName: name }).catch(() => undefined);
  return c.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: name }));
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('batch transform', () => {
  // Linear Learner answers JSON, JSON Lines or RecordIO (no CSV); a JSON answer covers a whole
  // request, so only one-record requests compare row by row.
  for (const [split, strategy, accept] of [
    ['Line', 'SingleRecord', 'application/jsonlines'],
    ['Line', 'SingleRecord', 'application/json'],
    ['Line', 'MultiRecord', 'application/jsonlines'],
    ['None', undefined, 'application/jsonlines'],
  ] as const) {
    {
      it(`SplitType ${split}, ${strategy ?? 'no'} BatchStrategy, Accept ${accept}: each output row is what InvokeEndpoint answers for that row`, async () => {
        const name = `tf-${split}-${strategy ?? 'none'}-${accept.split('/')[1]}`.toLowerCase();
        const job = await transform(name, { uri: `s3://${BUCKET}/in/csv/`, contentType: 'text/csv', split, accept, BatchStrategy: strategy });
        expect(job.TransformJobStatus, job.FailureReason).toBe('Completed');
        expect(job.TransformStartTime).toBeInstanceOf(Date);
        expect(job.TransformEndTime!.getTime()).toBeGreaterThanOrEqual(job.TransformStartTime!.getTime());
        const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `out/${name}/` }));
        expect(listed.Contents!.map((o) => o.Key).sort()).toEqual([`out/${name}/a.csv.out`, `out/${name}/sub/b.csv.out`]);
        const got = [...lines(await read(`out/${name}/a.csv.out`)), ...lines(await read(`out/${name}/sub/b.csv.out`))];
        const expected = await Promise.all(rows.map(async (r) => lines(await invoke(r.join(','), 'text/csv', accept))[0]));
        expect(got).toEqual(expected);
      });
    }
  }

  for (const strategy of ['SingleRecord', 'MultiRecord'] as const) {
    it(`SplitType RecordIO with ${strategy} matches InvokeEndpoint row by row`, async () => {
      const name = `tf-recordio-${strategy.toLowerCase()}`;
      const job = await transform(name, { uri: `s3://${BUCKET}/in/recordio/`, contentType: 'application/x-recordio-protobuf', split: 'RecordIO', accept: 'application/jsonlines', BatchStrategy: strategy, MaxPayloadInMB: 1 });
      expect(job.TransformJobStatus, job.FailureReason).toBe('Completed');
      const expected = await Promise.all(rows.map(async (r) => lines(await invoke(r.join(','), 'text/csv', 'application/jsonlines'))[0]));
      expect(lines(await read(`out/${name}/a.rec.out`))).toEqual(expected);
    });
  }

  it('a gzipped input of many 1 MB mini-batches, MaxConcurrentTransforms 3: the same lines as one InvokeEndpoint of the whole input', async () => {
    const many = separableBinary(60_000, 3, 23).x;
    const body = csv(many);
    await upload(c.s3, BUCKET, 'in/gz/many.csv.gz', gzipSync(body));
    const job = await transform('tf-gzip', {
      uri: `s3://${BUCKET}/in/gz/`,
      contentType: 'text/csv',
      split: 'Line',
      accept: 'application/jsonlines',
      BatchStrategy: 'MultiRecord',
      MaxPayloadInMB: 1,
      MaxConcurrentTransforms: 3,
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/in/gz/` } }, ContentType: 'text/csv', SplitType: 'Line', CompressionType: 'Gzip' },
    });
    expect(job.TransformJobStatus, job.FailureReason).toBe('Completed');
    expect(body.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(lines(await read('out/tf-gzip/many.csv.gz.out'))).toEqual(lines(await invoke(body, 'text/csv', 'application/jsonlines')));
  });

  it('CSV: InputFilter drops the id column, JoinSource Input appends the prediction, OutputFilter keeps id and label', async () => {
    const job = await transform('tf-join-csv', {
      uri: `s3://${BUCKET}/in/ids/a.csv`,
      contentType: 'text/csv',
      split: 'Line',
      accept: 'application/jsonlines',
      BatchStrategy: 'MultiRecord',
      DataProcessing: { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' },
    });
    expect(job.TransformJobStatus, job.FailureReason).toBe('Completed');
    expect(job.DataProcessing).toEqual({ InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' });
    // A JSON answer joined to a CSV row is one more (quoted) CSV cell.
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const expected = await Promise.all(rows.map(async (r, i) => `id${i},${quote(lines(await invoke(r.join(','), 'text/csv', 'application/jsonlines'))[0])}`));
    expect(lines(await read('out/tf-join-csv/a.csv.out'))).toEqual(expected);
  });

  it('JSON Lines: InputFilter $.features, the prediction joined under SageMakerOutput, OutputFilter selects id and SageMakerOutput', async () => {
    const job = await transform('tf-join-json', {
      uri: `s3://${BUCKET}/in/jsonl/`,
      contentType: 'application/jsonlines',
      split: 'Line',
      accept: 'application/jsonlines',
      DataProcessing: { InputFilter: '$.features', JoinSource: 'Input', OutputFilter: "$['id','SageMakerOutput']" },
    });
    expect(job.TransformJobStatus, job.FailureReason).toBe('Completed');
    const got = lines(await read('out/tf-join-json/a.jsonl.out')).map((l) => JSON.parse(l));
    const expected = await Promise.all(rows.map(async (r, i) => ({ id: i, SageMakerOutput: JSON.parse(lines(await invoke(r.join(','), 'text/csv', 'application/jsonlines'))[0]) })));
    expect(got).toEqual(expected);
  });

  it('a bad record fails the job with ClientError and says why in the job log', async () => {
    const job = await transform('tf-bad', { uri: `s3://${BUCKET}/in/bad/`, contentType: 'text/csv', split: 'Line', accept: 'application/jsonlines', BatchStrategy: 'SingleRecord' });
    expect(job.TransformJobStatus).toBe('Failed');
    expect(job.FailureReason).toBe('ClientError: See job logs for more information');
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/sagemaker/TransformJobs', logStreamNamePrefix: 'tf-bad/' }));
    expect(streams.logStreams!.map((s) => s.logStreamName)).toEqual([expect.stringMatching(/^tf-bad\/i-[0-9a-f]{17}-\d{10}$/)]);
    const events = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/sagemaker/TransformJobs', logStreamName: streams.logStreams![0].logStreamName!, startFromHead: true }));
    const text = events.events!.map((e) => e.message).join('\n');
    expect(text).toContain(`[sagemaker logs]: ${BUCKET}/in/bad/a.csv: ClientError: 400`);
    expect(text).toContain("could not convert 'not' to a number");
    // Nothing is stored for the object that failed.
    const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'out/tf-bad/' }));
    expect(listed.KeyCount).toBe(0);
  });

  it('StopTransformJob: Stopping, then Stopped; List filters by status; a missing model is refused', async () => {
    await c.sagemaker.send(
      new CreateTransformJobCommand({
        TransformJobName: 'tf-stop',
        ModelName: 'tf-model',
        TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/in/csv/` } }, ContentType: 'text/csv', SplitType: 'Line' },
        TransformOutput: { S3OutputPath: `s3://${BUCKET}/out/tf-stop` },
        TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      }),
    );
    await c.sagemaker.send(new StopTransformJobCommand({ TransformJobName: 'tf-stop' }));
    // Stopping lasts the fast profile's 100 ms: a loaded machine may answer the first Describe
    // after it. Every status seen from the stop on is Stopping, then Stopped (never InProgress).
    const seen: string[] = [];
    for (let i = 0; i < 600 && seen.at(-1) !== 'Stopped'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      seen.push((await c.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: 'tf-stop' }))).TransformJobStatus!);
    }
    expect(seen.at(-1)).toBe('Stopped');
    expect(seen.filter((x) => x !== 'Stopping' && x !== 'Stopped')).toEqual([]);
    const stopped = await c.sagemaker.send(new ListTransformJobsCommand({ StatusEquals: 'Stopped' }));
    expect(stopped.TransformJobSummaries!.map((j) => j.TransformJobName)).toEqual(['tf-stop']);

    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'unused', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: `s3://${BUCKET}/nothing.tar.gz` }, ExecutionRoleArn: ROLE }));
    const err = await c.sagemaker
      .send(
        new CreateTransformJobCommand({
          TransformJobName: 'tf-no-model',
          ModelName: 'no-such-model',
          TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/in/csv/` } } },
          TransformOutput: { S3OutputPath: `s3://${BUCKET}/out/x` },
          TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
        }),
      )
      .catch((e: Error) => e);
    expect((err as Error).name).toBe('ValidationException');
    expect((err as Error).message).toBe('Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/no-such-model".');
    const missing = await c.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: 'nope' })).catch((e: Error) => e);
    expect((missing as Error).name).toBe('ValidationException');
  });
});
