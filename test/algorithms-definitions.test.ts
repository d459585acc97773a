/**
 * What the built-in algorithms declare: the images that name them, their metric definitions,
 * and their hyperparameter validation.
 */
import { describe, expect, it } from 'vitest';
import { AlgorithmError, algorithmForImage, metricDefinitions, validateHyperParameters } from '../algorithms/index.js';

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
