import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AlgorithmError, answerBytes, InferenceInputError, UnsupportedMediaError, algorithmForImage, frameRecords, loadModel, metricDefinitions,
  packModelArtifact, readRecordIO, train, unpackModelArtifact, validateHyperParameters, writeRecordIO,
  type ChannelFiles, type LoadedModel, type TrainRequest,
} from '../algorithms/index.js';
import { Rng } from '../core/random.js';

const dir = mkdtempSync(join(tmpdir(), 'localsage-algorithms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
function writeTmp(content: string | Buffer, gzip = false): string {
  const path = join(dir, `f${fileCounter++}${gzip ? '.gz' : ''}`);
  writeFileSync(path, gzip ? gzipSync(content) : content);
  return path;
}

const csv = (rows: number[][]) => rows.map((r) => r.join(',')).join('\n') + '\n';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Run { lines: string[]; model: LoadedModel; bytes: Buffer }
async function run(algorithm: TrainRequest['algorithm'], hyperParameters: Record<string, string>, channels: ChannelFiles[], seed?: number): Promise<Run> {
  const lines: string[] = [];
  const { model } = await train({ algorithm, hyperParameters, channels, host: 'algo-1', hosts: ['algo-1'], log: (l) => lines.push(l), seed });
  return { lines, model: loadModel(model), bytes: model };
}
const csvChannel = (name: string, rows: number[][], contentType = 'text/csv'): ChannelFiles =>
  ({ name, contentType, compression: 'None', files: [writeTmp(csv(rows))] });
/** Extracts the last value of a metric from log lines with the service's own regex. */
function metric(lines: string[], algorithm: TrainRequest['algorithm'], name: string): number | undefined {
  const def = metricDefinitions(algorithm).find((d) => d.Name === name);
  if (!def) throw new Error(`no metric definition ${name}`);
  const re = new RegExp(def.Regex);
  let value: number | undefined;
  for (const l of lines) {
    const m = re.exec(l);
    if (m) value = Number(m[1]);
  }
  return value;
}
const json = (r: { body: Buffer | string }) => JSON.parse(String(r.body));

// ---------------------------------------------------------------- synthetic data

function linearData(rng: Rng, n: number, w: number[], bias: number, kind: 'reg' | 'bin'): number[][] {
  return Array.from({ length: n }, () => {
    const x = w.map(() => rng.normal() * 2 + 0.5);
    const z = x.reduce((s, v, j) => s + v * w[j], bias);
    return [kind === 'reg' ? z : z > 0 ? 1 : 0, ...x];
  });
}

function multiclassData(rng: Rng, n: number, means: number[][]): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const c = i % means.length;
    return [c, ...means[c].map((m) => m + rng.normal())];
  });
}

// ---------------------------------------------------------------- RecordIO

