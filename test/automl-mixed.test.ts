import {
  CreateAutoMLJobCommand,
  CreateAutoMLJobV2Command,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreateTransformJobCommand,
  DescribeTransformJobCommand,
  waitUntilTransformJobCompletedOrStopped,
  DescribeAutoMLJobCommand,
  DescribeAutoMLJobV2Command,
  ListCandidatesForAutoMLJobCommand,
  waitUntilEndpointInService,
  type AutoMLContainerDefinition,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { existsSync } from 'node:fs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameworkPython } from '../emulator/containers/images.js';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { MIXED_TARGET, mixedCsv, mixedInferenceCsv, mixedRows, numericOnlyBaseline, reviewRows, type MixedRow } from './helpers/mixed-data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { ensureBucket, upload } from './helpers/pipeline.js';

/**
 * AutoML on a data set with mixed columns (numbers, strings, free text, empty cells) and a string
 * target: the candidates' data processing detects the column types, imputes, one-hot encodes and
 * standardises, and the best candidate's serial inference pipeline takes raw rows and answers
 * with the original labels.
 */
const BUCKET = 'automl-mixed';
const XGBOOST = existsSync(frameworkPython('xgboost'));
let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let held: MixedRow[];

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);
async function waitJob(sm: SageMakerClient, name: string, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await sm.send(new DescribeAutoMLJobV2Command({ AutoMLJobName: name }));
    if (TERMINAL.has(d.AutoMLJobStatus!)) return d;
    if (Date.now() > deadline) throw new Error(`AutoML job ${name} still ${d.AutoMLJobStatus}/${d.AutoMLJobSecondaryStatus}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deploys the containers as a model named `name`; or, given another model's name, that model. */
async function deployContainers(name: string, containers: AutoMLContainerDefinition[], model = name, endpointTags?: { Key: string; Value: string }[]) {
  if (containers.length) await c.sagemaker.send(new CreateModelCommand({ ModelName: name, Containers: containers, ExecutionRoleArn: ROLE }));
  await c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }] }));
  await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name, Tags: endpointTags }));
  await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 180, minDelay: 1, maxDelay: 1 }, { EndpointName: name });
}

/** The asynchronous answer: whichever of the output and failure locations gets an object first. */
async function firstObject(locations: string[]): Promise<string> {
  for (let i = 0; i < 600; i++) {
    for (const at of locations) {
      const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(at)!;
      const got = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
      if (got) return `${at === locations[1] ? 'FAILED: ' : ''}${await got.Body!.transformToString()}`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no result at ${locations.join(' or ')}`);
}

const invoke = async (endpoint: string, body: string, accept?: string) => {
  const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'text/csv', Accept: accept, Body: Buffer.from(body) }));
  return { text: Buffer.from(out.Body!).toString(), contentType: out.ContentType };
};

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  await ensureBucket(c.s3, BUCKET);
  await upload(c.s3, BUCKET, 'churn/data.csv', mixedCsv(mixedRows(600, 41)));
  // Rows no candidate saw: the endpoint is scored on these.
  held = mixedRows(120, 42);
});

afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

