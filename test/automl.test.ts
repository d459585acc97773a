import { existsSync } from 'node:fs';
import {
  CreateAutoMLJobCommand,
  CreateAutoMLJobV2Command,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeAutoMLJobCommand,
  DescribeAutoMLJobV2Command,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  ListAutoMLJobsCommand,
  ListCandidatesForAutoMLJobCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  StopAutoMLJobCommand,
  waitUntilEndpointInService,
  type CreateAutoMLJobV2CommandInput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameworkPython } from '../emulator/containers/images.js';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { linearRegression, separableBinary } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { ensureBucket, upload } from './helpers/pipeline.js';

const BUCKET = 'automl';
const XGBOOST = existsSync(frameworkPython('xgboost'));
let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let binary: ReturnType<typeof separableBinary>;

/** AutoML's input: a CSV with a header row, the target in any column (here the last). */
function headerCsv(x: number[][], y: (number | string)[], target = 'label'): string {
  const header = [...x[0].map((_, i) => `f${i + 1}`), target].join(',');
  return [header, ...x.map((row, i) => [...row.map((v) => v.toFixed(5)), y[i]].join(','))].join('\n') + '\n';
}

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

/** Polls DescribeAutoMLJobV2 until the job ends; returns the end state and the secondary statuses seen. */
async function waitV2(sm: SageMakerClient, name: string, timeoutMs = 240_000) {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await sm.send(new DescribeAutoMLJobV2Command({ AutoMLJobName: name }));
    if (seen[seen.length - 1] !== d.AutoMLJobSecondaryStatus) seen.push(d.AutoMLJobSecondaryStatus!);
    if (TERMINAL.has(d.AutoMLJobStatus!)) return { d, seen };
    if (Date.now() > deadline) throw new Error(`AutoML job ${name} still ${d.AutoMLJobStatus}/${d.AutoMLJobSecondaryStatus}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function v2Request(name: string, overrides: Partial<CreateAutoMLJobV2CommandInput> = {}, tabular: Record<string, unknown> = {}): CreateAutoMLJobV2CommandInput {
  return {
    AutoMLJobName: name,
    AutoMLJobInputDataConfig: [{ ChannelType: 'training', ContentType: 'text/csv;header=present', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/binary/` } } }],
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
    AutoMLProblemTypeConfig: { TabularJobConfig: { TargetAttributeName: 'label', ProblemType: 'BinaryClassification', CompletionCriteria: { MaxCandidates: 3 }, ...tabular } },
    AutoMLJobObjective: { MetricName: 'Accuracy' },
    RoleArn: ROLE,
    ...overrides,
  };
}

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  await ensureBucket(c.s3, BUCKET);
  // AutoML's documented minimum: 500 training rows.
  binary = separableBinary(500, 3, 11);
  // One label in twelve flipped: candidates then differ in validation accuracy.
  const noisy = binary.y.map((y, i) => (i % 12 === 5 ? 1 - y : y));
  await upload(c.s3, BUCKET, 'binary/data.csv', headerCsv(binary.x, noisy));
  // Big enough that candidates are still training when the Stop test stops the job.
  const big = separableBinary(2000, 3, 12);
  await upload(c.s3, BUCKET, 'big/data.csv', headerCsv(big.x, big.y));
  const reg = linearRegression(500, 2, 4);
  await upload(c.s3, BUCKET, 'regression/data.csv', headerCsv(reg.x, reg.y, 'price'));
});

afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

