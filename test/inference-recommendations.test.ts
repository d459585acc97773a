import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import {
  CreateInferenceRecommendationsJobCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeInferenceRecommendationsJobCommand,
  ListInferenceRecommendationsJobsCommand,
  ListInferenceRecommendationsJobStepsCommand,
  StopInferenceRecommendationsJobCommand,
  type CreateInferenceRecommendationsJobCommandInput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE_TYPES } from '../core/instance-types.js';
import { frameworkPython } from '../emulator/containers/images.js';
import { clients, LINEAR_LEARNER_IMAGE, rejection, ROLE } from './helpers/clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, trainAndWait, trainBinaryOnSeparableData, upload } from './helpers/pipeline.js';

const BUCKET = 'recommender';
let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let modelData: string;

/** The sample payload archive Inference Recommender reads: a .tar.gz of request bodies. */
async function payloadArchive(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'STOPPED']);
async function waitJob(sm: SageMakerClient, name: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await sm.send(new DescribeInferenceRecommendationsJobCommand({ JobName: name }));
    if (TERMINAL.has(d.Status!)) return d;
    if (Date.now() > deadline) throw new Error(`${name} still ${d.Status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function request(name: string, input: CreateInferenceRecommendationsJobCommandInput['InputConfig']): CreateInferenceRecommendationsJobCommandInput {
  return { JobName: name, JobType: 'Default', RoleArn: ROLE, InputConfig: input };
}

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  const { job } = await trainBinaryOnSeparableData(c, { bucket: BUCKET, name: 'ir-train', rows: 200, features: 3, seed: 3 });
  modelData = job.ModelArtifacts!.S3ModelArtifacts!;
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'ir-model', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: modelData }, ExecutionRoleArn: ROLE }));
  await upload(c.s3, BUCKET, 'payload/payload.tar.gz', await payloadArchive({ 'a.csv': '0.5,1.0,-0.2\n1.5,-2.0,0.3', 'b.csv': '0.1,0.2,0.3' }));
  await upload(c.s3, BUCKET, 'payload/not-an-archive.csv', '1,2,3');
});

afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

describe('Inference Recommender through the JS SDK v3', () => {
  it('Default job on a model: measured latency, simulated throughput, and the profiles\' prices per instance type', async () => {
    const types = ['ml.m5.large', 'ml.t2.medium', 'ml.c5.2xlarge', 'ml.r5.large'];
    const created = await c.sagemaker.send(
      new CreateInferenceRecommendationsJobCommand({
        ...request('ir-default', {
          ModelName: 'ir-model',
          ContainerConfig: { PayloadConfig: { SamplePayloadUrl: `s3://${BUCKET}/payload/payload.tar.gz`, SupportedContentTypes: ['text/csv'] }, SupportedInstanceTypes: types },
        }),
        JobDescription: 'pick an instance',
      }),
    );
    expect(created.JobArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:inference-recommendations-job/ir-default');
    const d = await waitJob(c.sagemaker, 'ir-default');
    expect(d.Status, d.FailureReason).toBe('COMPLETED');
    expect(d.CompletionTime).toBeDefined();
    const recs = d.InferenceRecommendations!;
    // ml.r5.large has no instance profile: its benchmark fails, the others recommend.
    expect(recs.map((r) => r.EndpointConfiguration!.InstanceType)).toEqual(['ml.m5.large', 'ml.t2.medium', 'ml.c5.2xlarge']);
    const by = Object.fromEntries(recs.map((r) => [r.EndpointConfiguration!.InstanceType!, r.Metrics!]));
    for (const [type, m] of Object.entries(by)) {
      expect(m.CostPerHour).toBe(INSTANCE_TYPES[type].pricePerHour);
      expect(m.MaxInvocations).toBeGreaterThan(0);
      expect(m.CostPerInference).toBeCloseTo(m.CostPerHour! / (m.MaxInvocations! * 60), 12);
      expect(m.ModelLatency).toBeGreaterThanOrEqual(1);
    }
    // Same workers (2 vCPUs each), same simulated load test: same throughput, and the cheaper one costs less per inference.
    expect(by['ml.t2.medium'].MaxInvocations).toBe(by['ml.m5.large'].MaxInvocations);
    expect(by['ml.t2.medium'].CostPerInference!).toBeLessThan(by['ml.m5.large'].CostPerInference!);
    // Four times the workers: well over twice the throughput.
    expect(by['ml.c5.2xlarge'].MaxInvocations!).toBeGreaterThan(2 * by['ml.m5.large'].MaxInvocations!);

    const steps = await c.sagemaker.send(new ListInferenceRecommendationsJobStepsCommand({ JobName: 'ir-default' }));
    expect(steps.Steps!.map((s) => [s.StepType, s.Status, s.InferenceBenchmark!.EndpointConfiguration!.InstanceType])).toEqual([
      ['BENCHMARK', 'COMPLETED', 'ml.m5.large'],
      ['BENCHMARK', 'COMPLETED', 'ml.t2.medium'],
      ['BENCHMARK', 'COMPLETED', 'ml.c5.2xlarge'],
      ['BENCHMARK', 'FAILED', 'ml.r5.large'],
    ]);
    expect(steps.Steps![3].InferenceBenchmark!.FailureReason).toMatch(/^localsage has no instance profile for ml\.r5\.large/);
    expect(steps.Steps![0].InferenceBenchmark!.EndpointMetrics).toEqual({ MaxInvocations: by['ml.m5.large'].MaxInvocations, ModelLatency: by['ml.m5.large'].ModelLatency });
    const failed = await c.sagemaker.send(new ListInferenceRecommendationsJobStepsCommand({ JobName: 'ir-default', Status: 'FAILED' }));
    expect(failed.Steps).toHaveLength(1);

    const listed = await c.sagemaker.send(new ListInferenceRecommendationsJobsCommand({ ModelNameEquals: 'ir-model' }));
    expect(listed.InferenceRecommendationsJobs!.map((j) => [j.JobName, j.Status, j.JobDescription])).toEqual([['ir-default', 'COMPLETED', 'pick an instance']]);
  });

  it('Default job on a registered model package: its instance types, payload and content type', async () => {
    await c.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'ir-group' }));
    const pkg = await c.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: 'ir-group',
        SamplePayloadUrl: `s3://${BUCKET}/payload/payload.tar.gz`,
        InferenceSpecification: {
          Containers: [{ Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: modelData }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['application/json'],
          SupportedRealtimeInferenceInstanceTypes: ['ml.m5.xlarge'],
        },
      }),
    );
    await c.sagemaker.send(new CreateInferenceRecommendationsJobCommand(request('ir-package', { ModelPackageVersionArn: pkg.ModelPackageArn })));
    const d = await waitJob(c.sagemaker, 'ir-package');
    expect(d.Status, d.FailureReason).toBe('COMPLETED');
    expect(d.InferenceRecommendations!.map((r) => [r.EndpointConfiguration!.InstanceType, r.Metrics!.CostPerHour])).toEqual([['ml.m5.xlarge', INSTANCE_TYPES['ml.m5.xlarge'].pricePerHour]]);
  });

  it('a model served by a container process (the XGBoost algorithm) is measured through its worker', async (ctx) => {
    if (!existsSync(frameworkPython('xgboost'))) ctx.skip(); // needs `localsage frameworks install xgboost`
    const image = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
    const job = await trainAndWait(c.sagemaker, {
      name: 'ir-xgb',
      image,
      hyperParameters: { objective: 'binary:logistic', num_round: '10' },
      channels: [channel('train', `s3://${BUCKET}/train/`, 'text/csv')],
      output: `s3://${BUCKET}/out`,
    });
    expect(job.TrainingJobStatus, job.FailureReason).toBe('Completed');
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'ir-xgb', PrimaryContainer: { Image: image, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts }, ExecutionRoleArn: ROLE }));
    await c.sagemaker.send(
      new CreateInferenceRecommendationsJobCommand(
        request('ir-xgb', { ModelName: 'ir-xgb', ContainerConfig: { PayloadConfig: { SamplePayloadUrl: `s3://${BUCKET}/payload/payload.tar.gz`, SupportedContentTypes: ['text/csv'] }, SupportedInstanceTypes: ['ml.c5.xlarge'] } }),
      ),
    );
    const d = await waitJob(c.sagemaker, 'ir-xgb');
    expect(d.Status, d.FailureReason).toBe('COMPLETED');
    const m = d.InferenceRecommendations![0].Metrics!;
    expect(m.CostPerHour).toBe(INSTANCE_TYPES['ml.c5.xlarge'].pricePerHour);
    expect(m.MaxInvocations).toBeGreaterThan(0);
    expect(m.CostPerInference).toBeCloseTo(m.CostPerHour! / (m.MaxInvocations! * 60), 12);
  });

  it('errors, a payload it cannot read, and Stop', async () => {
    const missing = await rejection(c.sagemaker.send(new DescribeInferenceRecommendationsJobCommand({ JobName: 'nope' })));
    expect(missing.name).toBe('ResourceNotFound');
    expect(missing.message).toBe("Amazon SageMaker can't find an inference recommendations job called nope.");
    expect((await rejection(c.sagemaker.send(new CreateInferenceRecommendationsJobCommand(request('ir-default', { ModelName: 'ir-model' }))))).name).toBe('ResourceInUse');
    const none = await rejection(c.sagemaker.send(new CreateInferenceRecommendationsJobCommand(request('ir-none', {}))));
    expect(none.name).toBe('ValidationException');
    expect((await rejection(c.sagemaker.send(new StopInferenceRecommendationsJobCommand({ JobName: 'ir-default' })))).name).toBe('ValidationException');

    await c.sagemaker.send(new CreateInferenceRecommendationsJobCommand(request('ir-bad-payload', { ModelName: 'ir-model', ContainerConfig: { PayloadConfig: { SamplePayloadUrl: `s3://${BUCKET}/payload/not-an-archive.csv` } } })));
    const bad = await waitJob(c.sagemaker, 'ir-bad-payload');
    expect(bad.Status).toBe('FAILED');
    expect(bad.FailureReason).toBe(`ClientError: The sample payload s3://${BUCKET}/payload/not-an-archive.csv is not a gzip-compressed tar archive (.tar.gz).`);

    await c.sagemaker.send(new CreateInferenceRecommendationsJobCommand(request('ir-stopped', { ModelName: 'ir-model', ContainerConfig: { PayloadConfig: { SamplePayloadUrl: `s3://${BUCKET}/payload/payload.tar.gz` } } })));
    await c.sagemaker.send(new StopInferenceRecommendationsJobCommand({ JobName: 'ir-stopped' }));
    const stopped = await waitJob(c.sagemaker, 'ir-stopped');
    expect(stopped.Status).toBe('STOPPED');
    expect(stopped.InferenceRecommendations).toBeUndefined();
  });
});
