/**
 * Bring your own model without Docker: an image mapped to a local command that implements the
 * SageMaker container contract (train / serve, /ping, /invocations), driven through the AWS SDK
 * for JavaScript v3; images localsage cannot run are refused at CreateModel / CreateTrainingJob.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DeleteInferenceComponentCommand,
  DescribeInferenceComponentCommand,
  DescribeTrainingJobCommand,
  StopTrainingJobCommand,
  waitUntilEndpointInService,
  type CreateTrainingJobCommandInput,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { alive } from './helpers/processes.js';

const CUSTOM_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:latest';
const SKLEARN_IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
const CONTRACT = resolve(import.meta.dirname, 'fixtures/byom/contract-container.mjs');

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let logs: CloudWatchLogsClient;
const tmp = mkdtempSync(join(tmpdir(), 'localsage-byom-'));

beforeAll(async () => {
  const config = join(tmp, 'images.json');
  writeFileSync(config, JSON.stringify({ images: [{ image: '123456789012.dkr.ecr.*.amazonaws.com/my-model:*', command: [process.execPath, CONTRACT] }] }));
  // An empty framework home and Docker off: only what the image config maps can run.
  emu = await startEmulatorProcess({ args: ['--image-config', config], env: { LOCALSAGE_FRAMEWORK_HOME: join(tmp, 'no-frameworks'), LOCALSAGE_DOCKER: '0' } });
  c = clients(emu.url);
  logs = new CloudWatchLogsClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await c.s3.send(new CreateBucketCommand({ Bucket: 'byom' }));
  await c.s3.send(new PutObjectCommand({ Bucket: 'byom', Key: 'train/values.csv', Body: '1\n2\n3\n6\n' }));
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function jobInput(name: string, hyperParameters: Record<string, string>, extra: Partial<CreateTrainingJobCommandInput> = {}): CreateTrainingJobCommandInput {
  return {
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: CUSTOM_IMAGE, TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'train:mean', Regex: 'train_mean=([0-9.]+)' }] },
    RoleArn: ROLE,
    HyperParameters: hyperParameters,
    InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://byom/train/' } } }],
    OutputDataConfig: { S3OutputPath: 's3://byom/out' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    ...extra,
  };
}

async function waitForJob(name: string, done = ['Completed', 'Failed', 'Stopped']) {
  for (;;) {
    const job = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    if (done.includes(job.TrainingJobStatus!)) return job;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('images localsage cannot run', () => {
  it('are refused at CreateTrainingJob and CreateModel, saying what to configure', async () => {
    const unknown = await c.sagemaker.send(new CreateTrainingJobCommand({ ...jobInput('nope', {}), AlgorithmSpecification: { TrainingImage: '999999999999.dkr.ecr.us-east-1.amazonaws.com/other:1', TrainingInputMode: 'File' } })).catch((e) => e);
    expect(unknown.name).toBe('ValidationException');
    expect(unknown.message).toContain('image config');
    const sklearn = await c.sagemaker.send(new CreateModelCommand({ ModelName: 'sk', ExecutionRoleArn: ROLE, PrimaryContainer: { Image: SKLEARN_IMAGE, ModelDataUrl: 's3://byom/x.tar.gz' } })).catch((e) => e);
    expect(sklearn.name).toBe('ValidationException');
    expect(sklearn.message).toContain('localsage frameworks install sklearn');
  });
});

describe('an image mapped to a local command', () => {
  let modelUrl: string;

  it('trains: /opt/ml tree, hyperparameters, logs, metrics, model.tar.gz of the model dir', async () => {
    await c.sagemaker.send(new CreateTrainingJobCommand(jobInput('contract-train', { scale: '2' })));
    const job = await waitForJob('contract-train');
    expect(job.TrainingJobStatus, job.FailureReason).toBe('Completed');
    expect(job.FinalMetricDataList?.find((m) => m.MetricName === 'train:mean')?.Value).toBe(3);
    modelUrl = job.ModelArtifacts!.S3ModelArtifacts!;
    const key = modelUrl.replace('s3://byom/', '');
    const obj = await c.s3.send(new GetObjectCommand({ Bucket: 'byom', Key: key }));
    const tarBytes = gunzipSync(Buffer.from(await obj.Body!.transformToByteArray()));
    // A ustar member named model.json holding what the container wrote.
    expect(tarBytes.subarray(0, 10).toString()).toBe('model.json');
    expect(tarBytes.toString('latin1')).toContain('"mean":3,"scale":2,"host":"algo-1"');
    const events = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamNamePrefix: 'contract-train/' }));
    expect(events.events!.map((e) => e.message)).toContain('rows=4');
  });

  it('a failing container: the failure file becomes FailureReason', async () => {
    await c.sagemaker.send(new CreateTrainingJobCommand(jobInput('contract-fail', { fail: 'no good' })));
    const job = await waitForJob('contract-fail');
    expect(job.TrainingJobStatus).toBe('Failed');
    expect(job.FailureReason).toBe('AlgorithmError: ValueError: no good');
  });

  async function readPids(path: string): Promise<number[] | undefined> {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as number[];
    } catch {
      return undefined;
    }
  }

  it('Stop ends the whole process group', async () => {
    const pids = join(tmp, 'stop.pids');
    await c.sagemaker.send(new CreateTrainingJobCommand(jobInput('contract-stop', { hang: pids })));
    let started: number[] | undefined;
    while (!(started = await readPids(pids))) await new Promise((r) => setTimeout(r, 200));
    expect(started.every(alive)).toBe(true);
    await c.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'contract-stop' }));
    const job = await waitForJob('contract-stop');
    expect([job.TrainingJobStatus, job.SecondaryStatus]).toEqual(['Stopped', 'Stopped']);
    // The script and the process it spawned are both gone.
    while (started.some(alive)) await new Promise((r) => setTimeout(r, 200));
    expect(started.filter(alive)).toEqual([]);
  });

  it('MaxRuntimeInSeconds ends the job and its process group', async () => {
    const pids = join(tmp, 'maxrt.pids');
    await c.sagemaker.send(new CreateTrainingJobCommand(jobInput('contract-maxrt', { hang: pids }, { StoppingCondition: { MaxRuntimeInSeconds: 5 } })));
    const job = await waitForJob('contract-maxrt');
    expect([job.TrainingJobStatus, job.SecondaryStatus]).toEqual(['Stopped', 'MaxRuntimeExceeded']);
    // On a loaded machine the limit may strike before the script wrote its pids; when it did, they are gone.
    const started = (await readPids(pids)) ?? [];
    while (started.some(alive)) await new Promise((r) => setTimeout(r, 200));
    expect(started.filter(alive)).toEqual([]);
  });

  it('serves: /ping, /invocations, the container status as ModelError, a crashed worker restarted', async () => {
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'contract', ExecutionRoleArn: ROLE, PrimaryContainer: { Image: CUSTOM_IMAGE, ModelDataUrl: modelUrl } }));
    await c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'contract', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'contract', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }] }));
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'contract', EndpointConfigName: 'contract' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'contract' });
    const invoke = (body: string) => c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'contract', Body: Buffer.from(body), ContentType: 'text/plain' }));
    const ok = await invoke('5');
    expect(JSON.parse(Buffer.from(ok.Body!).toString())).toEqual({ prediction: 30 });

    const bad = await invoke('abc').catch((e) => e);
    expect(bad.name).toBe('ModelError');
    expect(bad.$metadata.httpStatusCode).toBe(424);
    expect(bad.OriginalStatusCode).toBe(400);
    expect(bad.OriginalMessage).toBe('not a number: abc');

    const crashed = await invoke('crash').catch((e) => e);
    expect(crashed.name).toBe('ModelError');
    // The supervisor restarts the worker; requests succeed again once it is back.
    let again;
    while (!again) again = await invoke('1').catch(() => undefined);
    expect(JSON.parse(Buffer.from(again.Body!).toString())).toEqual({ prediction: 6 });
    const events = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/sagemaker/Endpoints/contract' }));
    const messages = events.events!.map((e) => e.message);
    expect(messages).toContain('crashing as asked');
    expect(messages.some((m) => m!.includes('the model worker exited with code 3; restarting it'))).toBe(true);
  });

  it('serves as an inference component given by its Container (Image, ArtifactUrl)', async () => {
    await c.sagemaker.send(
      new CreateEndpointConfigCommand({ EndpointConfigName: 'contract-ic', ExecutionRoleArn: ROLE, ProductionVariants: [{ VariantName: 'AllTraffic', InitialInstanceCount: 1, InstanceType: 'ml.m5.xlarge' }] }),
    );
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'contract-ic', EndpointConfigName: 'contract-ic' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'contract-ic' });
    await c.sagemaker.send(
      new CreateInferenceComponentCommand({
        InferenceComponentName: 'contract-comp',
        EndpointName: 'contract-ic',
        Specification: { Container: { Image: CUSTOM_IMAGE, ArtifactUrl: modelUrl }, ComputeResourceRequirements: { NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 512 } },
        RuntimeConfig: { CopyCount: 1 },
      }),
    );
    const describe = () => c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'contract-comp' }));
    let ic = await describe();
    while (ic.InferenceComponentStatus === 'Creating') {
      await new Promise((r) => setTimeout(r, 100));
      ic = await describe();
    }
    expect([ic.InferenceComponentStatus, ic.Specification?.Container?.DeployedImage?.SpecifiedImage, ic.Specification?.Container?.ArtifactUrl]).toEqual(['InService', CUSTOM_IMAGE, modelUrl]);
    const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'contract-ic', InferenceComponentName: 'contract-comp', Body: Buffer.from('5'), ContentType: 'text/plain' }));
    expect(JSON.parse(Buffer.from(out.Body!).toString())).toEqual({ prediction: 30 });
    await c.sagemaker.send(new DeleteInferenceComponentCommand({ InferenceComponentName: 'contract-comp' }));
    const gone = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'contract-ic', InferenceComponentName: 'contract-comp', Body: Buffer.from('5'), ContentType: 'text/plain' })).catch((e) => e);
    expect(gone.name).toBe('ValidationError');
  });
});

const docker = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' });
const dockerUp = docker.status === 0 && docker.stdout.trim() !== '';
describe('Docker', () => {
  it.skipIf(!dockerUp)('runs a user image as SageMaker does (train, serve on 8080)', () => {
    // Needs a daemon and an image to pull; this machine has neither (see README, Bring your own model).
    expect(dockerUp).toBe(true);
  });
  if (!dockerUp) it('SKIPPED: no Docker daemon answers here; the Docker path of the container contract is not exercised', () => {});
});