describe('AutoML through the JS SDK v3', () => {
  it('V2 tabular: trains real candidates, ranks them on the validation split, and the best one deploys and predicts', async () => {
    const name = 'automl-binary';
    const created = await c.sagemaker.send(new CreateAutoMLJobV2Command({ ...v2Request(name), Tags: [{ Key: 'team', Value: 'ml' }] }));
    expect(created.AutoMLJobArn).toBe(`arn:aws:sagemaker:us-east-1:000000000000:automl-job/${name}`);
    const { d, seen } = await waitV2(c.sagemaker, name);
    expect(d.AutoMLJobStatus, d.FailureReason).toBe('Completed');
    // Every status seen comes in AWS's order (polling may miss short ones).
    const order = ['Starting', 'AnalyzingData', 'FeatureEngineering', 'ModelTuning', 'MaxCandidatesReached', 'Completed'];
    expect(seen.map((s) => order.indexOf(s))).toEqual([...seen.map((s) => order.indexOf(s))].sort((a, b) => a - b));
    expect(seen).not.toContain(-1);
    expect(d.AutoMLJobSecondaryStatus).toBe('MaxCandidatesReached');
    expect(d.AutoMLProblemTypeConfigName).toBe('Tabular');
    expect(d.ResolvedAttributes!.AutoMLProblemTypeResolvedAttributes!.TabularResolvedAttributes!.ProblemType).toBe('BinaryClassification');
    expect(d.ResolvedAttributes!.AutoMLJobObjective!.MetricName).toBe('Accuracy');

    const { Candidates } = await c.sagemaker.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: name, SortBy: 'FinalObjectiveMetricValue', SortOrder: 'Descending' }));
    expect(Candidates).toHaveLength(3);
    const values = Candidates!.map((x) => x.FinalAutoMLJobObjectiveMetric!.Value!);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    // Among equal values the earliest candidate is the best, and the list keeps creation order among equals.
    expect(d.BestCandidate!.CandidateName).toBe(Candidates![0].CandidateName);
    expect(d.BestCandidate!.FinalAutoMLJobObjectiveMetric).toEqual({ Type: 'Maximize', MetricName: 'Accuracy', Value: values[0], StandardMetricName: 'Accuracy' });

    // Each candidate is a real training job; its objective is the validation metric it logged.
    for (const cand of Candidates!) {
      expect(cand.CandidateStatus).toBe('Completed');
      expect(cand.ObjectiveStatus).toBe('Succeeded');
      const step = cand.CandidateSteps![0];
      expect(step.CandidateStepType).toBe('AWS::SageMaker::TrainingJob');
      const job = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: step.CandidateStepName! }));
      expect(job.TrainingJobArn).toBe(step.CandidateStepArn);
      expect(job.AutoMLJobArn).toBe(created.AutoMLJobArn);
      expect(job.TrainingJobStatus).toBe('Completed');
      const metric = (n: string) => job.FinalMetricDataList!.find((m) => m.MetricName === n)?.Value;
      const expected = job.AlgorithmSpecification!.TrainingImage!.includes('xgboost') ? 1 - metric('validation:error')! : metric('validation:binary_classification_accuracy')!;
      expect(cand.FinalAutoMLJobObjectiveMetric!.Value).toBeCloseTo(expected, 6);
      expect(cand.CandidateProperties!.CandidateMetrics!.find((m) => m.MetricName === 'Accuracy')).toMatchObject({ Set: 'Validation', Value: cand.FinalAutoMLJobObjectiveMetric!.Value });
      // Autopilot's HPO shape for classification: data processing, the algorithm, the inverse label transform.
      const [processing, algorithm, inverse] = cand.InferenceContainers!;
      expect(cand.InferenceContainers).toHaveLength(3);
      expect(algorithm.ModelDataUrl).toBe(job.ModelArtifacts!.S3ModelArtifacts);
      expect(algorithm.Image).toBe(job.AlgorithmSpecification!.TrainingImage);
      expect(processing.Image).toMatch(/\/sagemaker-sklearn-automl:/);
      expect(processing.Environment!.AUTOML_TRANSFORM_MODE).toBe('feature-transform');
      expect(inverse.ModelDataUrl).toBe(processing.ModelDataUrl);
      expect(inverse.Environment).toMatchObject({ AUTOML_TRANSFORM_MODE: 'inverse-label-transform', SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label' });
    }
    expect(new Set(Candidates!.map((x) => x.CandidateSteps![0].CandidateStepName!.split('-').at(-3))).size).toBe(XGBOOST ? 2 : 1);
    // AWS lists AutoML's training jobs with everyone else's.
    const listed = await c.sagemaker.send(new ListTrainingJobsCommand({ NameContains: name, MaxResults: 100 }));
    expect(listed.TrainingJobSummaries!.map((s) => s.TrainingJobName).sort()).toEqual(Candidates!.map((x) => x.CandidateName).sort());
    expect((await c.sagemaker.send(new ListTagsCommand({ ResourceArn: created.AutoMLJobArn }))).Tags).toEqual([{ Key: 'team', Value: 'ml' }]);

    // The best candidate's containers become a model that serves real predictions.
    const best = d.BestCandidate!;
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'automl-best', Containers: best.InferenceContainers, ExecutionRoleArn: ROLE }));
    await c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'automl-best', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'automl-best', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }] }));
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'automl-best', EndpointConfigName: 'automl-best' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'automl-best' });
    const rows = binary.x.slice(0, 40);
    // The pipeline answers with the original labels, one per line (text/csv, predicted_label by default).
    const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'automl-best', ContentType: 'text/csv', Body: Buffer.from(rows.map((r) => r.map((v) => v.toFixed(5)).join(',')).join('\n')) }));
    expect(out.ContentType).toBe('text/csv');
    const labels = Buffer.from(out.Body!).toString().trim().split('\n').map(Number);
    expect(labels).toHaveLength(40);
    const accuracy = labels.filter((l, i) => l === binary.y[i]).length / 40;
    expect(accuracy).toBeGreaterThanOrEqual(0.8);
  });

  it('V1 regression: the problem type and objective (MSE) are inferred, and Describe answers in both APIs', async () => {
    const name = 'automl-regression';
    await c.sagemaker.send(
      new CreateAutoMLJobCommand({
        AutoMLJobName: name,
        InputDataConfig: [{ TargetAttributeName: 'price', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/regression/data.csv` } } }],
        OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
        AutoMLJobConfig: { CompletionCriteria: { MaxCandidates: 4 }, CandidateGenerationConfig: { AlgorithmsConfig: [{ AutoMLAlgorithms: ['linear-learner'] }] } },
        RoleArn: ROLE,
      }),
    );
    const { d: v2 } = await waitV2(c.sagemaker, name);
    expect(v2.AutoMLJobStatus, v2.FailureReason).toBe('Completed');
    expect(v2.AutoMLJobSecondaryStatus).toBe('MaxCandidatesReached');
    const d = await c.sagemaker.send(new DescribeAutoMLJobCommand({ AutoMLJobName: name }));
    expect(d.ProblemType).toBe('Regression');
    expect(d.ResolvedAttributes).toMatchObject({ ProblemType: 'Regression', AutoMLJobObjective: { MetricName: 'MSE' }, CompletionCriteria: { MaxCandidates: 4 } });
    expect(d.InputDataConfig![0].TargetAttributeName).toBe('price');
    const { Candidates } = await c.sagemaker.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: name }));
    expect(Candidates!.map((x) => x.CandidateName)).toEqual([1, 2, 3, 4].map((n) => expect.stringMatching(new RegExp(`^${name}-ll-00${n}-[0-9a-f]{8}$`))));
    // Different configurations, different fits: the best is the one with the lowest MSE.
    const mse = Candidates!.map((x) => x.FinalAutoMLJobObjectiveMetric!.Value!);
    expect(new Set(mse).size).toBeGreaterThan(1);
    const best = d.BestCandidate!;
    expect(best.CandidateName).toBe(Candidates![mse.indexOf(Math.min(...mse))].CandidateName);
    // The fourth follows the Bayesian search over Linear Learner's space, past the three fixed starting points.
    const hps = await Promise.all(Candidates!.map(async (x) => (await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: x.CandidateName! }))).HyperParameters!));
    const tuned = (h: Record<string, string>) => [h.learning_rate, h.wd, h.l1, h.mini_batch_size].join();
    expect(new Set(hps.map(tuned)).size).toBe(4);
    expect(Number(hps[3].learning_rate)).toBeGreaterThanOrEqual(0.001);
    expect(Number(hps[3].learning_rate)).toBeLessThanOrEqual(1);
    expect(Number.isInteger(Number(hps[3].mini_batch_size))).toBe(true);
    expect(hps[3].predictor_type).toBe('regressor');
    const metrics = Object.fromEntries(best.CandidateProperties!.CandidateMetrics!.map((m) => [m.MetricName, m.Value!]));
    // A noiseless linear target: a linear model explains almost all of it.
    expect(metrics.R2).toBeGreaterThan(0.9);
    expect(metrics.RMSE).toBeCloseTo(Math.sqrt(metrics.MSE), 4);
    expect(best.FinalAutoMLJobObjectiveMetric).toMatchObject({ MetricName: 'MSE', Type: 'Minimize', Value: metrics.MSE });
    const all = await c.sagemaker.send(new ListAutoMLJobsCommand({ NameContains: 'automl-', SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(all.AutoMLJobSummaries!.map((s) => s.AutoMLJobName)).toEqual(['automl-binary', 'automl-regression']);
  });

  it('Stop: the running candidates are stopped and the job ends Stopped', async () => {
    const name = 'automl-stopped';
    const req = v2Request(name);
    req.AutoMLJobInputDataConfig![0].DataSource!.S3DataSource!.S3Uri = `s3://${BUCKET}/big/`;
    await c.sagemaker.send(new CreateAutoMLJobV2Command(req));
    // Stop once candidates are training.
    while ((await c.sagemaker.send(new DescribeAutoMLJobV2Command({ AutoMLJobName: name }))).AutoMLJobSecondaryStatus !== 'ModelTuning') await new Promise((r) => setTimeout(r, 20));
    await c.sagemaker.send(new StopAutoMLJobCommand({ AutoMLJobName: name }));
    const stopping = await c.sagemaker.send(new DescribeAutoMLJobV2Command({ AutoMLJobName: name }));
    expect(['Stopping', 'Stopped']).toContain(stopping.AutoMLJobStatus);
    const { d } = await waitV2(c.sagemaker, name);
    expect(d.AutoMLJobStatus).toBe('Stopped');
    expect(d.AutoMLJobSecondaryStatus).toBe('Stopped');
    expect(d.EndTime).toBeDefined();
    const { Candidates } = await c.sagemaker.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: name }));
    expect(Candidates!.length).toBeGreaterThan(0);
    for (const cand of Candidates!) expect(['Stopped', 'Completed']).toContain(cand.CandidateStatus);
    expect(Candidates!.some((x) => x.CandidateStatus === 'Stopped')).toBe(true);
    const again = await rejection(c.sagemaker.send(new StopAutoMLJobCommand({ AutoMLJobName: name })));
    expect(again.name).toBe('ValidationException');
  });

  it('MaxAutoMLJobRuntimeInSeconds: the job ends when its time is up, its running candidates stopped', async () => {
    const req = v2Request('automl-timed', {}, { CompletionCriteria: { MaxCandidates: 50, MaxAutoMLJobRuntimeInSeconds: 2 } });
    req.AutoMLJobInputDataConfig![0].DataSource!.S3DataSource!.S3Uri = `s3://${BUCKET}/big/`;
    await c.sagemaker.send(new CreateAutoMLJobV2Command(req));
    const { d } = await waitV2(c.sagemaker, 'automl-timed');
    const { Candidates } = await c.sagemaker.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: 'automl-timed', MaxResults: 100 }));
    expect(Candidates!.length).toBeLessThan(50);
    for (const cand of Candidates!) expect(['Completed', 'Stopped']).toContain(cand.CandidateStatus);
    // Completed with the best of what finished in time, or Failed when nothing did.
    if (Candidates!.some((x) => x.CandidateStatus === 'Completed')) {
      expect([d.AutoMLJobStatus, d.AutoMLJobSecondaryStatus]).toEqual(['Completed', 'MaxAutoMLJobRuntimeReached']);
      expect(d.BestCandidate!.CandidateStatus).toBe('Completed');
    } else {
      expect(d.AutoMLJobStatus).toBe('Failed');
      expect(d.FailureReason).toBe('The AutoML job reached MaxAutoMLJobRuntimeInSeconds before any candidate completed.');
    }
  });

  it('a validation channel replaces the split: its rows, encoded with the training channel\'s classes', async () => {
    const held = separableBinary(8, 3, 99);
    await upload(c.s3, BUCKET, 'held-out/data.csv', headerCsv(held.x, held.y.map((y) => (y ? 'yes' : 'no'))));
    await upload(c.s3, BUCKET, 'words/data.csv', headerCsv(binary.x, binary.y.map((y) => (y ? 'yes' : 'no'))));
    const req = v2Request('automl-channels', {}, { CompletionCriteria: { MaxCandidates: 1 } });
    req.AutoMLJobInputDataConfig = [
      { ChannelType: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/words/` } } },
      { ChannelType: 'validation', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/held-out/` } } },
    ];
    await c.sagemaker.send(new CreateAutoMLJobV2Command(req));
    const { d } = await waitV2(c.sagemaker, 'automl-channels');
    expect(d.AutoMLJobStatus, d.FailureReason).toBe('Completed');
    const validation = await (await c.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'out/automl-channels/preprocessed-data/validation/data.csv' }))).Body!.transformToString();
    // "no" is class 0 and "yes" class 1, in the training channel's (sorted) order.
    expect(validation.trim().split('\n').map((r) => Number(r.split(',')[0]))).toEqual(held.y);
  });

  it('ModelDeployConfig: the best candidate is deployed (DeployingModel) and its endpoint answers', async () => {
    const both = await rejection(c.sagemaker.send(new CreateAutoMLJobV2Command(v2Request('automl-deploy-bad', { ModelDeployConfig: { AutoGenerateEndpointName: true, EndpointName: 'x' } }))));
    expect(both.name).toBe('ValidationException');
    expect(both.message).toBe('Specify EndpointName only when AutoGenerateEndpointName is False.');

    const req = v2Request('automl-deploy', { ModelDeployConfig: { AutoGenerateEndpointName: true } }, { CompletionCriteria: { MaxCandidates: 1 } });
    await c.sagemaker.send(new CreateAutoMLJobV2Command(req));
    const { d, seen } = await waitV2(c.sagemaker, 'automl-deploy');
    expect([d.AutoMLJobStatus, d.AutoMLJobSecondaryStatus], JSON.stringify(d.PartialFailureReasons)).toEqual(['Completed', 'Completed']);
    expect(seen).toContain('DeployingModel');
    const endpoint = d.ModelDeployResult!.EndpointName!;
    expect(endpoint).toMatch(/^automl-deploy-[0-9a-f]{8}$/);
    expect(d.ModelDeployConfig).toEqual({ AutoGenerateEndpointName: true });
    const ep = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(ep.EndpointStatus).toBe('InService');
    const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: 'text/csv', Accept: 'application/json', Body: Buffer.from(binary.x.slice(0, 5).map((r) => r.join(',')).join('\n')) }));
    const predictions = JSON.parse(Buffer.from(out.Body!).toString()).predictions as { predicted_label: string }[];
    expect(predictions).toHaveLength(5);
    expect(predictions.every((p) => p.predicted_label === '0' || p.predicted_label === '1')).toBe(true);
  });

  it('GenerateCandidateDefinitionsOnly: the data is analysed and prepared, no candidate trains', async () => {
    await c.sagemaker.send(new CreateAutoMLJobV2Command(v2Request('automl-defs', {}, { GenerateCandidateDefinitionsOnly: true })));
    const { d } = await waitV2(c.sagemaker, 'automl-defs');
    expect([d.AutoMLJobStatus, d.AutoMLJobSecondaryStatus]).toEqual(['Completed', 'CandidateDefinitionsGenerated']);
    expect(d.BestCandidate).toBeUndefined();
    expect((await c.sagemaker.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: 'automl-defs' }))).Candidates).toEqual([]);
    // The split the candidates would train on: label first, no header, 20 % of the 500 rows held out.
    const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'out/automl-defs/preprocessed-data/' }));
    expect(listed.Contents!.map((o) => o.Key).sort()).toEqual(['out/automl-defs/preprocessed-data/train/data.csv', 'out/automl-defs/preprocessed-data/validation/data.csv']);
    const validation = await (await c.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'out/automl-defs/preprocessed-data/validation/data.csv' }))).Body!.transformToString();
    const rows = validation.trim().split('\n');
    expect(rows).toHaveLength(100);
    expect(rows.every((r) => /^[01],/.test(r) && r.split(',').length === 4)).toBe(true);
  });

  it('bad input: exact errors, and data it cannot use fails the job with the reason', async () => {
    const missing = await rejection(c.sagemaker.send(new DescribeAutoMLJobV2Command({ AutoMLJobName: 'nope' })));
    expect(missing.name).toBe('ResourceNotFound');
    expect(missing.message).toBe("Amazon SageMaker can't find an AutoML job called nope.");
    expect(missing.$metadata.httpStatusCode).toBe(400);
    expect((await rejection(c.sagemaker.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: 'nope' })))).name).toBe('ResourceNotFound');
    const wrongMetric = await rejection(c.sagemaker.send(new CreateAutoMLJobV2Command(v2Request('automl-mse', { AutoMLJobObjective: { MetricName: 'MSE' } }))));
    expect(wrongMetric.name).toBe('ValidationException');
    expect(wrongMetric.message).toBe('The objective metric MSE is not valid for problem type BinaryClassification.');
    const taken = await rejection(c.sagemaker.send(new CreateAutoMLJobV2Command(v2Request('automl-binary'))));
    expect(taken.name).toBe('ResourceInUse');
    const half = await rejection(c.sagemaker.send(new CreateAutoMLJobV2Command(v2Request('automl-half', { AutoMLJobObjective: undefined }))));
    expect(half.name).toBe('ValidationException');
    expect(half.message).toBe('You must either provide both the AutoMLJobObjective and the ProblemType, or none at all.');

    const small = separableBinary(40, 3, 5);
    await upload(c.s3, BUCKET, 'small/data.csv', headerCsv(small.x, small.y));
    const tooSmall = v2Request('automl-small');
    tooSmall.AutoMLJobInputDataConfig![0].DataSource!.S3DataSource!.S3Uri = `s3://${BUCKET}/small/`;
    await c.sagemaker.send(new CreateAutoMLJobV2Command(tooSmall));
    expect((await waitV2(c.sagemaker, 'automl-small')).d.FailureReason).toBe('ClientError: The training data has 40 rows; AutoML needs at least 500.');

    await c.sagemaker.send(new CreateAutoMLJobV2Command(v2Request('automl-no-target', {}, { TargetAttributeName: 'churn' })));
    const { d } = await waitV2(c.sagemaker, 'automl-no-target');
    expect(d.AutoMLJobStatus).toBe('Failed');
    expect(d.AutoMLJobSecondaryStatus).toBe('Failed');
    expect(d.FailureReason).toBe('ClientError: The target attribute churn is not a column of the input data (columns: f1, f2, f3, label).');
    expect(d.BestCandidate).toBeUndefined();

    // Problem types and formats localsage has no models or readers for: accepted as on AWS, then Failed with the reason.
    await c.sagemaker.send(new CreateAutoMLJobV2Command(v2Request('automl-images', { AutoMLProblemTypeConfig: { ImageClassificationJobConfig: {} }, AutoMLJobObjective: undefined })));
    const images = (await waitV2(c.sagemaker, 'automl-images')).d;
    expect(images.AutoMLJobStatus).toBe('Failed');
    expect(images.AutoMLProblemTypeConfigName).toBe('ImageClassification');
    expect(images.FailureReason).toBe('localsage runs tabular AutoML only (TabularJobConfig), not ImageClassification: it has no models for that problem type.');
    const parquet = v2Request('automl-parquet');
    parquet.AutoMLJobInputDataConfig![0].ContentType = 'x-application-vnd.amazon+parquet';
    await c.sagemaker.send(new CreateAutoMLJobV2Command(parquet));
    const p = (await waitV2(c.sagemaker, 'automl-parquet')).d;
    // CSV objects announced as Parquet: the job fails reading them.
    expect(p.FailureReason).toMatch(/^ClientError: Input file 1 is not a Parquet file localsage can read: /);
    const recordio = v2Request('automl-recordio');
    recordio.AutoMLJobInputDataConfig![0].ContentType = 'application/x-recordio-protobuf';
    await c.sagemaker.send(new CreateAutoMLJobV2Command(recordio));
    expect((await waitV2(c.sagemaker, 'automl-recordio')).d.FailureReason).toBe('ClientError: localsage reads CSV with a header row and Parquet only, not application/x-recordio-protobuf.');
  });
});
