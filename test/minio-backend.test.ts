import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, ListTrainingJobsCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { Client as MinioClient } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { separableBinary, toCsv } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { findMinioBinary, startMinioServer, type MinioServer } from './helpers/minio-server.js';
import { channel, deploy, trainAndWait } from './helpers/pipeline.js';

/**
 * The emulator with MinIO behind S3: data uploaded with the `minio` client straight to the
 * object store, trained and served by an emulator started with `--s3-backend minio`, and the S3
 * API (multipart, ranges, listing) answered from MinIO.
 *
 * Targets: a real MinIO at LOCALSAGE_TEST_MINIO_ENDPOINT (.ci/run starts one); a real MinIO
 * binary the test starts itself (LOCALSAGE_TEST_MINIO_BINARY, `minio` on PATH or ~/go/bin/minio);
 * a MinIO container through testcontainers where a Docker daemon answers; and always a second
 * localsage's embedded S3, which is an S3-compatible server like any other.
 */
interface Target {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  stop(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Why no container runtime can be used, or undefined when one answers. */
async function noDocker(): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return undefined;
  } catch (e) {
    return `no Docker daemon answers (${(e as Error).message})`;
  }
}

const NO_BINARY = 'no MinIO binary (set LOCALSAGE_TEST_MINIO_BINARY, put minio on PATH, or `go install github.com/minio/minio@latest`)';

const targets: Record<string, () => Promise<Target | string>> = {
  'a real MinIO (LOCALSAGE_TEST_MINIO_ENDPOINT)': async () => {
    const endpoint = process.env.LOCALSAGE_TEST_MINIO_ENDPOINT;
    if (!endpoint) return 'LOCALSAGE_TEST_MINIO_ENDPOINT is not set';
    return { endpoint, accessKey: process.env.LOCALSAGE_TEST_MINIO_ACCESS_KEY ?? 'minioadmin', secretKey: process.env.LOCALSAGE_TEST_MINIO_SECRET_KEY ?? 'minioadmin', stop: async () => {} };
  },
  'a MinIO server binary started by the test': async () => {
    const binary = findMinioBinary();
    return binary ? startMinioServer(binary) : NO_BINARY;
  },
  'a MinIO container (testcontainers)': async () => {
    const why = await noDocker();
    if (why) return why;
    const { MinioContainer } = await import('@testcontainers/minio');
    const container = await new MinioContainer('minio/minio:RELEASE.2024-08-17T01-24-54Z').start();
    return { endpoint: container.getConnectionUrl(), accessKey: 'minioadmin', secretKey: 'minioadmin', stop: async () => void (await container.stop()) };
  },
  "another localsage's embedded S3": async () => {
    const store = await startEmulatorProcess();
    return {
      endpoint: store.url,
      accessKey: 'minioadmin',
      secretKey: 'minioadmin',
      stop: async () => {
        await store.stop();
        removeDir(store.dataDir);
      },
    };
  },
};

function minioClient(t: { endpoint: string; accessKey: string; secretKey: string }): MinioClient {
  const url = new URL(t.endpoint);
  return new MinioClient({ endPoint: url.hostname, port: Number(url.port), useSSL: url.protocol === 'https:', accessKey: t.accessKey, secretKey: t.secretKey });
}

function emulatorOn(t: Target, extra: string[] = []): Promise<EmulatorProcess> {
  return startEmulatorProcess({
    args: ['--s3-backend', 'minio', '--minio-endpoint', t.endpoint, '--minio-access-key', t.accessKey, '--minio-secret-key', t.secretKey, ...extra],
  });
}

/** Bucket names unique per run: the real MinIO at LOCALSAGE_TEST_MINIO_ENDPOINT outlives a run. */
const RUN = Date.now().toString(36);