describe('AutoML on mixed-type CSV (JS SDK v3)', () => {
  it('V1, no ProblemType: a string target is BinaryClassification; the best candidate takes raw rows with strings and answers with the original labels', async () => {
    const name = 'mixed-churn';
    await c.sagemaker.send(
      new CreateAutoMLJobCommand({
        AutoMLJobName: name,
        InputDataConfig: [{ TargetAttributeName: MIXED_TARGET, ContentType: 'text/csv;header=present', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/churn/` } } }],
        OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
        AutoMLJobConfig: { CompletionCriteria: { MaxCandidates: 2 } },
        RoleArn: ROLE,
      }),
    );
    const v2 = await waitJob(c.sagemaker, name);
    expect(v2.AutoMLJobStatus, v2.FailureReason).toBe('Completed');
    const d = await c.sagemaker.send(new DescribeAutoMLJobCommand({ AutoMLJobName: name }));
    expect(d.ResolvedAttributes).toMatchObject({ ProblemType: 'BinaryClassification', AutoMLJobObjective: { MetricName: 'F1' } });

    // The encoded training data: label index first, then age (1), plan one-hot (4), region one-hot (4),
    // note one-hot (the five phrases; the unique ticket notes fall under the frequency cap), spend (1).
    const train = await (await c.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `out/${name}/preprocessed-data/train/data.csv` }))).Body!.transformToString();
    const first = train.split('\n')[0].split(',').map(Number);
    expect(first).toHaveLength(1 + 1 + 4 + 4 + 5 + 1);
    expect(first.every(Number.isFinite)).toBe(true);

    const best = d.BestCandidate!;
    const containers = best.InferenceContainers!;
    expect(containers.map((x) => x.Environment!.AUTOML_TRANSFORM_MODE)).toEqual(['feature-transform', undefined, 'inverse-label-transform']);
    await deployContainers('mixed-churn', containers);

    // Raw rows, as in the data set less the target: numbers, strings, a quoted comma, empty cells.
    const body = mixedInferenceCsv(held);
    expect(body).toMatch(/,,/);
    expect(body).toContain('"late, again"');
    const { text, contentType } = await invoke('mixed-churn', body);
    expect(contentType).toBe('text/csv');
    const labels = text.trim().split('\n');
    expect(labels).toHaveLength(held.length);
    expect(new Set(labels)).toEqual(new Set(['yes', 'no']));
    const accuracy = labels.filter((l, i) => l === held[i].churn).length / held.length;
    // Without the plan column no model beats a threshold on age; with it, the label is nearly determined.
    const baseline = numericOnlyBaseline(held);
    expect(baseline).toBeLessThan(0.75);
    expect(accuracy).toBeGreaterThanOrEqual(0.88);
    expect(accuracy).toBeGreaterThan(baseline + 0.15);

    // Capacity mode (requests queue on the variant's instances): the same answers.
    await deployContainers('mixed-churn-capacity', [], 'mixed-churn', [{ Key: 'localsage:capacity-mode', Value: 'on' }]);
    expect((await invoke('mixed-churn-capacity', body)).text.trim().split('\n')).toEqual(labels);

    // Registered in the model registry and deployed from the package: the same pipeline.
    await c.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'mixed-churn' }));
    const pkg = await c.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: 'mixed-churn',
        ModelApprovalStatus: 'Approved',
        InferenceSpecification: { Containers: containers, SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
      }),
    );
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'mixed-churn-pkg', PrimaryContainer: { ModelPackageName: pkg.ModelPackageArn }, ExecutionRoleArn: ROLE }));
    await deployContainers('mixed-churn-pkg', [], 'mixed-churn-pkg');
    expect((await invoke('mixed-churn-pkg', body)).text.trim().split('\n')).toEqual(labels);

    // inference_response_keys as the SDKs set them: every key, as JSON.
    const keys = 'predicted_label,probability,probabilities,labels';
    const withKeys = containers.map((x, i) => (i === 2 ? { ...x, Environment: { ...x.Environment, SAGEMAKER_INFERENCE_INPUT: 'predicted_label,probability,probabilities', SAGEMAKER_INFERENCE_OUTPUT: keys } } : x));
    await deployContainers('mixed-churn-keys', withKeys);
    const json = await invoke('mixed-churn-keys', mixedInferenceCsv(held.slice(0, 10)), 'application/json');
    expect(json.contentType).toBe('application/json');
    const predictions = JSON.parse(json.text).predictions as { predicted_label: string; probability: number; probabilities: number[]; labels: string[] }[];
    expect(predictions).toHaveLength(10);
    for (const [i, p] of predictions.entries()) {
      expect(Object.keys(p)).toEqual(keys.split(','));
      expect(p.labels).toEqual(['no', 'yes']);
      expect(p.probabilities[0] + p.probabilities[1]).toBeCloseTo(1, 5);
      // Binary HPO models: probability is the positive (second) class's.
      expect(p.probability).toBeCloseTo(p.probabilities[1], 6);
      expect(p.predicted_label).toBe(labels[i]);
    }
    // CSV, as Autopilot writes lists: quoted, Python style.
    const csv = await invoke('mixed-churn-keys', mixedInferenceCsv(held.slice(0, 1)), 'text/csv');
    expect(csv.text).toMatch(/^(yes|no),[0-9.e-]+,"\[[0-9.e-]+, [0-9.e-]+\]","\['no', 'yes'\]"\n$/);

    // Batch transform with the candidate's model: the same raw rows, one answer line per row.
    await upload(c.s3, BUCKET, 'batch/rows.csv', mixedInferenceCsv(held) + '\n');
    await c.sagemaker.send(
      new CreateTransformJobCommand({
        TransformJobName: 'mixed-churn-batch',
        ModelName: 'mixed-churn',
        TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/batch/` } }, ContentType: 'text/csv', SplitType: 'Line' },
        TransformOutput: { S3OutputPath: `s3://${BUCKET}/batch-out/`, AssembleWith: 'Line', Accept: 'text/csv' },
        TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      }),
    );
    await waitUntilTransformJobCompletedOrStopped({ client: c.sagemaker, maxWaitTime: 180, minDelay: 1, maxDelay: 1 }, { TransformJobName: 'mixed-churn-batch' });
    const job = await c.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: 'mixed-churn-batch' }));
    expect(job.TransformJobStatus, job.FailureReason).toBe('Completed');
    const batch = await (await c.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'batch-out/rows.csv.out' }))).Body!.transformToString();
    expect(batch.trim().split('\n')).toEqual(labels);

    // Asynchronous inference: the endpoint's worker threads run the whole pipeline too.
    await c.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'mixed-churn-async',
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'mixed-churn', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
        AsyncInferenceConfig: { OutputConfig: { S3OutputPath: `s3://${BUCKET}/async-out`, S3FailurePath: `s3://${BUCKET}/async-fail` } },
      }),
    );
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'mixed-churn-async', EndpointConfigName: 'mixed-churn-async' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 180, minDelay: 1, maxDelay: 1 }, { EndpointName: 'mixed-churn-async' });
    const input = await upload(c.s3, BUCKET, 'async-in/rows.csv', mixedInferenceCsv(held.slice(0, 20)));
    const queued = await c.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'mixed-churn-async', InputLocation: input, ContentType: 'text/csv' }));
    expect((await firstObject([queued.OutputLocation!, queued.FailureLocation!])).trim().split('\n')).toEqual(labels.slice(0, 20));

    // The data processing container alone answers with the encoded features the algorithms trained on.
    await deployContainers('mixed-churn-features', [containers[0]]);
    const encoded = (await invoke('mixed-churn-features', mixedInferenceCsv(held.slice(0, 3)))).text.trim().split('\n');
    expect(encoded.map((l) => l.split(',').length)).toEqual([15, 15, 15]);
    expect(encoded.every((l) => l.split(',').every((v) => Number.isFinite(Number(v))))).toBe(true);

    // A row with the target column still in it is refused by the data processing container.
    const bad = await rejection(invoke('mixed-churn', 'x,40,basic,no,north,renewed early,12.5'));
    expect(bad.name).toBe('ModelError');
    expect(bad.OriginalStatusCode).toBe(400);
    expect(bad.message).toContain('row 1 has 7 columns, but the model expects 5 (age, plan, region, note, spend), without the target column');
    // The processing container reads CSV only; the inverse label transform answers CSV, JSON or JSON Lines.
    const jsonIn = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'mixed-churn', ContentType: 'application/json', Body: Buffer.from('{"instances":[]}') })));
    expect([jsonIn.name, jsonIn.OriginalStatusCode]).toEqual(['ModelError', 415]);
    const protobuf = await rejection(invoke('mixed-churn', mixedInferenceCsv(held.slice(0, 1)), 'application/x-recordio-protobuf'));
    expect([protobuf.name, protobuf.OriginalStatusCode]).toEqual(['ModelError', 406]);
  });

  it.skipIf(!XGBOOST)('the XGBoost candidate deploys as the same pipeline, its algorithm container in the middle', async () => {
    // XGBoost logs no F1 (the default objective for binary problems): rank by Accuracy, XGBoost only.
    await c.sagemaker.send(
      new CreateAutoMLJobV2Command({
        AutoMLJobName: 'mixed-churn-xgb',
        AutoMLJobInputDataConfig: [{ ChannelType: 'training', ContentType: 'text/csv;header=present', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/churn/` } } }],
        OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
        AutoMLProblemTypeConfig: {
          TabularJobConfig: {
            TargetAttributeName: MIXED_TARGET,
            ProblemType: 'BinaryClassification',
            CompletionCriteria: { MaxCandidates: 1 },
            CandidateGenerationConfig: { AlgorithmsConfig: [{ AutoMLAlgorithms: ['xgboost'] }] },
          },
        },
        AutoMLJobObjective: { MetricName: 'Accuracy' },
        RoleArn: ROLE,
      }),
    );
    const d = await waitJob(c.sagemaker, 'mixed-churn-xgb');
    expect(d.AutoMLJobStatus, d.FailureReason).toBe('Completed');
    const { Candidates } = await c.sagemaker.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: 'mixed-churn-xgb' }));
    const xgb = Candidates!.find((x) => x.InferenceContainers?.[1].Image?.includes('sagemaker-xgboost'));
    expect(xgb, 'an XGBoost candidate').toBeDefined();
    await deployContainers('mixed-churn-xgb', xgb!.InferenceContainers!);
    const labels = (await invoke('mixed-churn-xgb', mixedInferenceCsv(held))).text.trim().split('\n');
    expect(labels).toHaveLength(held.length);
    expect(labels.filter((l, i) => l === held[i].churn).length / held.length).toBeGreaterThanOrEqual(0.88);
  });

  it('ProblemType inference: three string classes are MulticlassClassification, many numeric values are Regression; both deploy on raw rows', async () => {
    const rows = mixedRows(500, 43);
    const tier = (r: MixedRow) => (r.plan === 'basic' ? 'bronze' : r.plan === 'enterprise' ? 'gold' : 'silver');
    // Regression: spend follows plan (a level per plan) and age.
    const level: Record<string, number> = { basic: 100, plus: 200, premium: 400, enterprise: 800 };
    const spend = (r: MixedRow) => (level[r.plan ?? 'plus'] + 2 * ((r.age ?? 40) - 40)).toFixed(2);
    const multi = ['age,plan,region,tier', ...rows.map((r) => `${r.age ?? ''},${r.plan ?? ''},${r.region},${tier(r)}`)].join('\n');
    const reg = ['plan,region,age,spend', ...rows.map((r) => `${r.plan ?? ''},${r.region},${r.age ?? ''},${spend(r)}`)].join('\n');
    await upload(c.s3, BUCKET, 'multi/data.csv', multi);
    await upload(c.s3, BUCKET, 'reg/data.csv', reg);
    const job = (name: string, prefix: string, target: string) =>
      c.sagemaker.send(
        new CreateAutoMLJobV2Command({
          AutoMLJobName: name,
          AutoMLJobInputDataConfig: [{ ChannelType: 'training', ContentType: 'text/csv;header=present', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/${prefix}/` } } }],
          OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
          AutoMLProblemTypeConfig: {
            TabularJobConfig: { TargetAttributeName: target, CompletionCriteria: { MaxCandidates: 1 }, CandidateGenerationConfig: { AlgorithmsConfig: [{ AutoMLAlgorithms: ['linear-learner'] }] } },
          },
          RoleArn: ROLE,
        }),
      );
    await job('mixed-multi', 'multi', 'tier');
    await job('mixed-reg', 'reg', 'spend');
    const m = await waitJob(c.sagemaker, 'mixed-multi');
    const r = await waitJob(c.sagemaker, 'mixed-reg');
    expect([m.AutoMLJobStatus, r.AutoMLJobStatus], `${m.FailureReason} ${r.FailureReason}`).toEqual(['Completed', 'Completed']);
    const resolved = (d: typeof m) => [d.ResolvedAttributes!.AutoMLProblemTypeResolvedAttributes!.TabularResolvedAttributes!.ProblemType, d.ResolvedAttributes!.AutoMLJobObjective!.MetricName];
    expect(resolved(m)).toEqual(['MulticlassClassification', 'Accuracy']);
    expect(resolved(r)).toEqual(['Regression', 'MSE']);
    // The classes are encoded in sorted order: bronze 0, gold 1, silver 2.
    const train = await (await c.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'out/mixed-multi/preprocessed-data/train/data.csv' }))).Body!.transformToString();
    expect(new Set(train.trim().split('\n').map((l) => l.split(',')[0]))).toEqual(new Set(['0', '1', '2']));

    const fresh = mixedRows(60, 44).filter((x) => x.plan !== undefined);
    // Multiclass: three containers; the original class names come back, with every class's probability.
    const mc = m.BestCandidate!.InferenceContainers!;
    expect(mc).toHaveLength(3);
    await deployContainers('mixed-multi', mc.map((x, i) => (i === 2 ? { ...x, Environment: { ...x.Environment, SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label,probabilities,labels' } } : x)));
    const raw = fresh.map((x) => `${x.age ?? ''},${x.plan},${x.region}`).join('\n');
    const answers = JSON.parse((await invoke('mixed-multi', raw, 'application/json')).text).predictions as { predicted_label: string; probabilities: number[]; labels: string[] }[];
    expect(answers[0].labels).toEqual(['bronze', 'gold', 'silver']);
    for (const a of answers) expect(a.probabilities.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 4);
    expect(answers.filter((a, i) => a.predicted_label === tier(fresh[i])).length / fresh.length).toBeGreaterThanOrEqual(0.9);

    // Regression: two containers (no label to invert); the algorithm answers in the request's Accept.
    const rc = r.BestCandidate!.InferenceContainers!;
    expect(rc.map((x) => x.Environment!.AUTOML_TRANSFORM_MODE)).toEqual(['feature-transform', undefined]);
    await deployContainers('mixed-reg', rc);
    const predicted = JSON.parse((await invoke('mixed-reg', fresh.map((x) => `${x.plan},${x.region},${x.age ?? ''}`).join('\n'), 'application/json')).text).predictions as { score: number }[];
    const errors = predicted.map((p, i) => Math.abs(p.score - Number(spend(fresh[i]))));
    // Spend ranges over about 100..800 by plan: the plan one-hot carries most of it.
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(60);
  });

  it('V2 with Parquet input: typed columns with nulls train the same way; the candidate still takes raw CSV rows', async () => {
    const rows = mixedRows(600, 41);
    const file = parquetWriteBuffer({
      columnData: [
        { name: 'age', data: rows.map((r) => r.age ?? null), type: 'DOUBLE' },
        { name: 'plan', data: rows.map((r) => r.plan ?? null), type: 'STRING' },
        { name: 'churn', data: rows.map((r) => r.churn), type: 'STRING' },
        { name: 'region', data: rows.map((r) => r.region), type: 'STRING' },
        { name: 'note', data: rows.map((r) => r.note), type: 'STRING' },
        { name: 'spend', data: rows.map((r) => r.spend), type: 'DOUBLE' },
      ],
    });
    await upload(c.s3, BUCKET, 'parquet/data.parquet', new Uint8Array(file));
    await c.sagemaker.send(
      new CreateAutoMLJobV2Command({
        AutoMLJobName: 'mixed-parquet',
        AutoMLJobInputDataConfig: [{ ChannelType: 'training', ContentType: 'x-application-vnd.amazon+parquet', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/parquet/` } } }],
        OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
        AutoMLProblemTypeConfig: {
          TabularJobConfig: { TargetAttributeName: MIXED_TARGET, CompletionCriteria: { MaxCandidates: 1 }, CandidateGenerationConfig: { AlgorithmsConfig: [{ AutoMLAlgorithms: ['linear-learner'] }] } },
        },
        RoleArn: ROLE,
      }),
    );
    const d = await waitJob(c.sagemaker, 'mixed-parquet');
    expect(d.AutoMLJobStatus, d.FailureReason).toBe('Completed');
    expect(d.ResolvedAttributes!.AutoMLProblemTypeResolvedAttributes!.TabularResolvedAttributes!.ProblemType).toBe('BinaryClassification');
    await deployContainers('mixed-parquet', d.BestCandidate!.InferenceContainers!);
    const labels = (await invoke('mixed-parquet', mixedInferenceCsv(held))).text.trim().split('\n');
    expect(labels.filter((l, i) => l === held[i].churn).length / held.length).toBeGreaterThanOrEqual(0.88);
  });

  it('free text: a column of unique several-word values gets TF-IDF features, so its words decide the label', async () => {
    const rows = reviewRows(500, 51);
    await upload(c.s3, BUCKET, 'reviews/data.csv', ['review,stars_shown,sentiment', ...rows.map((r) => `${r.review},${r.stars_shown},${r.sentiment}`)].join('\n'));
    await c.sagemaker.send(
      new CreateAutoMLJobV2Command({
        AutoMLJobName: 'mixed-reviews',
        AutoMLJobInputDataConfig: [{ ChannelType: 'training', ContentType: 'text/csv;header=present', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/reviews/` } } }],
        OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
        AutoMLProblemTypeConfig: {
          TabularJobConfig: { TargetAttributeName: 'sentiment', CompletionCriteria: { MaxCandidates: 1 }, CandidateGenerationConfig: { AlgorithmsConfig: [{ AutoMLAlgorithms: ['linear-learner'] }] } },
        },
        RoleArn: ROLE,
      }),
    );
    const d = await waitJob(c.sagemaker, 'mixed-reviews');
    expect(d.AutoMLJobStatus, d.FailureReason).toBe('Completed');
    await deployContainers('mixed-reviews', d.BestCandidate!.InferenceContainers!);
    const held = reviewRows(100, 52);
    // Every held-out review is new as a whole: read as categories, the column would carry nothing.
    const seen = new Set(rows.map((r) => r.review));
    expect(held.filter((r) => seen.has(r.review))).toHaveLength(0);
    const labels = (await invoke('mixed-reviews', held.map((r) => `${r.review},${r.stars_shown}`).join('\n'))).text.trim().split('\n');
    const majority = Math.max(...['positive', 'negative'].map((l) => held.filter((r) => r.sentiment === l).length)) / held.length;
    const accuracy = labels.filter((l, i) => l === held[i].sentiment).length / held.length;
    expect(majority).toBeLessThan(0.65);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
  });
});