describe('RecordIO-protobuf codec', () => {
  // Section 3.2: dense features [1.5, 2.0], label 1.0 (44-byte payload, no padding).
  const worked =
    '0a23d7ce2c000000' +
    '0a160a0676616c756573120c120a0a080000c03f00000040' +
    '12120a0676616c75657312081206' + '0a040000803f';

  it('writes the worked example of section 3.2 byte for byte', () => {
    expect(hex(writeRecordIO([{ features: [1.5, 2.0], label: 1.0 }]))).toBe(worked);
    expect(hex(writeRecordIO([{ features: Float32Array.from([1.5, 2.0]), label: { values: [1] } }]))).toBe(worked);
  });

  it('reads the worked example back', () => {
    const [rec] = readRecordIO(Buffer.from(worked, 'hex'));
    expect(rec.features.values).toMatchObject({ dtype: 'float32' });
    expect(Array.from(rec.features.values.values as Float32Array)).toEqual([1.5, 2]);
    expect(Array.from(rec.label.values.values as Float32Array)).toEqual([1]);
  });

  it('round-trips dense, sparse, float64, int32, bytes and string fields', () => {
    const records = readRecordIO(writeRecordIO([
      { features: { keys: [3, 70000], values: [1, -2], shape: [100000] }, label: { values: [0], extra: [1, 2] } },
      {
        features: {
          a: { dtype: 'float64', values: Float64Array.from([Math.PI, -1e300]) },
          b: { dtype: 'int32', values: Int32Array.from([-5, 7, 2147483647, -2147483648]) },
          c: { dtype: 'bytes', values: [Uint8Array.from([1, 2, 3])], contentType: 'application/octet-stream' },
        },
        label: {},
        uid: 'row-1',
        metadata: '{"m":1}',
        configuration: 'cfg',
      },
    ]));
    expect(records).toHaveLength(2);
    const sparse = records[0].features.values;
    expect(sparse.dtype).toBe('float32');
    if (sparse.dtype === 'bytes') throw new Error('unreachable');
    expect(sparse.keys).toEqual([3, 70000]);
    expect(sparse.shape).toEqual([100000]);
    expect(Array.from(sparse.values)).toEqual([1, -2]);
    expect(Array.from(records[0].label.extra.values as Float32Array)).toEqual([1, 2]);
    const r1 = records[1];
    expect(Array.from(r1.features.a.values as Float64Array)).toEqual([Math.PI, -1e300]);
    expect(Array.from(r1.features.b.values as Int32Array)).toEqual([-5, 7, 2147483647, -2147483648]);
    expect(r1.features.c).toMatchObject({ dtype: 'bytes', contentType: 'application/octet-stream' });
    expect(Array.from((r1.features.c.values as Uint8Array[])[0])).toEqual([1, 2, 3]);
    expect([r1.uid, r1.metadata, r1.configuration]).toEqual(['row-1', '{"m":1}', 'cfg']);
  });

  it('pads payloads to 4 bytes', () => {
    const buf = writeRecordIO([{ features: [1] }, { features: [1, 2, 3] }]);
    expect(buf.length % 4).toBe(0);
    expect(readRecordIO(buf)).toHaveLength(2);
  });

  it('reassembles records split with continuation flags 1/2/3 (magic word restored)', () => {
    // A float whose bytes equal the magic word, as dmlc's writer would split on.
    const magicFloat = new DataView(Uint8Array.from([0x0a, 0x23, 0xd7, 0xce]).buffer).getFloat32(0, true);
    const whole = writeRecordIO([{ features: [1, magicFloat, 2, magicFloat, 3], label: 4 }]);
    const payload = whole.subarray(8, 8 + whole.readUInt32LE(4));
    const magic = Buffer.from([0x0a, 0x23, 0xd7, 0xce]);
    const first = payload.indexOf(magic);
    const second = payload.indexOf(magic, first + 4);
    expect(first).toBeGreaterThan(0);
    const parts = [payload.subarray(0, first), payload.subarray(first + 4, second), payload.subarray(second + 4)];
    const frames = parts.map((p, i) => {
      const header = Buffer.alloc(8);
      header.writeUInt32LE(0xced7230a, 0);
      header.writeUInt32LE((((i === 0 ? 1 : i === 1 ? 2 : 3) << 29) | p.length) >>> 0, 4);
      return Buffer.concat([header, p, Buffer.alloc((4 - (p.length % 4)) % 4)]);
    });
    const split = Buffer.concat([frames[0], frames[1], frames[2], writeRecordIO([{ features: [9] }])]);
    const records = readRecordIO(split);
    expect(records).toHaveLength(2);
    const values = Array.from(records[0].features.values.values as Float32Array);
    expect(values[0]).toBe(1);
    expect(values[4]).toBe(3);
    expect(Buffer.from(Float32Array.from(values).buffer).equals(Buffer.from(Float32Array.from([1, magicFloat, 2, magicFloat, 3]).buffer))).toBe(true);
  });

  it('rejects bad magic and truncated frames', () => {
    expect(() => readRecordIO(Buffer.from('00112233', 'hex'))).toThrow();
    const good = writeRecordIO([{ features: [1, 2] }]);
    expect(() => readRecordIO(good.subarray(0, good.length - 4))).toThrow(/truncated/);
    const bad = Buffer.from(good);
    bad[0] = 0;
    expect(() => readRecordIO(bad)).toThrow(/magic/);
    expect(frameRecords([]).length).toBe(0);
  });
});