for (const [label, make] of Object.entries(targets)) {
  describe(`S3 backend: ${label}`, () => {
    let target: Target | string = 'not started';
    let emu: EmulatorProcess;
    beforeAll(async () => {
      target = await make();
      if (typeof target === 'string') return;
      cleanups.push((target as Target).stop);
      emu = await emulatorOn(target);
      cleanups.push(async () => {
        await emu.stop();
        removeDir(emu.dataDir);
      });
    });
    const ready = (ctx: { skip: () => void }): Target => {
      if (typeof target === 'string') {
        console.warn(`SKIPPED MinIO backend test on ${label}: ${target}`);
        ctx.skip();
      }
      return target as Target;
    };

    it('trains from and writes artifacts to the MinIO backend, and serves from it', async (ctx) => {
      const t = ready(ctx);
      const bucket = `mb-data-${RUN}`;
      const minio = minioClient(t);
      await minio.makeBucket(bucket, 'us-east-1');
      const data = separableBinary(800, 4, 41);
      await minio.putObject(bucket, 'train/data.csv', Buffer.from(toCsv(data.x.slice(0, 600), data.y.slice(0, 600))));

      const c = clients(emu.url);
      const job = await trainAndWait(c.sagemaker, {
        name: `minio-job-${RUN}`,
        image: LINEAR_LEARNER_IMAGE,
        hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', epochs: '5' },
        channels: [channel('train', `s3://${bucket}/train/`, 'text/csv')],
        output: `s3://${bucket}/output`,
      });
      expect(job.FailureReason).toBeUndefined();
      expect(job.TrainingJobStatus).toBe('Completed');
      // The artifact is in MinIO itself, seen through the minio client.
      const stat = await minio.statObject(bucket, `output/minio-job-${RUN}/output/model.tar.gz`);
      expect(stat.size).toBeGreaterThan(0);
      // And the emulator's own S3 API shows MinIO's objects.
      const through = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'train/data.csv' }));
      expect(await through.Body!.transformToString()).toBe(toCsv(data.x.slice(0, 600), data.y.slice(0, 600)));

      await deploy(c.sagemaker, `minio-ep-${RUN}`, LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
      const test = data.x.slice(600);
      const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: `minio-ep-${RUN}`, Body: Buffer.from(toCsv(test)), ContentType: 'text/csv' }));
      const predictions = JSON.parse(Buffer.from(out.Body!).toString()).predictions as { predicted_label: number }[];
      const accuracy = predictions.filter((p, i) => p.predicted_label === data.y[600 + i]).length / test.length;
      expect(accuracy).toBeGreaterThan(0.95);
    });

    it('multipart upload, byte ranges and paginated listing through the emulator land in MinIO', async (ctx) => {
      const t = ready(ctx);
      const bucket = `mb-s3-${RUN}`;
      const s3 = clients(emu.url).s3;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));

      // Two parts: the first at S3's 5 MiB minimum, the second short. Bytes follow a pattern so
      // a misplaced range shows.
      const body = Buffer.alloc(5 * 1024 * 1024 + 300_001);
      for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 11)) & 0xff;
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'big/blob.bin', ContentType: 'application/octet-stream' }));
      const parts = [body.subarray(0, 5 * 1024 * 1024), body.subarray(5 * 1024 * 1024)];
      const etags: string[] = [];
      for (const [i, part] of parts.entries()) {
        etags.push((await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'big/blob.bin', UploadId, PartNumber: i + 1, Body: part }))).ETag!);
      }
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'big/blob.bin', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));

      const minio = minioClient(t);
      expect((await minio.statObject(bucket, 'big/blob.bin')).size).toBe(body.length);
      const whole = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/blob.bin' }))).Body!.transformToByteArray());
      expect(whole.equals(body)).toBe(true);

      // Ranges across the part boundary, a suffix range, and one past the end.
      const from = 5 * 1024 * 1024 - 10;
      const across = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/blob.bin', Range: `bytes=${from}-${from + 19}` }));
      expect(across.ContentRange).toBe(`bytes ${from}-${from + 19}/${body.length}`);
      expect(Buffer.from(await across.Body!.transformToByteArray()).equals(body.subarray(from, from + 20))).toBe(true);
      const suffix = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/blob.bin', Range: 'bytes=-7' }));
      expect(Buffer.from(await suffix.Body!.transformToByteArray()).equals(body.subarray(body.length - 7))).toBe(true);
      const past = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/blob.bin', Range: `bytes=${body.length + 5}-` })).catch((e) => e);
      expect(past.name).toBe('InvalidRange');
      expect(past.$metadata.httpStatusCode).toBe(416);

      // Listing: 7 keys in two "folders" and one at the root, read 3 at a time.
      const keys = ['a/1.csv', 'a/2.csv', 'a/3.csv', 'b/1.csv', 'b/2.csv', 'root.txt', 'a/sub/deep.csv'];
      for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a/', MaxKeys: 3, ContinuationToken: token }));
        seen.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
        pages++;
      } while (token);
      expect(seen).toEqual(['a/1.csv', 'a/2.csv', 'a/3.csv', 'a/sub/deep.csv']);
      expect(pages).toBe(2);
      const folders = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
      expect((folders.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['a/', 'b/', 'big/']);
      expect((folders.Contents ?? []).map((o) => o.Key)).toEqual(['root.txt']);
      // MinIO itself lists the same objects.
      const direct: string[] = [];
      for await (const o of minio.listObjectsV2(bucket, 'b/', true)) direct.push(o.name!);
      expect(direct).toEqual(['b/1.csv', 'b/2.csv']);
    });
  });
}

