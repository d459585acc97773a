/**
 * Built-in algorithms end to end through the AWS SDK v3 against one real emulator process:
 * every predictor type and loss against a known answer, hyperparameter failures, the metric names
 * of FinalMetricDataList, sparse data in training and inference, a batch near the 6 MiB limit,
 * and Accept negotiation.
 */
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricDefinitions, readRecordIO, writeRecordIO } from '../algorithms/index.js';
import { clients, KMEANS_IMAGE, LINEAR_LEARNER_IMAGE } from './helpers/clients.js';
import { leastSquares, linearRegression, mulberry32, plantedClusters, separableBinary, toCsv } from './helpers/data.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, deploy, ensureBucket, trainAndWait, upload } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
const BUCKET = 'algorithms-e2e';
const OUT = `s3://${BUCKET}/output`;

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  await ensureBucket(c.s3, BUCKET);
});
afterAll(async () => {
  await emu?.stop();
});

type Job = Awaited<ReturnType<typeof trainAndWait>>;

function metric(job: Job, name: string): number {
  const m = job.FinalMetricDataList?.find((x) => x.MetricName === name);
  if (!m) throw new Error(`metric ${name} missing; have ${job.FinalMetricDataList?.map((x) => x.MetricName).join(', ')}`);
  return m.Value!;
}

function completed(job: Job): Job {
  expect(job.FailureReason).toBeUndefined();
  expect(job.TrainingJobStatus).toBe('Completed');
  return job;
}

async function invoke(endpoint: string, body: string | Uint8Array, contentType: string, accept?: string) {
  const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: typeof body === 'string' ? Buffer.from(body) : body, ContentType: contentType, Accept: accept }));
  return { contentType: out.ContentType, text: Buffer.from(out.Body!).toString('utf8'), bytes: Buffer.from(out.Body!) };
}

const rms = (v: number[]) => Math.sqrt(v.reduce((s, e) => s + e * e, 0) / v.length);

/** Labels 0..k-1 around well-separated centres: linearly separable one-vs-rest. */
function separableMulticlass(n: number, d: number, k: number, seed: number) {
  const { x, assignment } = plantedClusters(n, d, k, seed);
  return { x, y: assignment };
}

/**
 * Regressor losses on noiseless y = w·x + b (4 features, labels of standard deviation about 4).
 * Every one of these losses is minimised by the noiseless function itself (zero residual), so the
 * trained model must reproduce the least-squares predictions; what differs is how close a few
 * hundred mini-batch steps get. Tolerances are on the RMS gap to the least-squares predictions
 * relative to the label spread:
 * - squared, huber (quadratic near 0): smooth gradients that vanish at the optimum: 2%.
 * - eps_insensitive_squared: zero loss inside ±loss_insensitivity (0.01 in normalised label units,
 *   0.25% of the spread), squared outside: 2%.
 * - absolute, quantile(0.5), eps_insensitive_absolute: subgradients of constant size keep the
 *   weights jittering by about one learning-rate step until the scheduler shrinks it: 5%.
 */
const REGRESSOR_LOSSES: [string, number][] = [
  ['squared_loss', 0.02],
  ['huber_loss', 0.02],
  ['eps_insensitive_squared_loss', 0.02],
  ['absolute_loss', 0.05],
  ['quantile_loss', 0.05],
  ['eps_insensitive_absolute_loss', 0.05],
];

