/**
 * The MXNet formats of the built-in algorithms' model_algo-1: round trips, and errors that name
 * the real problem for corrupt or foreign files. (The independent Python reader/writer checks
 * the layout itself: test/python/sdk_v2/test_builtin_artifacts.py.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAlgorithmModel, loadModel } from '../algorithms/index.js';
import { encodeKMeansArtifact, encodeLinearLearnerArtifact } from '../algorithms/mxnet-artifact.js';
import { decodeNDArrayList, encodeNDArrayList } from '../algorithms/mxnet-ndarray.js';

const linear = {
  predictorType: 'multiclass_classifier' as const,
  loss: 'softmax_loss' as const,
  featureDim: 3,
  outputs: 2,
  weights: Float32Array.from([1, 2, 3, 4, 5, 6]), // [featureDim][outputs]
  bias: Float32Array.from([0.5, -0.5]),
  threshold: 0.5,
  hyperparameters: { epochs: 3 },
};

describe('MXNet artifacts', () => {
  it('an NDArray list round-trips with its names', () => {
    const bytes = encodeNDArrayList([{ shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, { shape: [1], data: Float32Array.from([9]) }], ['arg:a', 'arg:b']);
    const { arrays, names } = decodeNDArrayList(bytes);
    expect(names).toEqual(['arg:a', 'arg:b']);
    expect(arrays.map((a) => [a.shape, Array.from(a.data)])).toEqual([[[2, 2], [1, 2, 3, 4]], [[1], [9]]]);
    expect(() => decodeNDArrayList(bytes.subarray(0, bytes.length - 30))).toThrow(/truncated/);
  });

  it('linear-learner and k-means models round-trip through SageMaker\'s layouts', () => {
    const ll = decodeAlgorithmModel(encodeLinearLearnerArtifact(linear));
    expect(ll.algorithm).toBe('linear-learner');
    if (ll.algorithm !== 'linear-learner') return;
    expect(Array.from(ll.model.weights)).toEqual([1, 2, 3, 4, 5, 6]);
    expect([ll.model.predictorType, ll.model.loss, ll.model.featureDim, ll.model.outputs]).toEqual(['multiclass_classifier', 'softmax_loss', 3, 2]);
    const km = decodeAlgorithmModel(encodeKMeansArtifact({ k: 2, featureDim: 2, centroids: Float32Array.from([0, 0, 5, 5]) }));
    expect(km.algorithm === 'kmeans' && [km.model.k, km.model.featureDim, Array.from(km.model.centroids)]).toEqual([2, 2, [0, 0, 5, 5]]);
  });

  it('models of earlier localsage versions (v1 fixtures) still load', () => {
    for (const name of ['linear-learner', 'kmeans']) {
      const bytes = readFileSync(new URL(`./fixtures/model_algo-1.${name}.v1`, import.meta.url));
      expect(loadModel(bytes).algorithm).toBe(name);
    }
  });

  it('corrupt and foreign files get a message naming what they are', () => {
    const zip = encodeLinearLearnerArtifact(linear);
    expect(() => loadModel(zip.subarray(0, 60))).toThrow(/damaged zip archive/);
    expect(() => loadModel(Buffer.from([0x80, 0x04, 0x95, 0, 0, 0]))).toThrow(/Python pickle/);
    expect(() => loadModel(Buffer.from([0x1f, 0x8b, 8, 0]))).toThrow(/gzip-compressed/);
    expect(() => loadModel(Buffer.from('{"a":1}'))).toThrow(/JSON document/);
    expect(() => loadModel(Buffer.from('binf\0\0\0\0xgb'))).toThrow(/XGBoost model/);
    expect(() => loadModel(Buffer.alloc(0))).toThrow(/empty/);
    const notCentroids = encodeNDArrayList([{ shape: [4], data: new Float32Array(4) }]);
    expect(() => loadModel(notCentroids)).toThrow(/not a \[k, feature_dim\] matrix/);
  });
});
