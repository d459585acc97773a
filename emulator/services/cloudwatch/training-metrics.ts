import type { Scope } from '../../storage/database.js';
import type { ScrapedMetric } from '../../training/metrics.js';
import type { MetricStore } from './metric-store.js';

export const TRAINING_NAMESPACE = '/aws/sagemaker/TrainingJobs';

/**
 * A value scraped by a metric definition, as SageMaker publishes it to CloudWatch: namespace
 * /aws/sagemaker/TrainingJobs, under the host's dimension (Host = <job>/algo-1) and under the
 * job's (TrainingJobName = <job>, which the SageMaker Python SDK's TrainingJobAnalytics queries).
 */
export function publishTrainingMetric(store: MetricStore, scope: Scope, jobName: string, m: ScrapedMetric): void {
  const at = m.Timestamp.getTime();
  for (const dims of [[{ Name: 'Host', Value: `${jobName}/algo-1` }], [{ Name: 'TrainingJobName', Value: jobName }]]) {
    store.add(store.seriesFor(scope, TRAINING_NAMESPACE, m.MetricName, dims, 'None'), at, m.Value);
  }
}
