import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteEndpointCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTrainingJobCommand,
  ListModelsCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  paginateListModels,
  StopTrainingJobCommand,
  waitUntilEndpointDeleted,
  waitUntilEndpointInService,
  waitUntilTrainingJobCompletedOrStopped,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE, rejection } from './helpers/clients.js';
import { separableBinary, toCsv } from './helpers/data.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, deploy, ensureBucket, trainAndWait, upload } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
const BUCKET = 'control-plane';
let modelUrl: string;

beforeAll(async () => {
  // Docker off, so that an unknown image is refused even where a daemon runs.
  emu = await startEmulatorProcess({ env: { LOCALSAGE_DOCKER: '0' } });
  c = clients(emu.url);
  await ensureBucket(c.s3, BUCKET);
  const data = separableBinary(400, 3, 5);
  const uri = await upload(c.s3, BUCKET, 'train/data.csv', toCsv(data.x, data.y));
  const job = await trainAndWait(c.sagemaker, {
    name: 'base-job',
    image: LINEAR_LEARNER_IMAGE,
    hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '3', epochs: '3', num_models: '2' },
    channels: [channel('train', uri, 'text/csv')],
    output: `s3://${BUCKET}/out`,
  });
  expect(job.TrainingJobStatus).toBe('Completed');
  modelUrl = job.ModelArtifacts!.S3ModelArtifacts!;
});
afterAll(async () => {
  await emu?.stop();
});