describe.concurrent('every predictor type and loss against a known answer', () => {
  it.each(REGRESSOR_LOSSES)('regressor %s recovers the least-squares solution', async (loss, tolerance) => {
    const data = linearRegression(700, 4, 101);
    const [trainX, testX] = [data.x.slice(0, 500), data.x.slice(500)];
    const trainY = data.y.slice(0, 500);
    const ls = leastSquares(trainX, trainY);
    const uri = await upload(c.s3, BUCKET, `reg-${loss}/train.csv`, toCsv(trainX, trainY));
    const name = `reg-${loss.replace(/_/g, '-')}`;
    const job = completed(await trainAndWait(c.sagemaker, {
      name,
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'regressor', loss, feature_dim: '4', mini_batch_size: '25', epochs: '20', num_models: '8' },
      channels: [channel('train', uri, 'text/csv')],
      output: OUT,
    }));
    await deploy(c.sagemaker, name, LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
    const out = await invoke(name, toCsv(testX), 'text/csv', 'application/json');
    const scores = (JSON.parse(out.text).predictions as { score: number }[]).map((p) => p.score);
    const exact = testX.map((row) => row.reduce((s, v, j) => s + v * ls.w[j], ls.b));
    const spread = rms(exact.map((v) => v - exact.reduce((a, b) => a + b, 0) / exact.length));
    expect(rms(scores.map((s, i) => s - exact[i])) / spread).toBeLessThan(tolerance);
  });

  it.each(['logistic', 'hinge_loss'])('binary_classifier %s separates separable data', async (loss) => {
    const data = separableBinary(900, 5, 202);
    const uri = await upload(c.s3, BUCKET, `bin-${loss}/train.csv`, toCsv(data.x.slice(0, 600), data.y.slice(0, 600)));
    const test = await upload(c.s3, BUCKET, `bin-${loss}/test.csv`, toCsv(data.x.slice(600), data.y.slice(600)));
    const job = completed(await trainAndWait(c.sagemaker, {
      name: `bin-${loss.replace(/_/g, '-')}`,
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'binary_classifier', loss, feature_dim: '5', mini_batch_size: '50', epochs: '10', num_models: '4' },
      channels: [channel('train', uri, 'text/csv'), channel('test', test, 'text/csv')],
      output: OUT,
    }));
    // Held-out rows; points within 0.2 of the plane were dropped, so a linear model can be exact.
    expect(metric(job, 'test:binary_classification_accuracy')).toBeGreaterThanOrEqual(0.97);
  });

  it('multiclass_classifier softmax_loss separates separable classes', async () => {
    const data = separableMulticlass(900, 4, 3, 303);
    const uri = await upload(c.s3, BUCKET, 'multi/train.csv', toCsv(data.x.slice(0, 600), data.y.slice(0, 600)));
    const test = await upload(c.s3, BUCKET, 'multi/test.csv', toCsv(data.x.slice(600), data.y.slice(600)));
    const job = completed(await trainAndWait(c.sagemaker, {
      name: 'multi-softmax',
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'multiclass_classifier', num_classes: '3', loss: 'softmax_loss', feature_dim: '4', mini_batch_size: '50', epochs: '10', num_models: '4' },
      channels: [channel('train', uri, 'text/csv'), channel('test', test, 'text/csv')],
      output: OUT,
    }));
    expect(metric(job, 'test:multiclass_accuracy')).toBeGreaterThanOrEqual(0.97);
  });
});

