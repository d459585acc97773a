/** The property paths Search filters name, on documents shaped as Describe answers them. */
import { describe, expect, it } from 'vitest';
import { matches, valueAt } from '../emulator/services/sagemaker/search/expression.js';

const job = {
  TrainingJobName: 'j',
  CreationTime: new Date('2026-01-02T00:00:00Z'),
  HyperParameters: { epochs: '10' },
  FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.91 }],
  Tags: [{ Key: 'team', Value: 'growth' }],
};
const component = { Parameters: { lr: { NumberValue: 0.01 } }, Metrics: [{ MetricName: 'loss', Max: 0.9, Last: 0.2 }] };

describe('Search property paths', () => {
  it('reads metrics, parameters, tags and times', () => {
    expect(valueAt(job, 'Metrics.validation:auc')).toBe(0.91);
    expect(valueAt(job, 'Tags.team')).toBe('growth');
    expect(valueAt(component, 'Parameters.lr')).toBe(0.01);
    expect(valueAt(component, 'Metrics.loss.Last')).toBe(0.2);
    expect(matches(job, { Filters: [{ Name: 'Metrics.validation:auc', Operator: 'GreaterThan', Value: '0.9' }] })).toBe(true);
    expect(matches(job, { Filters: [{ Name: 'CreationTime', Operator: 'LessThan', Value: '2026-01-01T00:00:00Z' }] })).toBe(false);
    expect(matches(job, { Filters: [{ Name: 'HyperParameters.epochs', Operator: 'In', Value: '3, 10' }] })).toBe(true);
  });
});