function trainingRequest(name: string, extra: Record<string, unknown> = {}) {
  return {
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: LINEAR_LEARNER_IMAGE, TrainingInputMode: 'File' as const },
    RoleArn: ROLE,
    InputDataConfig: [channel('train', `s3://${BUCKET}/train/`, 'text/csv')],
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/out` },
    ResourceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    HyperParameters: { predictor_type: 'binary_classifier', feature_dim: '3' },
    ...extra,
  };
}

describe('errors as AWS returns them', () => {
  it('Describe* of missing resources is a ValidationException with the real message', async () => {
    const t = await rejection(c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'nope' })));
    expect(t.name).toBe('ValidationException');
    expect(t.message).toBe('Requested resource not found.');
    expect(t.$metadata.httpStatusCode).toBe(400);
    const e = await rejection(c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'Missing-EP' })));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toBe('Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/missing-ep".');
    const m = await rejection(c.sagemaker.send(new DescribeModelCommand({ ModelName: 'nomodel' })));
    expect(m.message).toBe('Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/nomodel".');
    const ec = await rejection(c.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'nocfg' })));
    expect(ec.message).toBe('Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/nocfg".');
  });

  it('constraint violations come from the service model', async () => {
    const e = await rejection(c.sagemaker.send(new CreateTrainingJobCommand(trainingRequest('bad_name!'))));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toBe(
      "1 validation error detected: Value 'bad_name!' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    );
    const two = await rejection(
      c.sagemaker.send(
        new CreateTrainingJobCommand(
          trainingRequest('ok-name', { ResourceConfig: { InstanceType: 'ml.fake.huge' as any, InstanceCount: 1, VolumeSizeInGB: 10 }, StoppingCondition: { MaxRuntimeInSeconds: 0 } }),
        ),
      ),
    );
    expect(two.message).toMatch(/^2 validation errors detected: /);
    expect(two.message).toContain("at 'resourceConfig.instanceType' failed to satisfy constraint: Member must satisfy enum value set: [");
    expect(two.message).toContain("Value '0' at 'stoppingCondition.maxRuntimeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 1");
    const list = await rejection(c.sagemaker.send(new ListModelsCommand({ MaxResults: 101 })));
    expect(list.message).toContain('Member must have value less than or equal to 100');
  });

  it('an unknown training image is refused', async () => {
    const e = await rejection(
      c.sagemaker.send(new CreateTrainingJobCommand(trainingRequest('img-job', { AlgorithmSpecification: { TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1', TrainingInputMode: 'File' } }))),
    );
    expect(e.name).toBe('ValidationException');
    // A well-formed image localsage cannot run: the message says what to configure.
    expect(e.message).toContain('maps it to no local command');
    const malformed = await rejection(
      c.sagemaker.send(new CreateTrainingJobCommand(trainingRequest('img-job', { AlgorithmSpecification: { TrainingImage: 'not an image!', TrainingInputMode: 'File' } }))),
    );
    expect(malformed.message).toBe('Invalid training image. Please provide a valid Amazon Elastic Container Registry path of the Docker image to run.');
  });

  it('duplicate names: ResourceInUse for jobs, ValidationException for endpoints', async () => {
    const e = await rejection(c.sagemaker.send(new CreateTrainingJobCommand(trainingRequest('BASE-JOB'))));
    expect(e.name).toBe('ResourceInUse');
    expect(e.message).toBe(
      'Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:us-east-1:000000000000:training-job/base-job)',
    );
    await deploy(c.sagemaker, 'Dup-EP', LINEAR_LEARNER_IMAGE, modelUrl);
    const d = await rejection(c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'Dup-EP', EndpointConfigName: 'Dup-EP' })));
    expect(d.name).toBe('ValidationException');
    expect(d.message).toBe('Cannot create already existing endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/dup-ep".');
  });

  it('an unknown operation and a malformed body get AWS errors, not crashes', async () => {
    const unknown = await fetch(emu.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'SageMaker.DoesNotExist', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).__type).toBe('UnknownOperationException');
    const bad = await fetch(emu.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'SageMaker.DescribeEndpoint', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{"EndpointName": ',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).__type).toBe('SerializationException');
    const wrongType = await fetch(emu.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'SageMaker.ListModels', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{"MaxResults": "ten"}',
    });
    expect(wrongType.status).toBe(400);
    expect((await wrongType.json()).__type).toBe('SerializationException');
  });

  it('a bad hyperparameter fails the job with a reason naming it', async () => {
    const job = await trainAndWait(c.sagemaker, {
      name: 'bad-hp',
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '3', mini_batch_siz: '10' },
      channels: [channel('train', `s3://${BUCKET}/train/`, 'text/csv')],
      output: `s3://${BUCKET}/out`,
    });
    expect(job.TrainingJobStatus).toBe('Failed');
    expect(job.FailureReason).toMatch(/^ClientError: /);
    expect(job.FailureReason).toContain('mini_batch_siz');
    expect(job.SecondaryStatus).toBe('Failed');
  });

  it('a channel with no data fails the job as a ClientError', async () => {
    const job = await trainAndWait(c.sagemaker, {
      name: 'no-data',
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '3' },
      channels: [channel('train', `s3://${BUCKET}/nothing-here/`, 'text/csv')],
      output: `s3://${BUCKET}/out`,
    });
    expect(job.TrainingJobStatus).toBe('Failed');
    expect(job.FailureReason).toMatch(/^ClientError: No S3 objects found under S3 URL/);
  });
});

