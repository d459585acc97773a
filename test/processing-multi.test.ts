/**
 * Processing jobs beyond one instance and File/EndOfJob, through the AWS SDK for JavaScript v3:
 * InstanceCount N runs N instances (algo-1..algo-N) each with its own tree, resourceconfig.json and
 * log stream; ShardedByS3Key splits an input's objects between them and FullyReplicated gives
 * each all; every instance's outputs land under the same S3 prefix; one failing instance fails the
 * job and ends the others; Stop ends them all; Continuous outputs reach S3 while the job runs; a
 * Docker-only image runs with `docker run` (a stand-in docker CLI where no daemon answers); and
 * the inputs localsage cannot serve are refused at create time.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateProcessingJobCommand, DescribeProcessingJobCommand, StopProcessingJobCommand, type CreateProcessingJobCommandInput } from '@aws-sdk/client-sagemaker';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { alive } from './helpers/processes.js';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-processor:latest';
const DOCKER_IMAGE = 'localhost:5000/docker-processor:1';
const UNMAPPED_IMAGE = '999999999999.dkr.ecr.us-east-1.amazonaws.com/only-docker:1';
const CONTAINER = resolve(import.meta.dirname, 'fixtures/processing/container.mjs');
const FAKE_DOCKER = resolve(import.meta.dirname, 'fixtures/processing/fake-docker');
const PARTS = ['part-0.csv', 'part-1.csv', 'part-2.csv', 'part-3.csv', 'part-4.csv'];

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let logs: CloudWatchLogsClient;
const tmp = mkdtempSync(join(tmpdir(), 'localsage-processing-multi-'));
const dockerLog = join(tmp, 'docker-runs.jsonl');

beforeAll(async () => {
  const config = join(tmp, 'images.json');
  writeFileSync(config, JSON.stringify({ images: [{ image: '123456789012.dkr.ecr.*.amazonaws.com/my-processor:*', command: [process.execPath, CONTAINER] }, { image: DOCKER_IMAGE, docker: true }] }));
  appendFileSync(dockerLog, '');
  emu = await startEmulatorProcess({
    args: ['--image-config', config],
    // The stand-in docker CLI first on PATH, and a DOCKER_HOST so that localsage asks it whether a daemon answers.
    env: { LOCALSAGE_FRAMEWORK_HOME: join(tmp, 'no-frameworks'), DOCKER_HOST: `unix://${join(tmp, 'docker.sock')}`, PATH: `${FAKE_DOCKER}:${process.env.PATH}`, FAKE_DOCKER_LOG: dockerLog, LOCALSAGE_DOCKER: '' },
  });
  c = clients(emu.url);
  logs = new CloudWatchLogsClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await c.s3.send(new CreateBucketCommand({ Bucket: 'multi' }));
  for (const [i, p] of PARTS.entries()) await c.s3.send(new PutObjectCommand({ Bucket: 'multi', Key: `shards/${p}`, Body: `${i}\n` }));
  await c.s3.send(new PutObjectCommand({ Bucket: 'multi', Key: 'ref/lookup.csv', Body: '100\n' }));
  await c.s3.send(new PutObjectCommand({ Bucket: 'multi', Key: 'raw/a.csv', Body: '1\n2\n' }));
  await c.s3.send(new PutObjectCommand({ Bucket: 'multi', Key: 'raw/sub/b.csv', Body: '10\n' }));
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function job(name: string, instances: number, args: string[], extra: Partial<CreateProcessingJobCommandInput> = {}): CreateProcessingJobCommandInput {
  return {
    ProcessingJobName: name,
    RoleArn: ROLE,
    AppSpecification: { ImageUri: IMAGE, ContainerArguments: args },
    ProcessingResources: { ClusterConfig: { InstanceCount: instances, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 } },
    ProcessingInputs: [
      { InputName: 'shards', S3Input: { S3Uri: 's3://multi/shards', LocalPath: '/opt/ml/processing/input/shards', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'ShardedByS3Key' } },
      { InputName: 'ref', S3Input: { S3Uri: 's3://multi/ref/', LocalPath: '/opt/ml/processing/input/ref', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' } },
    ],
    ProcessingOutputConfig: { Outputs: [{ OutputName: 'result', S3Output: { S3Uri: `s3://multi/out/${name}`, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    ...extra,
  };
}

async function waitForJob(name: string) {
  for (;;) {
    const j = await c.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
    if (['Completed', 'Failed', 'Stopped'].includes(j.ProcessingJobStatus!)) return j;
    await new Promise((r) => setTimeout(r, 300));
  }
}

const text = async (key: string) => (await (await c.s3.send(new GetObjectCommand({ Bucket: 'multi', Key: key }))).Body!.transformToString());
const keys = async (prefix: string) => ((await c.s3.send(new ListObjectsV2Command({ Bucket: 'multi', Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();

describe('processing jobs on several instances', () => {
  it('shard ShardedByS3Key inputs between the instances, replicate the others, and upload every instance under one prefix', async () => {
    await c.sagemaker.send(new CreateProcessingJobCommand(job('shard-job', 3, ['shard', '/opt/ml/processing/input', '/opt/ml/processing/output'])));
    const done = await waitForJob('shard-job');
    expect([done.ProcessingJobStatus, done.FailureReason]).toEqual(['Completed', undefined]);
    expect(await keys('out/shard-job/')).toEqual(['out/shard-job/algo-1.json', 'out/shard-job/algo-2.json', 'out/shard-job/algo-3.json', 'out/shard-job/common.txt']);
    const hosts = ['algo-1', 'algo-2', 'algo-3'];
    const seen: string[] = [];
    for (const [h, host] of hosts.entries()) {
      const report = JSON.parse(await text(`out/shard-job/${host}.json`));
      expect(report.host).toBe(host);
      expect(report.hosts).toEqual(hosts);
      expect(report.downloadModes).toEqual(['StartOfJob', 'StartOfJob']);
      // Every third object in key order, starting at the host's own index; the replicated input whole.
      const shard = PARTS.filter((_, i) => i % hosts.length === h).map((p) => `shards/${p}`);
      expect(report.files).toEqual(['ref/lookup.csv', ...shard]);
      seen.push(...shard);
    }
    expect(seen.sort()).toEqual(PARTS.map((p) => `shards/${p}`));
    expect(hosts).toContain(await text('out/shard-job/common.txt'));

    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/sagemaker/ProcessingJobs', logStreamNamePrefix: 'shard-job/' }));
    const names = streams.logStreams!.map((s) => s.logStreamName!).sort();
    expect(names).toHaveLength(3);
    names.forEach((n, i) => expect(n).toMatch(new RegExp(`^shard-job/algo-${i + 1}-\\d+$`)));
    for (const n of names) {
      const events = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/sagemaker/ProcessingJobs', logStreamName: n, startFromHead: true }));
      expect(events.events!.map((e) => e.message)).toContain('processing mode=shard greeting=');
    }
  });

  it('fail with the first failing instance’s reason and end the others', async () => {
    const pids = join(tmp, 'fail-pids');
    mkdirSync(pids);
    await c.sagemaker.send(new CreateProcessingJobCommand(job('fail-one', 3, ['fail-on', 'algo-2', pids])));
    const done = await waitForJob('fail-one');
    expect([done.ProcessingJobStatus, done.FailureReason]).toEqual(['Failed', 'ClientError: algo-2 could not read its shard']);
    // The others may not have started their script yet when algo-2 failed; those that did are gone.
    for (const f of readdirSync(pids)) {
      const pid = Number(readFileSync(join(pids, f), 'utf8'));
      while (alive(pid)) await new Promise((r) => setTimeout(r, 200));
      expect(alive(pid)).toBe(false);
    }
  });

  it('fail as a ClientError when an input has no objects, before any instance runs', async () => {
    const input = job('empty-input', 2, ['shard', '/opt/ml/processing/input', '/opt/ml/processing/output']);
    input.ProcessingInputs![0].S3Input!.S3Uri = 's3://multi/nothing-here';
    await c.sagemaker.send(new CreateProcessingJobCommand(input));
    const done = await waitForJob('empty-input');
    expect([done.ProcessingJobStatus, done.FailureReason]).toEqual(['Failed', 'ClientError: No S3 objects found under S3 URL "s3://multi/nothing-here" given in input data source.']);
    expect(await keys('out/empty-input/')).toEqual([]);
  });

  it('stop ends every instance’s process group', async () => {
    const pids = join(tmp, 'stop-pids');
    mkdirSync(pids);
    await c.sagemaker.send(new CreateProcessingJobCommand(job('stop-two', 2, ['fail-on', 'none', pids])));
    while (readdirSync(pids).length < 2) await new Promise((r) => setTimeout(r, 200));
    const running = readdirSync(pids).map((f) => Number(readFileSync(join(pids, f), 'utf8')));
    expect(running.every(alive)).toBe(true);
    await c.sagemaker.send(new StopProcessingJobCommand({ ProcessingJobName: 'stop-two' }));
    expect((await waitForJob('stop-two')).ProcessingJobStatus).toBe('Stopped');
    for (const pid of running) while (alive(pid)) await new Promise((r) => setTimeout(r, 200));
    expect(running.some(alive)).toBe(false);
  });
});

describe('processing outputs uploaded continuously', () => {
  it('upload a Continuous output’s files while the job runs, an EndOfJob output only at the end', async () => {
    const go = join(tmp, 'continuous-go');
    await c.sagemaker.send(
      new CreateProcessingJobCommand(
        job('live-job', 1, ['continuous', '/opt/ml/processing/live', go], {
          ProcessingInputs: [],
          ProcessingOutputConfig: {
            Outputs: [
              { OutputName: 'live', S3Output: { S3Uri: 's3://multi/live/', LocalPath: '/opt/ml/processing/live', S3UploadMode: 'Continuous' } },
              { OutputName: 'final', S3Output: { S3Uri: 's3://multi/final', LocalPath: '/opt/ml/processing/final', S3UploadMode: 'EndOfJob' } },
            ],
          },
        }),
      ),
    );
    // The script waits for the go file, so the job is still running when first.txt reaches S3.
    while (!(await keys('live/')).includes('live/first.txt')) await new Promise((r) => setTimeout(r, 300));
    expect((await c.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: 'live-job' }))).ProcessingJobStatus).toBe('InProgress');
    expect(await text('live/first.txt')).toBe('written while running');
    expect(await keys('final/')).toEqual([]);
    writeFileSync(go, '');
    const done = await waitForJob('live-job');
    expect([done.ProcessingJobStatus, done.FailureReason]).toEqual(['Completed', undefined]);
    expect(done.ProcessingOutputConfig!.Outputs!.map((o) => o.S3Output!.S3UploadMode)).toEqual(['Continuous', 'EndOfJob']);
    expect(await keys('live/')).toEqual(['live/first.txt', 'live/second.txt']);
    expect(await text('live/second.txt')).toBe('written at the end');
    expect(await text('final/eoj.txt')).toBe('kept until the end');
  });
});

describe('processing images run by Docker', () => {
  const runs = () => readFileSync(dockerLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
  const sumJob = (name: string, image: string, instances: number): CreateProcessingJobCommandInput => ({
    ...job(name, instances, ['sum', '/opt/ml/processing/input/data', '/opt/ml/processing/output'], {
      AppSpecification: { ImageUri: image, ContainerEntrypoint: [process.execPath, CONTAINER], ContainerArguments: ['sum', '/opt/ml/processing/input/data', '/opt/ml/processing/output'] },
      Environment: { GREETING: 'hello' },
      ProcessingInputs: [{ InputName: 'data', S3Input: { S3Uri: 's3://multi/raw', LocalPath: '/opt/ml/processing/input/data', S3DataType: 'S3Prefix', S3InputMode: 'File' } }],
    }),
  });

  it('run an image the image config sends to Docker with `docker run`, its tree mounted at /opt/ml', async () => {
    const before = runs().length;
    await c.sagemaker.send(new CreateProcessingJobCommand(sumJob('docker-job', DOCKER_IMAGE, 2)));
    const done = await waitForJob('docker-job');
    // Each instance wrote /opt/ml/output/message: AWS concatenates them.
    expect([done.ProcessingJobStatus, done.FailureReason, done.ExitMessage]).toEqual(['Completed', undefined, 'summedsummed']);
    expect(await text('out/docker-job/sum.txt')).toBe('13');
    const mine = runs().slice(before);
    expect(mine).toHaveLength(2);
    const mounts = mine.map((argv) => argv[argv.indexOf('-v') + 1]);
    for (const [i, argv] of mine.entries()) {
      expect(argv.slice(0, 3)).toEqual(['run', '--rm', '--init']);
      expect(mounts[i]).toMatch(/\/algo-[12]:\/opt\/ml$/);
      // The job's ContainerEntrypoint replaces the image's; arguments keep their /opt/ml paths.
      expect(argv.slice(argv.indexOf('--entrypoint'))).toEqual(['--entrypoint', process.execPath, DOCKER_IMAGE, CONTAINER, 'sum', '/opt/ml/processing/input/data', '/opt/ml/processing/output']);
      const env = argv.flatMap((a, j) => (argv[j - 1] === '-e' ? [a] : []));
      expect(env).toEqual(['GREETING=hello']);
    }
    expect(new Set(mounts).size).toBe(2);
  });

  it('run an image nothing maps with Docker where a daemon answers', async () => {
    const before = runs().length;
    await c.sagemaker.send(new CreateProcessingJobCommand(sumJob('docker-auto', UNMAPPED_IMAGE, 1)));
    const done = await waitForJob('docker-auto');
    expect([done.ProcessingJobStatus, done.FailureReason]).toEqual(['Completed', undefined]);
    expect(await text('out/docker-auto/sum.txt')).toBe('13');
    expect(runs().slice(before).map((argv) => argv[argv.indexOf('--entrypoint') + 2])).toEqual([UNMAPPED_IMAGE]);
  });
});

describe('processing inputs localsage cannot serve', () => {
  const input = (over: object) => ({ ...job('refused', 1, ['sum']), ProcessingInputs: [{ InputName: 'in', ...over }] }) as CreateProcessingJobCommandInput;

  it('are refused at create time with what is not supported', async () => {
    const pipe = await rejection(c.sagemaker.send(new CreateProcessingJobCommand(input({ S3Input: { S3Uri: 's3://multi/raw', LocalPath: '/opt/ml/processing/in', S3DataType: 'S3Prefix', S3InputMode: 'Pipe' } }))));
    expect([pipe.name, pipe.$metadata.httpStatusCode]).toEqual(['ValidationException', 400]);
    expect(pipe.message).toContain('S3InputMode Pipe is not supported by localsage');
    // FastFile is not a processing input mode: the service model's enum is Pipe | File.
    const fast = await rejection(c.sagemaker.send(new CreateProcessingJobCommand(input({ S3Input: { S3Uri: 's3://multi/raw', LocalPath: '/opt/ml/processing/in', S3DataType: 'S3Prefix', S3InputMode: 'FastFile' } }))));
    expect(fast.name).toBe('ValidationException');
    expect(fast.message).toContain('Member must satisfy enum value set: [Pipe, File]');
    const gzip = await rejection(c.sagemaker.send(new CreateProcessingJobCommand(input({ S3Input: { S3Uri: 's3://multi/raw', LocalPath: '/opt/ml/processing/in', S3DataType: 'S3Prefix', S3InputMode: 'File', S3CompressionType: 'Gzip' } }))));
    expect(gzip.message).toContain('S3CompressionType Gzip can only be used with S3InputMode Pipe');
    const athena = await rejection(
      c.sagemaker.send(
        new CreateProcessingJobCommand(
          input({ DatasetDefinition: { LocalPath: '/opt/ml/processing/in', AthenaDatasetDefinition: { Catalog: 'AwsDataCatalog', Database: 'db', QueryString: 'SELECT 1', OutputS3Uri: 's3://multi/athena/', OutputFormat: 'PARQUET' } } }),
        ),
      ),
    );
    expect([athena.name, athena.message]).toEqual([
      'ValidationException',
      'Input in: DatasetDefinition inputs are not supported by localsage: the data is the result of an Amazon Athena query, and localsage emulates neither Athena nor Redshift. Run the query beforehand and pass its result as an S3Input.',
    ]);
    const redshift = await rejection(
      c.sagemaker.send(
        new CreateProcessingJobCommand(
          input({ DatasetDefinition: { LocalPath: '/opt/ml/processing/in', RedshiftDatasetDefinition: { ClusterId: 'c', Database: 'd', DbUser: 'u', QueryString: 'SELECT 1', ClusterRoleArn: ROLE, OutputS3Uri: 's3://multi/rs/', OutputFormat: 'CSV' } } }),
        ),
      ),
    );
    expect(redshift.message).toContain('the result of an Amazon Redshift query');
    const missing = await c.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: 'refused' })).catch((e) => e);
    expect(missing.name).toBe('ValidationException');
  });
});

const docker = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' });
const dockerUp = docker.status === 0 && docker.stdout.trim() !== '' && !docker.stdout.includes('fake');
const dockerImage = process.env.LOCALSAGE_TEST_DOCKER_IMAGE ?? 'busybox:latest';
// The image must already be on the machine: a test machine may have a daemon but no registry to pull from.
const imageHere = dockerUp && spawnSync('docker', ['image', 'inspect', dockerImage], { encoding: 'utf8' }).status === 0;
describe('processing with a real Docker daemon', () => {
  it.skipIf(!imageHere)(`runs ${dockerImage} with the processing contract`, async () => {
    const real = await startEmulatorProcess({ env: { LOCALSAGE_FRAMEWORK_HOME: join(tmp, 'no-frameworks') } });
    try {
      const r = clients(real.url);
      await r.s3.send(new CreateBucketCommand({ Bucket: 'real' }));
      await r.sagemaker.send(
        new CreateProcessingJobCommand({
          ProcessingJobName: 'real-docker',
          RoleArn: ROLE,
          AppSpecification: { ImageUri: dockerImage, ContainerEntrypoint: ['sh', '-c', 'cp /opt/ml/config/resourceconfig.json /opt/ml/processing/output/rc.json'] },
          ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 } },
          ProcessingOutputConfig: { Outputs: [{ OutputName: 'o', S3Output: { S3Uri: 's3://real/out', LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] },
        }),
      );
      let status = '';
      while (!['Completed', 'Failed', 'Stopped'].includes(status)) {
        await new Promise((res) => setTimeout(res, 500));
        status = (await r.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: 'real-docker' }))).ProcessingJobStatus!;
      }
      expect(status).toBe('Completed');
      const body = await (await r.s3.send(new GetObjectCommand({ Bucket: 'real', Key: 'out/rc.json' }))).Body!.transformToString();
      expect(JSON.parse(body)).toEqual({ current_host: 'algo-1', hosts: ['algo-1'] });
    } finally {
      await real.stop();
    }
  }, 300_000);
  if (!dockerUp) it('SKIPPED: no Docker daemon answers here; processing with a real `docker run` is not exercised (the stand-in docker CLI above covers the arguments)', () => {});
  else if (!imageHere) it(`SKIPPED: the Docker daemon has no ${dockerImage} image and this test pulls nothing (docker pull it, or set LOCALSAGE_TEST_DOCKER_IMAGE)`, () => {});
});

// The fixture directory must exist for the stand-in docker to be found on PATH.
if (!existsSync(join(FAKE_DOCKER, 'docker'))) throw new Error(`missing ${FAKE_DOCKER}/docker`);