describe.concurrent('bad hyperparameters fail the job as a ClientError naming them', () => {
  const cases: { name: string; image: string; hp: Record<string, string>; reason: RegExp }[] = [
    { name: 'hp-unknown', image: LINEAR_LEARNER_IMAGE, hp: { predictor_type: 'regressor', mini_batch_siz: '10' }, reason: /^ClientError: .*Additional properties are not allowed \('mini_batch_siz' was unexpected\)/ },
    { name: 'hp-range', image: LINEAR_LEARNER_IMAGE, hp: { predictor_type: 'regressor', epochs: '0' }, reason: /^ClientError: .*epochs/ },
    { name: 'hp-enum', image: LINEAR_LEARNER_IMAGE, hp: { predictor_type: 'regressor', loss: 'logistic' }, reason: /^ClientError: .*loss/ },
    { name: 'hp-float', image: LINEAR_LEARNER_IMAGE, hp: { predictor_type: 'binary_classifier', quantile: '1.5' }, reason: /^ClientError: .*quantile/ },
    { name: 'hp-predictor', image: LINEAR_LEARNER_IMAGE, hp: { feature_dim: '3' }, reason: /^ClientError: .*predictor_type/ },
    { name: 'hp-num-classes', image: LINEAR_LEARNER_IMAGE, hp: { predictor_type: 'multiclass_classifier' }, reason: /^ClientError: .*num_classes/ },
    { name: 'hp-km-k', image: KMEANS_IMAGE, hp: { feature_dim: '3' }, reason: /^ClientError: .*'k'|^ClientError: .*\bk\b/ },
    { name: 'hp-km-dim', image: KMEANS_IMAGE, hp: { k: '3' }, reason: /^ClientError: .*feature_dim/ },
    { name: 'hp-km-init', image: KMEANS_IMAGE, hp: { k: '3', feature_dim: '3', init_method: 'best' }, reason: /^ClientError: .*init_method/ },
  ];
  it.each(cases)('$name', async ({ name, image, hp, reason }) => {
    const uri = await upload(c.s3, BUCKET, `${name}/train.csv`, '1,2,3,4\n0,1,2,3\n');
    const job = await trainAndWait(c.sagemaker, { name, image, hyperParameters: hp, channels: [channel('train', uri, 'text/csv')], output: OUT });
    expect(job.TrainingJobStatus).toBe('Failed');
    expect(job.SecondaryStatus).toBe('Failed');
    expect(job.FailureReason).toMatch(reason);
  });
});

/** Metric names the service's definitions would scrape, per channel, as listed in sections 1.6 and 2.2. */
const LL_COMMON = ['train:objective_loss', 'validation:objective_loss', 'train:objective_loss:final', 'validation:objective_loss:final', 'test:objective_loss', 'train:progress', 'train:throughput'];
const EXPECTED_METRICS: Record<string, string[]> = {
  regressor: [...LL_COMMON, ...['validation', 'test'].flatMap((ch) => ['mse', 'rmse', 'absolute_loss'].map((m) => `${ch}:${m}`))],
  binary_classifier: [
    ...LL_COMMON,
    ...['validation', 'test'].flatMap((ch) => ['binary_classification_accuracy', 'binary_f_beta', 'precision', 'recall', 'roc_auc_score'].map((m) => `${ch}:${m}`)),
  ],
  multiclass_classifier: [
    ...LL_COMMON,
    ...['validation', 'test'].flatMap((ch) => ['multiclass_accuracy', 'multiclass_top_k_accuracy', 'dcg', 'macro_recall', 'macro_precision', 'macro_f_beta'].map((m) => `${ch}:${m}`)),
  ],
};

describe.concurrent('FinalMetricDataList names', () => {
  it.each(Object.keys(EXPECTED_METRICS))('linear-learner %s with train, validation and test', async (predictor) => {
    const data = predictor === 'regressor' ? linearRegression(300, 3, 404) : predictor === 'binary_classifier' ? separableBinary(300, 3, 405) : separableMulticlass(300, 3, 3, 406);
    const uris = await Promise.all(['train', 'validation', 'test'].map((ch, i) => upload(c.s3, BUCKET, `metrics-${predictor}/${ch}.csv`, toCsv(data.x.slice(i * 100, i * 100 + 100), data.y.slice(i * 100, i * 100 + 100)))));
    const job = completed(await trainAndWait(c.sagemaker, {
      name: `metrics-${predictor.replace(/_/g, '-')}`,
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: predictor, ...(predictor === 'multiclass_classifier' ? { num_classes: '3' } : {}), mini_batch_size: '20', epochs: '2', num_models: '2' },
      channels: ['train', 'validation', 'test'].map((ch, i) => channel(ch, uris[i], 'text/csv')),
      output: OUT,
    }));
    const names = job.FinalMetricDataList!.map((m) => m.MetricName!).sort();
    expect(names).toEqual([...EXPECTED_METRICS[predictor]].sort());
    // Every name is one the service's own definitions produce.
    const defined = new Set(metricDefinitions('linear-learner').map((d) => d.Name));
    for (const n of names) expect(defined.has(n)).toBe(true);
  });

  it('k-means with train and test', async () => {
    const data = plantedClusters(400, 3, 3, 407);
    const train = await upload(c.s3, BUCKET, 'metrics-kmeans/train.csv', toCsv(data.x.slice(0, 300)));
    const test = await upload(c.s3, BUCKET, 'metrics-kmeans/test.csv', toCsv(data.x.slice(300)));
    const job = completed(await trainAndWait(c.sagemaker, {
      name: 'metrics-kmeans',
      image: KMEANS_IMAGE,
      hyperParameters: { k: '3', feature_dim: '3', mini_batch_size: '100', eval_metrics: '["msd","ssd"]' },
      channels: [channel('train', train, 'text/csv'), channel('test', test, 'text/csv')],
      output: OUT,
    }));
    expect(job.FinalMetricDataList!.map((m) => m.MetricName).sort()).toEqual(['test:msd', 'test:ssd', 'train:msd', 'train:progress', 'train:throughput']);
    // 100 test rows: ssd is msd times the row count.
    expect(metric(job, 'test:ssd')).toBeCloseTo(metric(job, 'test:msd') * 100, 3);
  });
});

