import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecordIO, writeRecordIO } from '../algorithms/recordio.js';
import { clients, KMEANS_IMAGE, LINEAR_LEARNER_IMAGE } from './helpers/clients.js';
import { linearRegression, plantedClusters, separableBinary, toCsv } from './helpers/data.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, deploy, ensureBucket, trainAndWait, upload } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
const BUCKET = 'pipeline-data';

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  await ensureBucket(c.s3, BUCKET);
});
afterAll(async () => {
  await emu?.stop();
});

type Format = 'csv' | 'recordio';
const FORMATS: Format[] = ['csv', 'recordio'];

/** Uploads a split in the given format; returns the channel's S3 URI and content type. */
async function uploadSplit(prefix: string, format: Format, x: number[][], y?: number[]) {
  if (format === 'csv') {
    return { uri: await upload(c.s3, BUCKET, `${prefix}/data.csv`, toCsv(x, y)), contentType: y ? 'text/csv' : 'text/csv;label_size=0' };
  }
  const body = writeRecordIO(x.map((row, i) => ({ features: row, label: y ? y[i] : undefined })));
  return { uri: await upload(c.s3, BUCKET, `${prefix}/data.pbr`, body), contentType: 'application/x-recordio-protobuf' };
}

function expectHealthyJob(job: Awaited<ReturnType<typeof trainAndWait>>) {
  expect(job.FailureReason).toBeUndefined();
  expect(job.TrainingJobStatus).toBe('Completed');
  expect(job.SecondaryStatusTransitions!.map((t) => t.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
  for (const t of job.SecondaryStatusTransitions!) expect(t.StatusMessage).toBeTruthy();
  expect(job.TrainingTimeInSeconds).toBeGreaterThanOrEqual(1);
  expect(job.BillableTimeInSeconds).toBeGreaterThanOrEqual(1);
  expect(job.ResourceConfig!.InstanceCount).toBe(1);
  expect(job.ModelArtifacts!.S3ModelArtifacts).toBe(`s3://${BUCKET}/output/${job.TrainingJobName}/output/model.tar.gz`);
}

async function artifactExists(uri: string) {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
  const head = await c.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return head.ContentLength! > 0;
}

function metric(job: Awaited<ReturnType<typeof trainAndWait>>, name: string): number {
  const m = job.FinalMetricDataList?.find((x) => x.MetricName === name);
  if (!m) throw new Error(`metric ${name} missing; have ${job.FinalMetricDataList?.map((x) => x.MetricName).join(', ')}`);
  return m.Value!;
}

async function invoke(endpoint: string, body: string | Uint8Array, contentType: string, accept?: string) {
  const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: typeof body === 'string' ? Buffer.from(body) : body, ContentType: contentType, Accept: accept }));
  return { ...out, text: Buffer.from(out.Body!).toString('utf8'), bytes: Buffer.from(out.Body!) };
}

describe.each(FORMATS)('linear-learner binary classifier, %s', (format) => {
  it('trains, deploys and predicts held-out data accurately', async () => {
    const data = separableBinary(1500, 6, format === 'csv' ? 11 : 12);
    const [trainX, testX] = [data.x.slice(0, 1000), data.x.slice(1000)];
    const [trainY, testY] = [data.y.slice(0, 1000), data.y.slice(1000)];
    const name = `binary-${format}`;
    const train = await uploadSplit(`${name}/train`, format, trainX, trainY);
    const validation = await uploadSplit(`${name}/validation`, format, testX.slice(0, 200), testY.slice(0, 200));
    const job = await trainAndWait(c.sagemaker, {
      name,
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '6', mini_batch_size: '100', epochs: '10' },
      channels: [channel('train', train.uri, train.contentType), channel('validation', validation.uri, validation.contentType)],
      output: `s3://${BUCKET}/output`,
    });
    expectHealthyJob(job);
    expect(metric(job, 'validation:binary_classification_accuracy')).toBeGreaterThan(0.95);
    expect(await artifactExists(job.ModelArtifacts!.S3ModelArtifacts!)).toBe(true);

    await deploy(c.sagemaker, name, LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
    const out = await invoke(name, toCsv(testX), 'text/csv');
    expect(out.ContentType).toBe('application/json');
    expect(out.InvokedProductionVariant).toBe('AllTraffic');
    const predictions = JSON.parse(out.text).predictions as { score: number; predicted_label: number }[];
    expect(predictions).toHaveLength(testX.length);
    const correct = predictions.filter((p, i) => p.predicted_label === testY[i]).length;
    expect(correct / testX.length).toBeGreaterThan(0.95);
    for (const p of predictions) {
      expect(p.score).toBeGreaterThanOrEqual(0);
      expect(p.score).toBeLessThanOrEqual(1);
    }

    // The same rows through the RecordIO-protobuf content type, answered in RecordIO.
    const rio = await invoke(name, writeRecordIO(testX.map((f) => ({ features: f }))), 'application/x-recordio-protobuf', 'application/x-recordio-protobuf');
    expect(rio.ContentType).toBe('application/x-recordio-protobuf');
    const records = readRecordIO(rio.bytes);
    expect(records).toHaveLength(testX.length);
    records.forEach((r, i) => expect((r.label.predicted_label as { values: Float32Array }).values[0]).toBe(predictions[i].predicted_label));
  });
});