// ---------------------------------------------------------------- images, metric definitions

describe('images and metric definitions', () => {
  it('recognises built-in algorithm images', () => {
    expect(algorithmForImage('382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1')).toBe('linear-learner');
    expect(algorithmForImage('174872318107.dkr.ecr.us-west-2.amazonaws.com/kmeans:latest')).toBe('kmeans');
    expect(algorithmForImage(`438346466558.dkr.ecr.eu-west-1.amazonaws.com/kmeans@sha256:${'a'.repeat(64)}`)).toBe('kmeans');
    expect(algorithmForImage('123456789012.dkr.ecr.eu-north-1.amazonaws.com/linear-learner:1')).toBe('linear-learner');
    expect(algorithmForImage('123456789012.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1')).toBeUndefined();
    expect(algorithmForImage('382416733822.dkr.ecr.us-east-1.amazonaws.com/xgboost:1')).toBeUndefined();
    expect(algorithmForImage('linear-learner:1')).toBeUndefined();
  });

  it('exposes compilable metric regexes per channel', () => {
    const ll = metricDefinitions('linear-learner');
    const names = ll.map((d) => d.Name);
    for (const n of ['train:objective_loss', 'validation:objective_loss', 'test:objective_loss', 'validation:binary_f_beta', 'test:multiclass_top_k_accuracy', 'train:progress', 'train:throughput', 'validation:rmse']) {
      expect(names).toContain(n);
    }
    for (const d of [...ll, ...metricDefinitions('kmeans')]) expect(() => new RegExp(d.Regex)).not.toThrow();
    expect(metricDefinitions('kmeans').map((d) => d.Name)).toContain('test:msd');
    expect(new RegExp(ll.find((d) => d.Name === 'test:binary_f_beta')!.Regex).exec('#quality_metric: host=algo-1, test binary_f_1.000 <score>=0.5')?.[1]).toBe('0.5');
  });
});

// ---------------------------------------------------------------- hyperparameters

describe('hyperparameter validation', () => {
  const ok = { predictor_type: 'binary_classifier' };
  const err = (alg: 'linear-learner' | 'kmeans', hp: Record<string, string>) => {
    try {
      validateHyperParameters(alg, hp);
    } catch (e) {
      expect(e).toBeInstanceOf(AlgorithmError);
      return (e as Error).message;
    }
    throw new Error('expected a validation error');
  };

  it('accepts valid sets, auto values, both boolean spellings and hidden keys', () => {
    expect(() => validateHyperParameters('linear-learner', { ...ok, use_bias: 'True', normalize_data: 'false', learning_rate: 'auto', num_models: '4', _tuning_objective_metric: 'validation:objective_loss', _kvstore: 'dist_sync' })).not.toThrow();
    expect(() => validateHyperParameters('linear-learner', { predictor_type: 'multiclass_classifier', num_classes: '5', loss: 'softmax_loss' })).not.toThrow();
    expect(() => validateHyperParameters('kmeans', { k: '3', feature_dim: '2', eval_metrics: '["msd","ssd"]', force_dense: 'True', init_method: 'kmeans++' })).not.toThrow();
  });

  it('names the offending hyperparameter', () => {
    expect(err('linear-learner', { ...ok, mini_batch_siz: '10' })).toBe("Additional properties are not allowed ('mini_batch_siz' was unexpected)");
    expect(err('linear-learner', {})).toMatch(/'predictor_type' is a required property/);
    expect(err('linear-learner', { predictor_type: 'clustering' })).toMatch(/predictor_type/);
    expect(err('linear-learner', { ...ok, mini_batch_size: '0' })).toMatch(/mini_batch_size/);
    expect(err('linear-learner', { ...ok, epochs: '1.5' })).toMatch(/epochs/);
    expect(err('linear-learner', { ...ok, use_bias: 'yes' })).toMatch(/use_bias/);
    expect(err('linear-learner', { ...ok, learning_rate: '-1' })).toMatch(/learning_rate/);
    expect(err('linear-learner', { ...ok, beta_1: '1' })).toMatch(/beta_1/);
    expect(err('linear-learner', { ...ok, loss: 'squared_loss' })).toMatch(/loss/);
    expect(err('linear-learner', { ...ok, positive_example_weight_mult: '-2' })).toMatch(/positive_example_weight_mult/);
    expect(err('linear-learner', { predictor_type: 'multiclass_classifier' })).toMatch(/num_classes/);
    expect(err('linear-learner', { predictor_type: 'multiclass_classifier', num_classes: '2' })).toMatch(/num_classes/);
    expect(err('kmeans', { feature_dim: '2' })).toMatch(/'k' is a required property/);
    expect(err('kmeans', { k: '1', feature_dim: '2' })).toMatch(/'k'/);
    expect(err('kmeans', { k: '2', feature_dim: '2', eval_metrics: '["rmse"]' })).toMatch(/eval_metrics/);
    expect(err('kmeans', { k: '2', feature_dim: '2', local_lloyd_tol: '2' })).toMatch(/local_lloyd_tol/);
  });
});