describe('sparse data', () => {
  it('trains on sparse RecordIO, scales without shifting, and answers sparse JSON requests', async () => {
    // y = 3 x0 - 2 x5 + 0.5 x9 over 12 features, each present in a third of the rows with a
    // positive value: feature means are far from zero, so a shift would show.
    const rand = mulberry32(505);
    const d = 12;
    const w = new Map([[0, 3], [5, -2], [9, 0.5]]);
    const rows = Array.from({ length: 600 }, () => {
      const keys = Array.from({ length: d }, (_, j) => j).filter(() => rand() < 1 / 3);
      const values = keys.map(() => 1 + rand() * 4);
      const label = keys.reduce((s, k, i) => s + (w.get(k) ?? 0) * values[i], 0);
      return { keys, values, label };
    });
    const sparseUri = await upload(c.s3, BUCKET, 'sparse/train.pbr', writeRecordIO(rows.map((r) => ({ features: { keys: r.keys, values: r.values, shape: [d] }, label: r.label }))));
    const denseRows = rows.map((r) => Array.from({ length: d }, (_, j) => (r.keys.includes(j) ? r.values[r.keys.indexOf(j)] : 0)));
    const denseUri = await upload(c.s3, BUCKET, 'sparse-dense/train.pbr', writeRecordIO(denseRows.map((f, i) => ({ features: f, label: rows[i].label }))));
    // No bias and no label shift: the only source of an intercept is a feature shift in the scaler.
    const hp = { predictor_type: 'regressor', feature_dim: String(d), use_bias: 'false', normalize_label: 'false', mini_batch_size: '25', epochs: '15', num_models: '4' };
    const [sparse, dense] = await Promise.all(
      [['sparse-train', sparseUri], ['sparse-dense-train', denseUri]].map(([name, uri]) =>
        trainAndWait(c.sagemaker, { name, image: LINEAR_LEARNER_IMAGE, hyperParameters: hp, channels: [channel('train', uri, 'application/x-recordio-protobuf')], output: OUT })),
    );
    completed(sparse);
    completed(dense);
    await Promise.all([deploy(c.sagemaker, 'sparse', LINEAR_LEARNER_IMAGE, sparse.ModelArtifacts!.S3ModelArtifacts!), deploy(c.sagemaker, 'sparse-dense', LINEAR_LEARNER_IMAGE, dense.ModelArtifacts!.S3ModelArtifacts!)]);

    const empty = JSON.stringify({ instances: [{ data: { features: { keys: [], shape: [d], values: [] } } }] });
    const zeroSparse = JSON.parse((await invoke('sparse', empty, 'application/json')).text).predictions[0].score;
    const zeroDense = JSON.parse((await invoke('sparse-dense', empty, 'application/json')).text).predictions[0].score;
    // Sparse data was scaled, not shifted: the empty row predicts exactly 0. Dense data was
    // shifted by the feature means, which folds into an intercept of -Σ w_j mean_j / std_j.
    expect(zeroSparse).toBe(0);
    expect(Math.abs(zeroDense)).toBeGreaterThan(1e-4);

    // Sparse JSON requests (both documented shapes) predict the function.
    const probe = [{ keys: [0, 5], values: [2, 1] }, { keys: [9], values: [4] }, { keys: [0, 3, 9], values: [1, 7, 2] }];
    const truth = probe.map((p) => p.keys.reduce((s, k, i) => s + (w.get(k) ?? 0) * p.values[i], 0));
    for (const body of [
      { instances: probe.map((p) => ({ data: { features: { ...p, shape: [d] } } })) },
      { instances: probe.map((p) => ({ features: { ...p, shape: [d] } })) },
    ]) {
      const scores = (JSON.parse((await invoke('sparse', JSON.stringify(body), 'application/json')).text).predictions as { score: number }[]).map((p) => p.score);
      scores.forEach((s, i) => expect(Math.abs(s - truth[i])).toBeLessThan(0.1 * Math.max(1, Math.abs(truth[i]))));
    }
  });
});