describe.each(FORMATS)('linear-learner regressor, %s', (format) => {
  it('recovers a noiseless linear function', async () => {
    const data = linearRegression(1200, 4, format === 'csv' ? 21 : 22);
    const name = `regressor-${format}`;
    const train = await uploadSplit(`${name}/train`, format, data.x.slice(0, 1000), data.y.slice(0, 1000));
    const job = await trainAndWait(c.sagemaker, {
      name,
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'regressor', feature_dim: '4', mini_batch_size: '50', epochs: '30' },
      channels: [channel('train', train.uri, train.contentType)],
      output: `s3://${BUCKET}/output`,
    });
    expectHealthyJob(job);
    await deploy(c.sagemaker, name, LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
    const testX = data.x.slice(1000);
    const body = JSON.stringify({ instances: testX.map((f) => ({ features: f })) });
    const out = await invoke(name, body, 'application/json', 'application/json');
    const scores = (JSON.parse(out.text).predictions as { score: number }[]).map((p) => p.score);
    const truth = data.y.slice(1000);
    const variance = truth.reduce((s, v) => s + (v - truth.reduce((a, b) => a + b, 0) / truth.length) ** 2, 0) / truth.length;
    const mse = scores.reduce((s, v, i) => s + (v - truth[i]) ** 2, 0) / scores.length;
    expect(mse / variance).toBeLessThan(1e-3);
  });
});

describe.each(FORMATS)('k-means, %s', (format) => {
  it('recovers planted clusters', async () => {
    const k = 4;
    const data = plantedClusters(2000, 5, k, format === 'csv' ? 31 : 32);
    const name = `kmeans-${format}`;
    const train = await uploadSplit(`${name}/train`, format, data.x);
    const job = await trainAndWait(c.sagemaker, {
      name,
      image: KMEANS_IMAGE,
      hyperParameters: { k: String(k), feature_dim: '5', mini_batch_size: '500' },
      channels: [channel('train', train.uri, train.contentType)],
      output: `s3://${BUCKET}/output`,
    });
    expectHealthyJob(job);
    expect(metric(job, 'train:msd')).toBeLessThan(5 * 0.25 * 2);
    await deploy(c.sagemaker, name, KMEANS_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
    const sample = data.x.slice(0, 400);
    const out = await invoke(name, toCsv(sample), 'text/csv', 'application/json');
    const predictions = JSON.parse(out.text).predictions as { closest_cluster: number; distance_to_cluster: number }[];
    // Each planted cluster maps to exactly one predicted cluster, and the map is one-to-one.
    const mapping = new Map<number, Set<number>>();
    predictions.forEach((p, i) => {
      const planted = data.assignment[i];
      if (!mapping.has(planted)) mapping.set(planted, new Set());
      mapping.get(planted)!.add(p.closest_cluster);
      expect(p.distance_to_cluster).toBeLessThan(4);
    });
    expect([...mapping.values()].every((s) => s.size === 1)).toBe(true);
    expect(new Set([...mapping.values()].map((s) => [...s][0])).size).toBe(k);
  });
});

describe('channels', () => {
  it('trains on two instances with ShardedByS3Key, from a ManifestFile and gzip data', async () => {
    const data = separableBinary(1600, 5, 51);
    const { gzipSync } = await import('node:zlib');
    for (let s = 0; s < 4; s++) {
      const rows = data.x.slice(s * 300, (s + 1) * 300);
      await upload(c.s3, BUCKET, `sharded/part-${s}.csv.gz`, gzipSync(toCsv(rows, data.y.slice(s * 300, (s + 1) * 300))));
    }
    // The Python SDK's manifest shape: a prefix, then keys relative to it.
    const manifest = JSON.stringify([{ prefix: `s3://${BUCKET}/sharded/` }, 'part-0.csv.gz', 'part-1.csv.gz', 'part-2.csv.gz', 'part-3.csv.gz']);
    const manifestUri = await upload(c.s3, BUCKET, 'manifests/train.manifest', manifest);
    const job = await trainAndWait(c.sagemaker, {
      name: 'sharded-manifest',
      image: LINEAR_LEARNER_IMAGE,
      instanceCount: 2,
      hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '5', epochs: '10', mini_batch_size: '100' },
      channels: [
        channel('train', manifestUri, 'text/csv', {
          CompressionType: 'Gzip',
          DataSource: { S3DataSource: { S3DataType: 'ManifestFile', S3Uri: manifestUri, S3DataDistributionType: 'ShardedByS3Key' } },
        }),
      ],
      output: `s3://${BUCKET}/output`,
    });
    expect(job.FailureReason).toBeUndefined();
    expect(job.TrainingJobStatus).toBe('Completed');
    expect(job.ResourceConfig!.InstanceCount).toBe(2);
    await deploy(c.sagemaker, 'sharded-manifest', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
    const testX = data.x.slice(1200);
    const out = await invoke('sharded-manifest', toCsv(testX), 'text/csv');
    const predictions = JSON.parse(out.text).predictions as { predicted_label: number }[];
    const accuracy = predictions.filter((p, i) => p.predicted_label === data.y[1200 + i]).length / testX.length;
    expect(accuracy).toBeGreaterThan(0.95);
  });
});