describe('runtime errors', () => {
  it('missing endpoint, oversized payload, malformed payload, unknown variant', async () => {
    const missing = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'ghost', Body: Buffer.from('1,2,3'), ContentType: 'text/csv' })));
    expect(missing.name).toBe('ValidationError');
    expect(missing.$metadata.httpStatusCode).toBe(400);
    expect(missing.message).toBe('Endpoint ghost of account 000000000000 not found.');

    await deploy(c.sagemaker, 'rt-errors', LINEAR_LEARNER_IMAGE, modelUrl);
    const big = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'rt-errors', Body: Buffer.alloc(6 * 1024 * 1024 + 1, 0x31), ContentType: 'text/csv' })));
    expect(big.name).toBe('ValidationError');
    expect(big.$metadata.httpStatusCode).toBe(400);

    const malformed = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'rt-errors', Body: Buffer.from('a,b,c'), ContentType: 'text/csv' })));
    expect(malformed.name).toBe('ModelError');
    expect(malformed.$metadata.httpStatusCode).toBe(424);
    expect(malformed.OriginalStatusCode).toBe(400);
    expect(malformed.message).toMatch(/^Received client error \(400\) from primary with message "/);

    const variant = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'rt-errors', Body: Buffer.from('1,2,3'), ContentType: 'text/csv', TargetVariant: 'Nope' })));
    expect(variant.name).toBe('ValidationError');

    const ok = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'rt-errors', Body: Buffer.from('1,2,3'), ContentType: 'text/csv', TargetVariant: 'AllTraffic' }));
    expect(ok.InvokedProductionVariant).toBe('AllTraffic');
  });

  it('an endpoint that is not InService is not found by the runtime, and a missing artifact fails it', async () => {
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'no-artifact', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: `s3://${BUCKET}/missing/model.tar.gz` }, ExecutionRoleArn: ROLE }));
    await c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'no-artifact', ProductionVariants: [{ VariantName: 'v1', ModelName: 'no-artifact', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }] }));
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'no-artifact', EndpointConfigName: 'no-artifact' }));
    const creating = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'no-artifact' }));
    // Creating lasts the fast profile's 300 ms; a loaded machine may answer after it ended Failed.
    // Never InService.
    expect(['Creating', 'Failed']).toContain(creating.EndpointStatus);
    const early = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'no-artifact', Body: Buffer.from('1,2,3'), ContentType: 'text/csv' })));
    expect(early.name).toBe('ValidationError');
    const waited = await rejection(waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { EndpointName: 'no-artifact' }));
    expect(waited.name).toBe('Error'); // the waiter's failure acceptor fired on Failed
    const failed = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'no-artifact' }));
    expect(failed.EndpointStatus).toBe('Failed');
    expect(failed.FailureReason).toContain(`s3://${BUCKET}/missing/model.tar.gz`);
    await c.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'no-artifact' }));
    await waitUntilEndpointDeleted({ client: c.sagemaker, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { EndpointName: 'no-artifact' });
  });
});

describe('training job lifecycle', () => {
  it('StopTrainingJob ends in Stopped, MaxRuntimeInSeconds in MaxRuntimeExceeded', async () => {
    const big = separableBinary(20000, 10, 9);
    await upload(c.s3, BUCKET, 'big/data.csv', toCsv(big.x, big.y));
    const slow = { predictor_type: 'binary_classifier', feature_dim: '10', epochs: '500', mini_batch_size: '10', early_stopping_patience: '1000' };
    await c.sagemaker.send(new CreateTrainingJobCommand(trainingRequest('to-stop', { HyperParameters: slow, InputDataConfig: [channel('train', `s3://${BUCKET}/big/`, 'text/csv')] })));
    // Wait for it to be training, then stop it.
    for (let i = 0; i < 100; i++) {
      const d = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'to-stop' }));
      if (d.SecondaryStatus === 'Training') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await c.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'to-stop' }));
    await waitUntilTrainingJobCompletedOrStopped({ client: c.sagemaker, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { TrainingJobName: 'to-stop' });
    const stopped = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'to-stop' }));
    expect(stopped.TrainingJobStatus).toBe('Stopped');
    expect(stopped.SecondaryStatus).toBe('Stopped');
    expect(stopped.SecondaryStatusTransitions!.map((t) => t.Status)).toContain('Stopping');
    const again = await rejection(c.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'to-stop' })));
    expect(again.name).toBe('ValidationException');

    await c.sagemaker.send(
      new CreateTrainingJobCommand(trainingRequest('too-long', { HyperParameters: slow, StoppingCondition: { MaxRuntimeInSeconds: 2 }, InputDataConfig: [channel('train', `s3://${BUCKET}/big/`, 'text/csv')] })),
    );
    await waitUntilTrainingJobCompletedOrStopped({ client: c.sagemaker, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { TrainingJobName: 'too-long' });
    const timedOut = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'too-long' }));
    expect(timedOut.TrainingJobStatus).toBe('Stopped');
    expect(timedOut.SecondaryStatus).toBe('MaxRuntimeExceeded');
  });
});