describe('batch inference and Accept', () => {
  it('predicts a CSV body just under 6 MiB in one pass and answers in every Accept type', async () => {
    const data = separableBinary(400, 5, 606);
    const uri = await upload(c.s3, BUCKET, 'batch/train.csv', toCsv(data.x, data.y));
    const job = completed(await trainAndWait(c.sagemaker, {
      name: 'batch',
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '5', mini_batch_size: '50', epochs: '3', num_models: '2' },
      channels: [channel('train', uri, 'text/csv')],
      output: OUT,
    }));
    await deploy(c.sagemaker, 'batch', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);

    const line = (i: number) => data.x[i % data.x.length].map((v) => v.toFixed(6)).join(',');
    const lines: string[] = [];
    let bytes = 0;
    for (let i = 0; ; i++) {
      const l = line(i) + '\n';
      if (bytes + l.length > 6 * 1024 * 1024) break;
      lines.push(l);
      bytes += l.length;
    }
    expect(bytes).toBeGreaterThan(6 * 1024 * 1024 - 100);
    const big = await invoke('batch', lines.join(''), 'text/csv', 'application/jsonlines');
    expect(big.contentType).toBe('application/jsonlines');
    const preds = big.text.trim().split('\n').map((l) => JSON.parse(l) as { score: number; predicted_label: number });
    expect(preds).toHaveLength(lines.length);
    // Rows repeat every 400: the same row gets the same answer wherever it sits in the batch.
    expect(preds[lines.length - 1]).toEqual(preds[(lines.length - 1) % 400]);

    const sample = toCsv(data.x.slice(0, 3));
    const json = await invoke('batch', sample, 'text/csv');
    expect(json.contentType).toBe('application/json');
    const jsonPreds = JSON.parse(json.text).predictions as { score: number; predicted_label: number }[];
    expect(jsonPreds).toEqual(preds.slice(0, 3));
    const rio = await invoke('batch', sample, 'text/csv', 'application/x-recordio-protobuf');
    expect(rio.contentType).toBe('application/x-recordio-protobuf');
    const records = readRecordIO(rio.bytes);
    records.forEach((r, i) => {
      expect((r.label.predicted_label as { values: Float32Array }).values[0]).toBe(jsonPreds[i].predicted_label);
      expect((r.label.score as { values: Float32Array }).values[0]).toBeCloseTo(jsonPreds[i].score, 5);
    });
    // First supported type of a list wins; */* means JSON; an unsupported one is a 406 from the model.
    expect((await invoke('batch', sample, 'text/csv', 'text/html, application/jsonlines;q=0.9')).contentType).toBe('application/jsonlines');
    expect((await invoke('batch', sample, 'text/csv', '*/*')).contentType).toBe('application/json');
    const refused = await invoke('batch', sample, 'text/csv', 'text/html').catch((e: { name: string; OriginalStatusCode?: number }) => e);
    expect(refused).toMatchObject({ name: 'ModelError', OriginalStatusCode: 406 });
  });
});
