/**
 * Operations on resources the engine already serves, that say more than the engine's generic
 * verbs: model package group policies and batch describe, model card versions and exports,
 * feature metadata, and monitoring executions and alerts. Each calls the engine's own operations
 * for the resource it hangs on, so not-found errors are the family's.
 */
import type { OperationHandler } from '../../protocol/aws-json.js';
import { sagemakerModel } from '../../protocol/service-model.js';
import type { ServiceDeps } from '../deps.js';
import { FeatureMetadata } from './feature-store/feature-metadata.js';
import { ModelCardExports } from './model-cards/export-jobs.js';
import { ModelCardVersions } from './model-cards/versions.js';
import { MonitoringExecutions } from './monitoring/executions.js';
import { batchDescribeModelPackage } from './registry/batch-describe.js';
import { GroupPolicies } from './registry/group-policies.js';

export const RESOURCE_EXTRA_OPERATIONS = [
  'PutModelPackageGroupPolicy', 'GetModelPackageGroupPolicy', 'DeleteModelPackageGroupPolicy', 'BatchDescribeModelPackage', 'ListModelMetadata',
  'ListModelCardVersions', 'CreateModelCardExportJob', 'DescribeModelCardExportJob', 'ListModelCardExportJobs',
  'DescribeFeatureMetadata', 'UpdateFeatureMetadata',
  'ListMonitoringExecutions', 'ListMonitoringAlerts', 'ListMonitoringAlertHistory', 'UpdateMonitoringAlert',
];

/** `served`: the operation table so far (engine and hand-written); some of its ModelCard operations are wrapped here. */
export function resourceExtras(deps: ServiceDeps, served: Record<string, OperationHandler>): Record<string, OperationHandler> {
  const model = sagemakerModel();
  const policies = new GroupPolicies(deps, served);
  const versions = new ModelCardVersions(deps, model, served);
  const exports = new ModelCardExports(deps, model, versions);
  const features = new FeatureMetadata(deps, model, served);
  return {
    PutModelPackageGroupPolicy: (i, c) => policies.put(i, c),
    GetModelPackageGroupPolicy: (i, c) => policies.get(i, c),
    DeleteModelPackageGroupPolicy: (i, c) => policies.delete(i, c),
    BatchDescribeModelPackage: (i, c) => batchDescribeModelPackage(model, served, i, c),
    // The catalogue of public model-zoo models Inference Recommender knows is AWS's data, not
    // available offline: the list is empty.
    ListModelMetadata: () => ({ ModelMetadataSummaries: [] }),
    ...versions.operations(),
    CreateModelCardExportJob: (i, c) => exports.create(i, c),
    DescribeModelCardExportJob: (i, c) => exports.describe(i, c),
    ListModelCardExportJobs: (i, c) => exports.list(i, c),
    DescribeFeatureMetadata: (i, c) => features.describe(i, c),
    UpdateFeatureMetadata: (i, c) => features.update(i, c),
    ...new MonitoringExecutions(served).operations(),
  };
}