describe('listing, pagination and tags', () => {
  it('pages through ListModels with NextToken and the SDK paginator', async () => {
    for (let i = 0; i < 23; i++) {
      await c.sagemaker.send(new CreateModelCommand({ ModelName: `page-model-${String(i).padStart(2, '0')}`, PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: modelUrl }, ExecutionRoleArn: ROLE }));
    }
    const first = await c.sagemaker.send(new ListModelsCommand({ NameContains: 'page-model', MaxResults: 10, SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(first.Models!.map((m) => m.ModelName)).toEqual(Array.from({ length: 10 }, (_, i) => `page-model-${String(i).padStart(2, '0')}`));
    expect(first.NextToken).toBeTruthy();
    const names: string[] = [];
    for await (const page of paginateListModels({ client: c.sagemaker, pageSize: 7 }, { NameContains: 'page-model', SortBy: 'CreationTime', SortOrder: 'Descending' })) {
      names.push(...page.Models!.map((m) => m.ModelName!));
    }
    expect(names).toHaveLength(23);
    expect(names[0]).toBe('page-model-22');
    const last = await c.sagemaker.send(new ListModelsCommand({ NameContains: 'page-model', MaxResults: 23 }));
    expect(last.NextToken).toBeUndefined();
    const bad = await rejection(c.sagemaker.send(new ListModelsCommand({ NextToken: 'garbage!' })));
    expect(bad.name).toBe('ValidationException');
  });

  it('filters training jobs by status and name', async () => {
    const completed = await c.sagemaker.send(new ListTrainingJobsCommand({ StatusEquals: 'Completed' }));
    expect(completed.TrainingJobSummaries!.map((j) => j.TrainingJobName)).toContain('base-job');
    expect(completed.TrainingJobSummaries!.every((j) => j.TrainingJobStatus === 'Completed')).toBe(true);
    const named = await c.sagemaker.send(new ListTrainingJobsCommand({ NameContains: 'bad-hp' }));
    expect(named.TrainingJobSummaries!.map((j) => j.TrainingJobName)).toEqual(['bad-hp']);
  });

  it('adds, lists and deletes tags', async () => {
    const arn = (await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'base-job' }))).TrainingJobArn!;
    await c.sagemaker.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'team', Value: 'ml' }, { Key: 'env', Value: 'test' }] }));
    expect((await c.sagemaker.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'team', Value: 'ml' }, { Key: 'env', Value: 'test' }]);
    await c.sagemaker.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ['team'] }));
    expect((await c.sagemaker.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'env', Value: 'test' }]);
  });
});

describe('STS', () => {
  it('GetCallerIdentity takes the account from a 12-digit access key', async () => {
    const plain = await c.sts.send(new GetCallerIdentityCommand({}));
    expect(plain.Account).toBe('000000000000');
    const other = clients(emu.url, { accessKeyId: '111122223333' });
    const id = await other.sts.send(new GetCallerIdentityCommand({}));
    expect(id.Account).toBe('111122223333');
    expect(id.Arn).toBe('arn:aws:iam::111122223333:root');
    // Resources are per account: the other account sees none of ours.
    expect((await other.sagemaker.send(new ListModelsCommand({}))).Models).toEqual([]);
  });

  it('IAM answers like an account where every role exists and may do everything', async () => {
    const iam = new IAMClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: '111122223333', secretAccessKey: 'x' }, maxAttempts: 1 });
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'SageMakerRole' }));
    expect(Role!.Arn).toBe('arn:aws:iam::111122223333:role/SageMakerRole');
    const trust = JSON.parse(decodeURIComponent(Role!.AssumeRolePolicyDocument!));
    expect(trust.Statement[0].Principal.Service).toBe('sagemaker.amazonaws.com');
    const sim = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: Role!.Arn, ActionNames: ['s3:PutObject', 'sagemaker:CreateTrainingJob'] }));
    expect(sim.EvaluationResults!.map((r) => [r.EvalActionName, r.EvalDecision])).toEqual([
      ['s3:PutObject', 'allowed'],
      ['sagemaker:CreateTrainingJob', 'allowed'],
    ]);
  });
});
