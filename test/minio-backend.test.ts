import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { Client as MinioClient } from 'minio';
import { afterAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE } from './helpers/clients.js';
import { separableBinary, toCsv } from './helpers/data.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, deploy, trainAndWait } from './helpers/pipeline.js';

/**
 * The whole pipeline with MinIO behind S3: data uploaded with the `minio` client straight to the
 * object store, trained and served by an emulator started with `--s3-backend minio`.
 *
 * Targets: a real MinIO at LOCALSAGE_TEST_MINIO_ENDPOINT; a MinIO container through
 * testcontainers where a Docker daemon answers; and always a second localsage's embedded S3,
 * which is an S3-compatible server like any other.
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

const targets: Record<string, () => Promise<Target | string>> = {
  'a real MinIO (LOCALSAGE_TEST_MINIO_ENDPOINT)': async () => {
    const endpoint = process.env.LOCALSAGE_TEST_MINIO_ENDPOINT;
    if (!endpoint) return 'LOCALSAGE_TEST_MINIO_ENDPOINT is not set';
    return { endpoint, accessKey: process.env.LOCALSAGE_TEST_MINIO_ACCESS_KEY ?? 'minioadmin', secretKey: process.env.LOCALSAGE_TEST_MINIO_SECRET_KEY ?? 'minioadmin', stop: async () => {} };
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
    return { endpoint: store.url, accessKey: 'minioadmin', secretKey: 'minioadmin', stop: () => store.stop() };
  },
};

for (const [label, make] of Object.entries(targets)) {
  describe(`S3 backend: ${label}`, () => {
    it('trains from and writes artifacts to the MinIO backend, and serves from it', async (ctx) => {
      const target = await make();
      if (typeof target === 'string') {
        console.warn(`SKIPPED MinIO backend test on ${label}: ${target}`);
        ctx.skip();
        return;
      }
      cleanups.push(() => target.stop());
      const url = new URL(target.endpoint);
      const minio = new MinioClient({ endPoint: url.hostname, port: Number(url.port), useSSL: url.protocol === 'https:', accessKey: target.accessKey, secretKey: target.secretKey });
      await minio.makeBucket('mb-data', 'us-east-1');
      const data = separableBinary(800, 4, 41);
      await minio.putObject('mb-data', 'train/data.csv', Buffer.from(toCsv(data.x.slice(0, 600), data.y.slice(0, 600))));

      const emu: EmulatorProcess = await startEmulatorProcess({
        args: ['--s3-backend', 'minio', '--minio-endpoint', target.endpoint, '--minio-access-key', target.accessKey, '--minio-secret-key', target.secretKey],
      });
      cleanups.push(() => emu.stop());
      const c = clients(emu.url);
      const job = await trainAndWait(c.sagemaker, {
        name: 'minio-job',
        image: LINEAR_LEARNER_IMAGE,
        hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', epochs: '5' },
        channels: [channel('train', 's3://mb-data/train/', 'text/csv')],
        output: 's3://mb-data/output',
      });
      expect(job.FailureReason).toBeUndefined();
      expect(job.TrainingJobStatus).toBe('Completed');
      // The artifact is in MinIO itself, seen through the minio client.
      const stat = await minio.statObject('mb-data', 'output/minio-job/output/model.tar.gz');
      expect(stat.size).toBeGreaterThan(0);
      // And the emulator's own S3 API shows MinIO's objects.
      const through = await c.s3.send(new GetObjectCommand({ Bucket: 'mb-data', Key: 'train/data.csv' }));
      expect(await through.Body!.transformToString()).toBe(toCsv(data.x.slice(0, 600), data.y.slice(0, 600)));

      await deploy(c.sagemaker, 'minio-ep', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
      const test = data.x.slice(600);
      const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'minio-ep', Body: Buffer.from(toCsv(test)), ContentType: 'text/csv' }));
      const predictions = JSON.parse(Buffer.from(out.Body!).toString()).predictions as { predicted_label: number }[];
      const accuracy = predictions.filter((p, i) => p.predicted_label === data.y[600 + i]).length / test.length;
      expect(accuracy).toBeGreaterThan(0.95);
    });
  });
}