async function waitForEnd(sm: SageMakerClient, name: string) {
  for (;;) {
    const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    if (!['InProgress', 'Stopping'].includes(job.TrainingJobStatus!)) return job;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('MinIO going away mid-job (a MinIO binary the test starts and kills)', () => {
  it('fails the job clearly, keeps every other job, and works again once MinIO is back', async (ctx) => {
    const binary = findMinioBinary();
    if (!binary) {
      console.warn(`SKIPPED MinIO outage test: ${NO_BINARY}`);
      ctx.skip();
      return;
    }
    const minio: MinioServer = await startMinioServer(binary);
    cleanups.push(() => minio.stop());
    // Realistic timing played 20x faster: the job spends 4.5 s of wall time in Starting, long
    // enough to take MinIO away before it downloads its input.
    const emu = await emulatorOn(minio, ['--timing', 'realistic', '--clock-scale', '20']);
    cleanups.push(async () => {
      await emu.stop();
      removeDir(emu.dataDir);
    });
    const direct = minioClient(minio);
    await direct.makeBucket('outage', 'us-east-1');
    const data = separableBinary(400, 4, 7);
    await direct.putObject('outage', 'train/data.csv', Buffer.from(toCsv(data.x, data.y)));
    const c = clients(emu.url);
    const spec = (name: string) => ({
      name,
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', epochs: '3' },
      channels: [channel('train', 's3://outage/train/', 'text/csv')],
      output: 's3://outage/output',
    });

    const before = await trainAndWait(c.sagemaker, spec('before-outage'));
    expect(before.TrainingJobStatus).toBe('Completed');

    await c.sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'during-outage',
        AlgorithmSpecification: { TrainingImage: LINEAR_LEARNER_IMAGE, TrainingInputMode: 'File' },
        RoleArn: ROLE,
        InputDataConfig: spec('x').channels,
        OutputDataConfig: { S3OutputPath: 's3://outage/output' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
        HyperParameters: spec('x').hyperParameters,
      }),
    );
    await minio.kill();
    const failed = await waitForEnd(c.sagemaker, 'during-outage');
    expect(failed.TrainingJobStatus).toBe('Failed');
    expect(failed.FailureReason).toMatch(/^ClientError: Unable to download the input data from s3:\/\/outage\/train\//);
    expect(failed.SecondaryStatusTransitions!.map((s) => s.Status)).toContain('Downloading');

    // The emulator's own state is whole: both jobs listed, the finished one as it was.
    const listed = await c.sagemaker.send(new ListTrainingJobsCommand({}));
    expect(listed.TrainingJobSummaries!.map((j) => [j.TrainingJobName, j.TrainingJobStatus]).sort()).toEqual([
      ['before-outage', 'Completed'],
      ['during-outage', 'Failed'],
    ]);
    const again = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'before-outage' }));
    expect(again.ModelArtifacts).toEqual(before.ModelArtifacts);
    // S3 calls while MinIO is down get S3's 503 ServiceUnavailable (never a missing bucket or key),
    // and the emulator keeps answering.
    const down = await c.s3.send(new GetObjectCommand({ Bucket: 'outage', Key: 'train/data.csv' })).catch((e) => e);
    expect(down.name).toBe('ServiceUnavailable');
    expect(down.$metadata.httpStatusCode).toBe(503);
    const list = await c.s3.send(new ListObjectsV2Command({ Bucket: 'outage' })).catch((e) => e);
    expect(list.$metadata.httpStatusCode).toBe(503);
    expect(emu.proc.exitCode).toBeNull();

    // MinIO back on the same port and disk: the artifact written before is there, and training works.
    await minio.restart();
    expect((await direct.statObject('outage', 'output/before-outage/output/model.tar.gz')).size).toBeGreaterThan(0);
    const after = await trainAndWait(c.sagemaker, spec('after-outage'));
    expect(after.FailureReason).toBeUndefined();
    expect(after.TrainingJobStatus).toBe('Completed');
  });
});
