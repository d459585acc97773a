import { HpReader, type Spec, validateAgainst } from '../hyperparameter-spec.js';

export const KMEANS_SPECS: Record<string, Spec> = {
  feature_dim: { kind: 'int', min: 1 },
  k: { kind: 'int', min: 2 },
  epochs: { kind: 'int', min: 1 },
  eval_metrics: { kind: 'metric-list', values: ['msd', 'ssd'] },
  extra_center_factor: { kind: 'int', min: 1, auto: true },
  half_life_time_size: { kind: 'int', min: 0 },
  init_method: { kind: 'enum', values: ['random', 'kmeans++'] },
  local_lloyd_init_method: { kind: 'enum', values: ['random', 'kmeans++'] },
  local_lloyd_max_iter: { kind: 'int', min: 1 },
  local_lloyd_num_trials: { kind: 'int', min: 1, auto: true },
  local_lloyd_tol: { kind: 'float', min: 0, max: 1 },
  mini_batch_size: { kind: 'int', min: 1 },
  force_dense: { kind: 'bool' },
};

export const AUTO_EXTRA_CENTER_FACTOR = 10;
export const AUTO_LOCAL_LLOYD_TRIALS = 10;

export interface KMeansConfig {
  featureDim: number;
  k: number;
  epochs: number;
  evalMetrics: ('msd' | 'ssd')[];
  extraCenterFactor: number;
  extraCenterFactorAuto: boolean;
  halfLifeTimeSize: number;
  initMethod: 'random' | 'kmeans++';
  localLloydInitMethod: 'random' | 'kmeans++';
  localLloydMaxIter: number;
  localLloydNumTrials: number;
  localLloydNumTrialsAuto: boolean;
  localLloydTol: number;
  miniBatchSize: number;
}

export function validateKMeans(hp: Record<string, string>): KMeansConfig {
  validateAgainst(hp, KMEANS_SPECS, ['feature_dim', 'k']);
  const r = new HpReader(hp);
  const evalMetrics = hp.eval_metrics === undefined ? ['msd'] : (JSON.parse(hp.eval_metrics.trim().replace(/'/g, '"')) as string[]);
  return {
    featureDim: r.num('feature_dim', 0),
    k: r.num('k', 0),
    epochs: r.num('epochs', 1),
    evalMetrics: [...new Set(evalMetrics)] as ('msd' | 'ssd')[],
    extraCenterFactor: r.num('extra_center_factor', AUTO_EXTRA_CENTER_FACTOR),
    extraCenterFactorAuto: r.isAuto('extra_center_factor'),
    halfLifeTimeSize: r.num('half_life_time_size', 0),
    initMethod: r.str('init_method', 'random') as 'random' | 'kmeans++',
    localLloydInitMethod: r.str('local_lloyd_init_method', 'kmeans++') as 'random' | 'kmeans++',
    localLloydMaxIter: r.num('local_lloyd_max_iter', 300),
    localLloydNumTrials: r.num('local_lloyd_num_trials', AUTO_LOCAL_LLOYD_TRIALS),
    localLloydNumTrialsAuto: r.isAuto('local_lloyd_num_trials'),
    localLloydTol: r.num('local_lloyd_tol', 0.0001),
    miniBatchSize: r.num('mini_batch_size', 5000),
  };
}
