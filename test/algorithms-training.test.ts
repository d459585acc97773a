/**
 * Training the built-in linear-learner and kmeans in-process on synthetic data: accuracy, the
 * log lines and metrics SageMaker's contract names, and client errors.
 */
import { describe, expect, it } from 'vitest';
import { AlgorithmError, writeRecordIO, type ChannelFiles } from '../algorithms/index.js';
import { Rng } from '../core/random.js';
import { csv, json, linearData, metric, multiclassData, run, useChannelFiles } from './helpers/algorithm-training.js';

const { writeTmp, csvChannel } = useChannelFiles();

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
