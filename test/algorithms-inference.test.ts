/**
 * The built-in algorithms' model artifacts and inference formats (CSV, JSON, JSON Lines,
 * RecordIO-protobuf), on models trained in-process.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { answerBytes, InferenceInputError, loadModel, packModelArtifact, readRecordIO, unpackModelArtifact, UnsupportedMediaError, writeRecordIO } from '../algorithms/index.js';
import { Rng } from '../core/random.js';
import { json, linearData, run, useChannelFiles } from './helpers/algorithm-training.js';

const { csvChannel } = useChannelFiles();

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
