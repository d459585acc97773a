import * as sdk from '@aws-sdk/client-sagemaker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagemakerModel } from '../emulator/protocol/service-model.js';
import { shapeViolations } from '../emulator/services/sagemaker/engine/shapes.js';
import { clients, LINEAR_LEARNER_IMAGE, rejection, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel } from './helpers/pipeline.js';
import { linearLearnerDefinition, tuningConfig, uploadBinarySplit } from './helpers/tuning.js';

/**
 * The families a hand-written service runs on the engine (Model, EndpointConfig, Endpoint,
 * TrainingJob, TransformJob, ProcessingJob, HyperParameterTuningJob): each List with each filter
 * and sort key its operation declares, the defaults AWS documents, and NextToken pagination, all
 * through the JS SDK's own Command classes; and every Describe answer, as it came off the wire,
 * walked against its output shape.
 */
const PROCESSING_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-processor:latest';
const CONTAINER = resolve(import.meta.dirname, 'fixtures/processing/container.mjs');
const BUCKET = 'service-families';
const MISSING_MODEL = `s3://${BUCKET}/missing/model.tar.gz`;
const Commands = sdk as unknown as Record<string, new (input: unknown) => any>;
const model = sagemakerModel();

interface FamilySpec {
  family: string;
  key: string;
  arn: string;
  /** The List output member with the entries. */
  entries: string;
  status?: string;
  /** AWS's documented defaults for the List operation. */
  defaultSort: { by: 'Name' | 'CreationTime'; order: 'Ascending' | 'Descending' };
  /** Whether the List operation takes LastModifiedTimeAfter/Before. */
  lastModified: boolean;
  /** What Describe answers for a missing name. */
  notFound: { code: string; message: (name: string) => string };
  create: (name: string, i: number) => Record<string, unknown>;
  /** After Create, before the test reads the lists (a job stopped so that its statuses differ). */
  afterCreate?: (name: string, i: number) => Promise<void>;
}

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
const tmp = mkdtempSync(join(tmpdir(), 'localsage-service-families-'));
/** The last raw response body, captured on its way to the SDK's deserializer. */
const captured: { body?: string } = {};

const arnOf = (type: string, name: string) => `arn:aws:sagemaker:us-east-1:000000000000:${type}/${name}`;
const send = (op: string, input: Record<string, unknown>) => c.sagemaker.send(new Commands[`${op}Command`](input)) as Promise<Record<string, any>>;
const names = (family: string) => [0, 1, 2].map((i) => `sf-${family.toLowerCase()}-${i}`);