// ---------------------------------------------------------------- linear learner training

describe('linear-learner training', () => {
  it('regressor reaches the exact least-squares solution on noiseless data', async () => {
    const rng = new Rng(11);
    const w = [1.5, -2, 0.5, 3, -0.25, 0.8];
    const trainRows = linearData(rng, 4000, w, 4.2, 'reg');
    const testRows = linearData(rng, 500, w, 4.2, 'reg');
    const { lines, model } = await run('linear-learner', { predictor_type: 'regressor', feature_dim: '6' }, [
      csvChannel('train', trainRows),
      csvChannel('validation', testRows),
      csvChannel('test', testRows),
    ]);
    let variance = 0;
    const mean = testRows.reduce((s, r) => s + r[0], 0) / testRows.length;
    for (const r of testRows) variance += (r[0] - mean) ** 2 / testRows.length;
    const testMse = metric(lines, 'linear-learner', 'test:mse')!;
    expect(testMse / variance).toBeLessThan(1e-4);
    const pred = json(model.predict(Buffer.from('1,0,0,0,0,0'), 'text/csv', undefined));
    expect(pred.predictions[0].score).toBeCloseTo(4.2 + 1.5, 2);
    expect(metric(lines, 'linear-learner', 'validation:objective_loss:final')).toBeDefined();
    expect(lines.some((l) => l.includes('Using tfjs backend:'))).toBe(true);
  });

  it('binary classifier is accurate on a held-out split (RecordIO, gzip) and logs the contract lines', async () => {
    const rng = new Rng(12);
    const w = [2, -1, 0.5, 1.5, -2, 1, 0.3, -0.7, 1.2, 0.9];
    const toRecords = (rows: number[][]) => writeRecordIO(rows.map(([y, ...x]) => ({ features: x, label: y })));
    const trainRows = linearData(rng, 6000, w, 0.5, 'bin');
    const valRows = linearData(rng, 1000, w, 0.5, 'bin');
    const heldOut = linearData(rng, 1000, w, 0.5, 'bin');
    const { lines, model } = await run('linear-learner', { predictor_type: 'binary_classifier', feature_dim: '10', mini_batch_size: '200', epochs: '10' }, [
      { name: 'train', contentType: 'application/x-recordio-protobuf', compression: 'Gzip', files: [writeTmp(toRecords(trainRows), true)] },
      { name: 'validation', compression: 'None', files: [writeTmp(toRecords(valRows))] },
    ]);
    const batch = heldOut.map((r) => r.slice(1).join(',')).join('\n');
    const preds = json(model.predict(Buffer.from(batch), 'text/csv', 'application/json')).predictions;
    const accuracy = preds.filter((p: { predicted_label: number }, i: number) => p.predicted_label === heldOut[i][0]).length / heldOut.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.97);
    for (const p of preds) expect(p.score).toBeGreaterThanOrEqual(0), expect(p.score).toBeLessThanOrEqual(1);

    expect(lines.every((l) => /^\[\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d (INFO|WARNING|ERROR) \d+\] /.test(l))).toBe(true);
    expect(lines.some((l) => /#quality_metric: host=algo-1, epoch=0, train binary_classification_cross_entropy_objective <loss>=\S+$/.test(l))).toBe(true);
    expect(lines.some((l) => /#quality_metric: host=algo-1, epoch=0, validation binary_classification_cross_entropy_objective <loss>=\S+$/.test(l))).toBe(true);
    expect(lines.some((l) => l.endsWith("'num_models' was set to 'auto', evaluated to 32."))).toBe(true);
    expect(lines.some((l) => /#validation_score \(algo-1\) : \('binary_classification_accuracy', [\d.]+\)$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('Best model found for hyperparameters: {'))).toBe(true);
    expect(lines.some((l) => l.endsWith('Test data is not provided.'))).toBe(true);
    expect(metric(lines, 'linear-learner', 'validation:binary_classification_accuracy')).toBeGreaterThanOrEqual(0.97);
    expect(metric(lines, 'linear-learner', 'validation:binary_f_beta')).toBeGreaterThan(0.9);
    expect(metric(lines, 'linear-learner', 'train:progress')).toBeGreaterThan(0);
    expect(metric(lines, 'linear-learner', 'train:throughput')).toBeGreaterThan(0);
  });

  it('multiclass classifier separates Gaussian classes and reports multiclass metrics', async () => {
    const rng = new Rng(13);
    const means = [[4, 0, 0, 1], [0, 4, 0, -1], [0, 0, 4, 1], [-3, -3, -3, 0]];
    const { lines, model } = await run('linear-learner', { predictor_type: 'multiclass_classifier', num_classes: '4', feature_dim: '4', epochs: '8', num_models: '8' }, [
      csvChannel('train', multiclassData(rng, 4000, means)),
      csvChannel('test', multiclassData(rng, 800, means)),
    ]);
    expect(metric(lines, 'linear-learner', 'test:multiclass_accuracy')).toBeGreaterThan(0.95);
    for (const name of ['test:dcg', 'test:macro_recall', 'test:macro_precision', 'test:macro_f_beta', 'test:multiclass_top_k_accuracy', 'test:objective_loss']) {
      expect(metric(lines, 'linear-learner', name)).toBeDefined();
    }
    const out = json(model.predict(Buffer.from('4,0,0,1'), 'text/csv', undefined)).predictions[0];
    expect(out.predicted_label).toBe(0);
    expect(out.score).toHaveLength(4);
    expect(out.score.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('trains other losses, sgd and sparse input; is deterministic for a seed', async () => {
    const rng = new Rng(14);
    const w = [1, -1, 2];
    const rows = linearData(rng, 1500, w, 0, 'reg');
    // Sparse RecordIO: zero features are omitted.
    const sparse = writeRecordIO(rows.map(([y, ...x]) => {
      const keys = x.map((_, j) => j).filter((j) => j !== 1 || y > 0);
      return { features: { keys, values: keys.map((j) => x[j]), shape: [3] }, label: y };
    }));
    const channels: ChannelFiles[] = [{ name: 'train', contentType: 'application/x-recordio-protobuf', compression: 'None', files: [writeTmp(sparse)] }];
    const a = await run('linear-learner', { predictor_type: 'regressor', loss: 'huber_loss', optimizer: 'sgd', num_models: '4', epochs: '5' }, channels, 5);
    const b = await run('linear-learner', { predictor_type: 'regressor', loss: 'huber_loss', optimizer: 'sgd', num_models: '4', epochs: '5' }, channels, 5);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.lines.some((l) => l.includes('train huber_loss_objective <loss>='))).toBe(true);
    for (const loss of ['absolute_loss', 'quantile_loss', 'eps_insensitive_squared_loss']) {
      const r = await run('linear-learner', { predictor_type: 'regressor', loss, num_models: '2', epochs: '3', feature_dim: '3' }, channels);
      expect(Number.isFinite(json(r.model.predict(Buffer.from('1,2,3'), 'text/csv', undefined)).predictions[0].score)).toBe(true);
    }
    const hinge = await run('linear-learner', { predictor_type: 'binary_classifier', loss: 'hinge_loss', num_models: '2', epochs: '3', binary_classifier_model_selection_criteria: 'recall_at_target_precision' }, [csvChannel('train', linearData(rng, 1000, w, 0, 'bin'))]);
    expect([0, 1]).toContain(json(hinge.model.predict(Buffer.from('1,2,3'), 'text/csv', undefined)).predictions[0].predicted_label);
  });

  it('fails with client errors for bad data and missing channels', async () => {
    await expect(run('linear-learner', { predictor_type: 'binary_classifier' }, [csvChannel('train', [[2, 1, 1], [0, 1, 2]])])).rejects.toThrow(/0 or 1/);
    await expect(run('linear-learner', { predictor_type: 'regressor' }, [csvChannel('validation', [[1, 1]])])).rejects.toBeInstanceOf(AlgorithmError);
    await expect(run('linear-learner', { predictor_type: 'regressor', feature_dim: '3' }, [csvChannel('train', [[1, 1, 2]])])).rejects.toThrow(/features/);
    const badCsv: ChannelFiles = { name: 'train', contentType: 'text/csv', compression: 'None', files: [writeTmp('1,2,abc\n')] };
    await expect(run('linear-learner', { predictor_type: 'regressor' }, [badCsv])).rejects.toThrow(/abc/);
    await expect(run('linear-learner', { predictor_type: 'regressor', mini_batch_siz: '1' }, [badCsv])).rejects.toThrow(/mini_batch_siz/);
  });
});

// ---------------------------------------------------------------- kmeans

describe('kmeans training', () => {
  it('recovers planted, well-separated Gaussian clusters and logs the contract lines', async () => {
    const rng = new Rng(21);
    const k = 5, d = 4;
    const centers = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal() * 15));
    const points = Array.from({ length: 3000 }, (_, i) => centers[i % k].map((v) => v + rng.normal() * 0.5));
    const { lines, model } = await run('kmeans', { k: String(k), feature_dim: String(d), eval_metrics: "['msd', 'ssd']", mini_batch_size: '500' }, [
      csvChannel('train', points, 'text/csv;label_size=0'),
      csvChannel('test', points.slice(0, 500), 'text/csv; label_size=0'),
    ]);
    expect(lines.some((l) => l.endsWith("'extra_center_factor' was set to 'auto', evaluated to 10."))).toBe(true);
    expect(lines.some((l) => l.endsWith(`shrinking ${k * 10} centers into ${k}`))).toBe(true);
    expect(lines.filter((l) => /local kmeans attempt #\d+\. Current mean square distance \S+$/.test(l))).toHaveLength(10);
    expect(metric(lines, 'kmeans', 'train:msd')).toBeDefined();
    const msd = metric(lines, 'kmeans', 'test:msd')!;
    expect(msd).toBeLessThan(d * 0.25 * 1.3);
    expect(metric(lines, 'kmeans', 'test:ssd')).toBeCloseTo(msd * 500, 3);
    // Each planted centre maps to a distinct cluster at small distance.
    const res = json(model.predict(Buffer.from(csv(centers)), 'text/csv', 'application/json')).predictions;
    expect(new Set(res.map((p: { closest_cluster: number }) => p.closest_cluster)).size).toBe(k);
    for (const p of res) expect(p.distance_to_cluster).toBeLessThan(0.3);
  });

  it('rejects too few records', async () => {
    await expect(run('kmeans', { k: '3', feature_dim: '1' }, [csvChannel('train', [[1], [2]])])).rejects.toThrow(/fewer than k/);
  });
});

// ---------------------------------------------------------------- artifacts and serving

describe('artifacts', () => {
  it('packs and unpacks model.tar.gz holding model_algo-1', async () => {
    const payload = Buffer.from('hello model');
    const tgz = await packModelArtifact(payload);
    expect(tgz[0]).toBe(0x1f);
    expect((await unpackModelArtifact(tgz)).equals(payload)).toBe(true);
    await expect(unpackModelArtifact(Buffer.from('not gzip'))).rejects.toThrow();
    await expect(unpackModelArtifact(gzipSync(Buffer.alloc(1024)))).rejects.toThrow(/model_algo-1/);
  });

  it('loadModel rejects garbage', () => {
    expect(() => loadModel(Buffer.from('garbage'))).toThrow(/neither a Linear Learner model/);
    expect(() => loadModel(Buffer.alloc(0))).toThrow();
  });
});

describe('inference formats', async () => {
  const rng = new Rng(31);
  const w = [1, 2, -1];
  const reg = (await run('linear-learner', { predictor_type: 'regressor', num_models: '4', mini_batch_size: '50' }, [csvChannel('train', linearData(rng, 1000, w, 1, 'reg'))])).model;
  const bin = (await run('linear-learner', { predictor_type: 'binary_classifier', num_models: '4' }, [csvChannel('train', linearData(rng, 1000, w, 1, 'bin'))])).model;
  const km = (await run('kmeans', { k: '2', feature_dim: '3' }, [csvChannel('train', [[0, 0, 0], [0, 0, 1], [10, 10, 10], [10, 10, 11], [0, 1, 0], [10, 11, 10]])])).model;
  const expected = 1 + 1 * 1 + 2 * 2 - 1 * 3;

  it('regressor: csv (with charset), all JSON shapes, jsonlines, RecordIO in and out', () => {
    const one = (r: { body: Buffer | string }) => json(r).predictions[0].score;
    expect(one(reg.predict(Buffer.from('1,2,3\n'), 'text/csv; charset=utf-8', '*/*'))).toBeCloseTo(expected, 2);
    expect(one(reg.predict(Buffer.from('{"instances":[{"features":[1,2,3]}]}'), 'application/json', 'application/json'))).toBeCloseTo(expected, 2);
    expect(one(reg.predict(Buffer.from('{"instances":[{"data":{"features":{"values":[1,2,3]}}}]}'), 'application/json', undefined))).toBeCloseTo(expected, 2);
    expect(one(reg.predict(Buffer.from('{"instances":[{"data":{"features":{"keys":[0,1,2],"shape":[3],"values":[1,2,3]}}}]}'), 'application/json', undefined))).toBeCloseTo(expected, 2);
    const lines = reg.predict(Buffer.from('{"features":[1,2,3]}\n{"features":[0,0,0]}\n'), 'application/jsonlines', 'application/jsonlines');
    expect(lines.contentType).toBe('application/jsonlines');
    const parsed = String(lines.body).trim().split('\n').map((l) => JSON.parse(l));
    expect(parsed[0].score).toBeCloseTo(expected, 2);
    expect(parsed[1].score).toBeCloseTo(1, 2);
    const rec = reg.predict(writeRecordIO([{ features: [1, 2, 3] }, { features: { keys: [1], values: [1], shape: [3] } }]), 'application/x-recordio-protobuf', 'application/x-recordio-protobuf');
    expect(rec.contentType).toBe('application/x-recordio-protobuf');
    const out = readRecordIO(answerBytes(rec.body));
    expect(out).toHaveLength(2);
    expect(out[0].label.score.values[0]).toBeCloseTo(expected, 2);
    expect(out[1].label.score.values[0]).toBeCloseTo(3, 2);
    expect(out[0].label.predicted_label).toBeUndefined();
    const many = Array.from({ length: 5000 }, (_, i) => `${i % 7},${i % 3},1`).join('\n');
    expect(json(reg.predict(Buffer.from(many), 'text/csv', undefined)).predictions).toHaveLength(5000);
  });

  it('binary: score and predicted_label in JSON and RecordIO', () => {
    const p = json(bin.predict(Buffer.from('5,5,0'), 'text/csv', undefined)).predictions[0];
    expect(Object.keys(p)).toEqual(['score', 'predicted_label']);
    expect(p.predicted_label).toBe(1);
    expect(p.score).toBeGreaterThan(0.5);
    const [r] = readRecordIO(bin.predict(Buffer.from('-5,-5,0'), 'text/csv', 'application/x-recordio-protobuf').body as Buffer);
    expect(r.label.predicted_label.values[0]).toBe(0);
    expect(r.label.score.values).toHaveLength(1);
  });

  it('kmeans: closest_cluster and Euclidean distance in JSON, CSV and RecordIO', () => {
    const j = json(km.predict(Buffer.from('0,0,0\n10,10,10'), 'text/csv', undefined)).predictions;
    expect(j[0].closest_cluster).not.toBe(j[1].closest_cluster);
    const c = km.predict(Buffer.from('[{"features":[0,0,3]}]'.replace(/^\[/, '{"instances":[').replace(/\]$/, ']}')), 'application/json', 'text/csv');
    expect(c.contentType).toBe('text/csv');
    const [cluster, distance] = String(c.body).trim().split(',').map(Number);
    expect(cluster).toBe(j[0].closest_cluster);
    // Centre is (0, 1/3, 1/3): distance from (0,0,3) is sqrt(1/9 + 64/9).
    expect(distance).toBeCloseTo(Math.sqrt(65) / 3, 3);
    const [r] = readRecordIO(km.predict(writeRecordIO([{ features: [10, 10, 10] }]), 'application/x-recordio-protobuf', 'application/x-recordio-protobuf').body as Buffer);
    expect(r.label.closest_cluster.values[0]).toBe(j[1].closest_cluster);
    expect(r.label.distance_to_cluster.values).toHaveLength(1);
  });

  it('rejects bad payloads (400) and unsupported media types (415/406)', () => {
    const errorOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as Error & { originalStatus?: number };
      }
      throw new Error('expected an error');
    };
    const wrongWidth = errorOf(() => reg.predict(Buffer.from('1,2'), 'text/csv', undefined));
    expect(wrongWidth).toBeInstanceOf(InferenceInputError);
    expect(wrongWidth.originalStatus).toBe(400);
    expect(errorOf(() => reg.predict(Buffer.from('1,x,3'), 'text/csv', undefined))).toBeInstanceOf(InferenceInputError);
    expect(errorOf(() => reg.predict(Buffer.from('{bad json'), 'application/json', undefined))).toBeInstanceOf(InferenceInputError);
    expect(errorOf(() => reg.predict(Buffer.from('garbage!'), 'application/x-recordio-protobuf', undefined))).toBeInstanceOf(InferenceInputError);
    const media = errorOf(() => reg.predict(Buffer.from('1,2,3'), 'image/png', undefined));
    expect(media).toBeInstanceOf(UnsupportedMediaError);
    expect(media.originalStatus).toBe(415);
    const acc = errorOf(() => reg.predict(Buffer.from('1,2,3'), 'text/csv', 'text/csv'));
    expect(acc).toBeInstanceOf(UnsupportedMediaError);
    expect(acc.originalStatus).toBe(406);
    expect(errorOf(() => km.predict(Buffer.from('1,2,3'), 'text/csv', 'image/png'))).toBeInstanceOf(UnsupportedMediaError);
  });
});
