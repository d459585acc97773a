/** MetricDefinitions the service attaches to built-in algorithm jobs (sections 1.6 and 2.2). */
import type { AlgorithmName } from './types.js';

export interface MetricDefinition {
  Name: string;
  Regex: string;
}

const qm = (rest: string) => `#quality_metric: host=\\S+, ${rest}`;

function linearLearnerDefinitions(): MetricDefinition[] {
  const defs: MetricDefinition[] = [];
  for (const ch of ['train', 'validation']) {
    defs.push({ Name: `${ch}:objective_loss`, Regex: qm(`epoch=\\S+, ${ch} \\S+_objective <loss>=(\\S+)`) });
  }
  for (const ch of ['train', 'validation']) {
    defs.push({ Name: `${ch}:objective_loss:final`, Regex: qm(`${ch} \\S+_objective <loss>=(\\S+)`) });
  }
  defs.push({ Name: 'test:objective_loss', Regex: qm('test \\S+_objective <loss>=(\\S+)') });
  for (const ch of ['train', 'validation', 'test']) {
    for (const name of ['mse', 'rmse', 'absolute_loss']) defs.push({ Name: `${ch}:${name}`, Regex: qm(`${ch} ${name} <loss>=(\\S+)`) });
    for (const name of ['binary_classification_accuracy', 'precision', 'recall']) {
      defs.push({ Name: `${ch}:${name}`, Regex: qm(`${ch} ${name} <score>=(\\S+)`) });
    }
    defs.push({ Name: `${ch}:binary_f_beta`, Regex: qm(`${ch} binary_f_\\S+ <score>=(\\S+)`) });
  }
  for (const ch of ['validation', 'test']) {
    defs.push({ Name: `${ch}:roc_auc_score`, Regex: qm(`${ch} roc_auc_score <score>=(\\S+)`) });
    for (const name of ['multiclass_accuracy', 'dcg', 'macro_precision', 'macro_recall']) {
      defs.push({ Name: `${ch}:${name}`, Regex: qm(`${ch} ${name} <score>=(\\S+)`) });
    }
    defs.push({ Name: `${ch}:macro_f_beta`, Regex: qm(`${ch} macro_f_\\S+ <score>=(\\S+)`) });
    defs.push({ Name: `${ch}:multiclass_top_k_accuracy`, Regex: qm(`${ch} multiclass_top_k_accuracy_\\S+ <score>=(\\S+)`) });
  }
  defs.push({ Name: 'train:progress', Regex: '#progress_metric: host=\\S+, completed (\\S+) %' });
  defs.push({ Name: 'train:throughput', Regex: '#throughput_metric: host=\\S+, train throughput=(\\S+) records/second' });
  return defs;
}

function kmeansDefinitions(): MetricDefinition[] {
  return [
    { Name: 'test:msd', Regex: qm('test msd <loss>=(\\S+)') },
    { Name: 'test:ssd', Regex: qm('test ssd <loss>=(\\S+)') },
    { Name: 'train:msd', Regex: qm('train msd <loss>=(\\S+)') },
    { Name: 'train:progress', Regex: '#progress_metric: host=\\S+, completed (\\S+) %' },
    { Name: 'train:throughput', Regex: '#throughput_metric: host=\\S+, train throughput=(\\S+) records/second' },
  ];
}

export function metricDefinitions(algorithm: AlgorithmName): MetricDefinition[] {
  return algorithm === 'kmeans' ? kmeansDefinitions() : linearLearnerDefinitions();
}