const specs: FamilySpec[] = [
  {
    family: 'Model',
    key: 'ModelName',
    arn: 'ModelArn',
    entries: 'Models',
    defaultSort: { by: 'CreationTime', order: 'Descending' },
    lastModified: false,
    notFound: { code: 'ValidationException', message: (n) => `Could not find model "${arnOf('model', n)}".` },
    create: (name) => ({ ModelName: name, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: MISSING_MODEL } }),
  },
  {
    family: 'EndpointConfig',
    key: 'EndpointConfigName',
    arn: 'EndpointConfigArn',
    entries: 'EndpointConfigs',
    defaultSort: { by: 'CreationTime', order: 'Descending' },
    lastModified: false,
    notFound: { code: 'ValidationException', message: (n) => `Could not find endpoint configuration "${arnOf('endpoint-config', n)}".` },
    create: (name) => ({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'v', ModelName: 'sf-model-0', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] }),
  },
  {
    family: 'Endpoint',
    key: 'EndpointName',
    arn: 'EndpointArn',
    entries: 'Endpoints',
    status: 'EndpointStatus',
    defaultSort: { by: 'CreationTime', order: 'Descending' },
    lastModified: true,
    notFound: { code: 'ValidationException', message: (n) => `Could not find endpoint "${arnOf('endpoint', n)}".` },
    // The model's artifact does not exist: the endpoints end Failed.
    create: (name) => ({ EndpointName: name, EndpointConfigName: 'sf-endpointconfig-0' }),
  },
  {
    family: 'TrainingJob',
    key: 'TrainingJobName',
    arn: 'TrainingJobArn',
    entries: 'TrainingJobSummaries',
    status: 'TrainingJobStatus',
    defaultSort: { by: 'CreationTime', order: 'Ascending' },
    lastModified: true,
    notFound: { code: 'ValidationException', message: () => 'Requested resource not found.' },
    // The first trains on real data, the second's channel is empty (Failed), the third is stopped.
    create: (name, i) => ({
      TrainingJobName: name,
      RoleArn: ROLE,
      AlgorithmSpecification: { TrainingImage: LINEAR_LEARNER_IMAGE, TrainingInputMode: 'File' },
      HyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', epochs: '2' },
      InputDataConfig: [channel('train', i === 1 ? `s3://${BUCKET}/nothing-here/` : `s3://${BUCKET}/train/`, 'text/csv')],
      OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    }),
    afterCreate: async (name, i) => {
      if (i === 2) await send('StopTrainingJob', { TrainingJobName: name });
    },
  },
  {
    family: 'TransformJob',
    key: 'TransformJobName',
    arn: 'TransformJobArn',
    entries: 'TransformJobSummaries',
    status: 'TransformJobStatus',
    defaultSort: { by: 'CreationTime', order: 'Descending' },
    lastModified: true,
    notFound: { code: 'ValidationException', message: (n) => `Could not find requested job with name ${n}` },
    create: (name) => ({
      TransformJobName: name,
      ModelName: 'sf-model-0',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/train/` } }, ContentType: 'text/csv' },
      TransformOutput: { S3OutputPath: `s3://${BUCKET}/transform-out` },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    }),
  },
  {
    family: 'ProcessingJob',
    key: 'ProcessingJobName',
    arn: 'ProcessingJobArn',
    entries: 'ProcessingJobSummaries',
    status: 'ProcessingJobStatus',
    defaultSort: { by: 'CreationTime', order: 'Descending' },
    lastModified: true,
    notFound: { code: 'ValidationException', message: (n) => `Could not find requested job with name ${n}` },
    // Completed, Failed (the container's failure file) and Failed (a crash).
    create: (name, i) => ({
      ProcessingJobName: name,
      RoleArn: ROLE,
      AppSpecification: { ImageUri: PROCESSING_IMAGE, ContainerArguments: [['sum', 'fail', 'crash'][i], '/opt/ml/processing/input/data', '/opt/ml/processing/output'] },
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 } },
      ProcessingInputs: [{ InputName: 'data', S3Input: { S3Uri: `s3://${BUCKET}/train`, LocalPath: '/opt/ml/processing/input/data', S3DataType: 'S3Prefix', S3InputMode: 'File' } }],
      ProcessingOutputConfig: { Outputs: [{ OutputName: 'result', S3Output: { S3Uri: `s3://${BUCKET}/processed/${name}`, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    }),
  },
  {
    family: 'HyperParameterTuningJob',
    key: 'HyperParameterTuningJobName',
    arn: 'HyperParameterTuningJobArn',
    entries: 'HyperParameterTuningJobSummaries',
    status: 'HyperParameterTuningJobStatus',
    defaultSort: { by: 'Name', order: 'Ascending' },
    lastModified: true,
    notFound: { code: 'ResourceNotFound', message: (n) => `Amazon SageMaker can't find a tuning job with name ${n}` },
    create: (name) => ({
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobConfig: tuningConfig({ ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 } }),
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, { train: `s3://${BUCKET}/train/`, validation: `s3://${BUCKET}/validation/`, features: 4 }, { epochs: '2' }),
    }),
    afterCreate: async (name, i) => {
      if (i === 2) await send('StopHyperParameterTuningJob', { HyperParameterTuningJobName: name });
    },
  },
];

/** Describe until the resource's status is one that no longer moves (bounded by attempts, not time). */
async function settle(spec: FamilySpec, name: string): Promise<void> {
  if (!spec.status) return;
  const moving = new Set(['InProgress', 'Stopping', 'Creating', 'Updating']);
  for (let i = 0; i < 1200; i++) {
    const d = await send(`Describe${spec.family}`, { [spec.key]: name });
    if (!moving.has(d[spec.status])) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${spec.family} ${name} did not settle`);
}

beforeAll(async () => {
  const config = join(tmp, 'images.json');
  writeFileSync(config, JSON.stringify({ images: [{ image: '123456789012.dkr.ecr.*.amazonaws.com/my-processor:*', command: [process.execPath, CONTAINER] }] }));
  emu = await startEmulatorProcess({ args: ['--image-config', config], env: { LOCALSAGE_FRAMEWORK_HOME: join(tmp, 'no-frameworks'), LOCALSAGE_DOCKER: '0' } });
  c = clients(emu.url);
  c.sagemaker.middlewareStack.add(
    (next) => async (args) => {
      const result: any = await next(args);
      const chunks: Buffer[] = [];
      for await (const chunk of result.response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
      const body = Buffer.concat(chunks);
      captured.body = body.toString('utf8');
      result.response.body = Readable.from([body]);
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'captureRawBody' },
  );
  await uploadBinarySplit(c.s3, BUCKET, 200, 4);
  for (const spec of specs) {
    for (const [i, name] of names(spec.family).entries()) {
      await send(`Create${spec.family}`, { ...spec.create(name, i), Tags: [{ Key: 'index', Value: String(i) }] });
      await spec.afterCreate?.(name, i);
      // Distinct creation times, so that the CreationTime order is the creation order.
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  for (const spec of specs) for (const name of names(spec.family)) await settle(spec, name);
}, 300_000);

afterAll(async () => {
  await emu?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Every entry of the list, following NextToken, `pageSize` at a time. */
async function listAll(spec: FamilySpec, input: Record<string, unknown>, pageSize?: number): Promise<{ entries: Record<string, any>[]; pages: number }> {
  const entries: Record<string, any>[] = [];
  let NextToken: string | undefined;
  let pages = 0;
  do {
    const page = await send(`List${spec.family}s`, { ...input, MaxResults: pageSize ?? 100, NextToken });
    pages++;
    entries.push(...page[spec.entries]);
    NextToken = page.NextToken;
  } while (NextToken && pages < 50);
  return { entries, pages };
}

describe.each(specs)('$family: the engine answers List as declared', (spec) => {
  const ours = names(spec.family);
  const listed = async (input: Record<string, unknown>) => (await listAll(spec, { NameContains: `SF-${spec.family.toUpperCase()}-`, ...input })).entries.map((e) => e[spec.key]);

  it('filters by NameContains (case-insensitive) and sorts by Name and CreationTime both ways, with AWS documented defaults', async () => {
    expect([...(await listed({ SortBy: 'Name', SortOrder: 'Ascending' }))]).toEqual(ours);
    expect(await listed({ SortBy: 'Name', SortOrder: 'Descending' })).toEqual([...ours].reverse());
    expect(await listed({ SortBy: 'CreationTime', SortOrder: 'Ascending' })).toEqual(ours);
    expect(await listed({ SortBy: 'CreationTime', SortOrder: 'Descending' })).toEqual([...ours].reverse());
    // Names and creation order agree here, so both default sort keys give the same list.
    expect(await listed({})).toEqual(spec.defaultSort.order === 'Ascending' ? ours : [...ours].reverse());
    expect(await listed({ NameContains: 'no-such-resource' })).toEqual([]);
  });

  it('filters by CreationTimeAfter and CreationTimeBefore (and LastModifiedTime where the operation has them)', async () => {
    const described = await Promise.all(ours.map((n) => send(`Describe${spec.family}`, { [spec.key]: n })));
    const middle = described[1].CreationTime as Date;
    expect(await listed({ SortBy: 'Name', SortOrder: 'Ascending', CreationTimeAfter: middle })).toEqual([ours[2]]);
    expect(await listed({ SortBy: 'Name', SortOrder: 'Ascending', CreationTimeBefore: middle })).toEqual([ours[0]]);
    if (!spec.lastModified) return;
    const future = new Date(Date.now() + 3_600_000);
    expect(await listed({ SortBy: 'Name', SortOrder: 'Ascending', LastModifiedTimeBefore: future })).toEqual(ours);
    expect(await listed({ LastModifiedTimeAfter: future })).toEqual([]);
    expect(await listed({ SortBy: 'Name', SortOrder: 'Ascending', LastModifiedTimeAfter: new Date(0) })).toEqual(ours);
  });

  it('filters by StatusEquals and sorts by Status, where the family has a status', async (ctx) => {
    if (!spec.status) return ctx.skip();
    const statuses = new Map<string, string>();
    for (const n of ours) statuses.set(n, (await send(`Describe${spec.family}`, { [spec.key]: n }))[spec.status]);
    for (const status of new Set(statuses.values())) {
      expect(await listed({ SortBy: 'Name', SortOrder: 'Ascending', StatusEquals: status })).toEqual(ours.filter((n) => statuses.get(n) === status));
    }
    // A status of the operation's enum that none of ours has lists none of them.
    const listInput = model.shapes[model.operations[`List${spec.family}s`].input!.shape];
    const absent = model.shapes[listInput.members!.StatusEquals.shape].enum!.find((v) => ![...statuses.values()].includes(v))!;
    expect(await listed({ StatusEquals: absent })).toEqual([]);
    const byStatus = await listed({ SortBy: 'Status', SortOrder: 'Ascending' });
    const keys = byStatus.map((n) => statuses.get(n)!);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(byStatus)).toEqual(new Set(ours));
  });

  it('pages with MaxResults and NextToken, refuses a bad token and MaxResults out of bounds', async () => {
    const whole = await listed({ SortBy: 'Name', SortOrder: 'Ascending' });
    const paged = await listAll(spec, { NameContains: `sf-${spec.family.toLowerCase()}-`, SortBy: 'Name', SortOrder: 'Ascending' }, 1);
    expect(paged.entries.map((e) => e[spec.key])).toEqual(whole);
    expect(paged.pages).toBe(3);
    const listOp = `List${spec.family}s`;
    const bad = await rejection(send(listOp, { NextToken: 'not-a-token' }));
    expect(bad.name).toBe('ValidationException');
    for (const MaxResults of [0, 101]) expect((await rejection(send(listOp, { MaxResults }))).name).toBe('ValidationException');
  });

  it("gives List entries in the summary shape, with Describe's ARN, and the tags given at Create", async () => {
    const listOp = `List${spec.family}s`;
    await send(listOp, { NameContains: `sf-${spec.family.toLowerCase()}-`, MaxResults: 100 });
    const raw = JSON.parse(captured.body!);
    expect(shapeViolations(model, model.operations[listOp].output!.shape, raw)).toEqual([]);
    expect(raw[spec.entries].map((e: Record<string, unknown>) => e[spec.key]).sort()).toEqual(ours);
    for (const [i, n] of ours.entries()) {
      const d = await send(`Describe${spec.family}`, { [spec.key]: n });
      expect(raw[spec.entries].find((e: Record<string, unknown>) => e[spec.key] === n)[spec.arn]).toBe(d[spec.arn]);
      expect(d[spec.arn]).toBe(arnOf(d[spec.arn].split(':')[5].split('/')[0], n));
      expect((await send('ListTags', { ResourceArn: d[spec.arn] })).Tags).toEqual([{ Key: 'index', Value: String(i) }]);
    }
  });

  it("answers a missing name with AWS's error", async () => {
    const e = await rejection(send(`Describe${spec.family}`, { [spec.key]: 'sf-missing' }));
    expect([e.name, e.message]).toEqual([spec.notFound.code, spec.notFound.message('sf-missing')]);
  });
});

describe('Describe answers of the service families, as they come off the wire', () => {
  it('have no member outside the output shape, at any depth, and every required member', async () => {
    let walked = 0;
    for (const spec of specs) {
      const op = `Describe${spec.family}`;
      for (const n of names(spec.family)) {
        await send(op, { [spec.key]: n });
        const raw = JSON.parse(captured.body!);
        expect(shapeViolations(model, model.operations[op].output!.shape, raw), `${op} ${n}`).toEqual([]);
        expect(raw[spec.key]).toBe(n);
        walked++;
      }
    }
    expect(walked).toBe(specs.length * 3);
  });

  it('keep what the service stores for itself out: a transform job lists LastModifiedTime, which DescribeTransformJob does not declare', async () => {
    const listed = await send('ListTransformJobs', { NameContains: 'sf-transformjob-0' });
    expect(listed.TransformJobSummaries[0].LastModifiedTime).toBeInstanceOf(Date);
    await send('DescribeTransformJob', { TransformJobName: 'sf-transformjob-0' });
    const raw = JSON.parse(captured.body!);
    expect(raw.TransformJobName).toBe('sf-transformjob-0');
    expect(raw).not.toHaveProperty('LastModifiedTime');
  });
});
