import type { OperationHandler } from '../../../protocol/aws-json.js';
import { sagemakerModel } from '../../../protocol/service-model.js';
import type { ServiceDeps } from '../../deps.js';
import { AwsError } from '../../../protocol/errors.js';
import { ResourceEngine } from './engine.js';
import { MODEL_REGISTRY_OPERATIONS, ModelRegistry } from './model-registry.js';
import { deriveFamilies, type Family } from './families.js';
import { createKeyedOperations } from './keyed/index.js';
import { ML_JOB_FAMILIES } from '../ml-jobs-catalog.js';

/**
 * Families the generic engine does not take, and why. Hand-written services own theirs; jobs whose
 * product is computed output are left unserved rather than faked (a metadata-only transform job
 * would say Completed and write nothing).
 */
export const NOT_GENERIC: Record<string, string> = {
  TrainingJob: 'hand-written service (runs real training)',
  Model: 'hand-written service',
  EndpointConfig: 'hand-written service',
  Endpoint: 'hand-written service (runs real serving)',
  HyperParameterTuningJob: 'hand-written service (runs real tuning)',
  Pipeline: 'hand-written service (pipelines/: runs the steps)',
  ProcessingJob: 'hand-written service (runs the processing container)',
  ModelPackage: 'the model registry (model-registry.ts) serves it: versions numbered per group',
  TransformJob: 'hand-written service (runs real batch transform)',
  ...ML_JOB_FAMILIES,
  InferenceComponent: 'hand-written service (inference-components.ts: hosts a model on an endpoint, served for real)',
  InferenceExperiment: 'hand-written service (inference-experiments.ts: shadow tests mirror real requests)',
  ImageVersion: 'keyed by image name and version: keyed/image-versions.ts serves it',
};

let derived: ReturnType<typeof deriveFamilies> | undefined;

/** The families the engine serves (derived once from the vendored model). */
export function engineFamilies(): Family[] {
  derived ??= deriveFamilies(sagemakerModel(), (name) => name in NOT_GENERIC);
  return derived.families;
}

/** Families the model declares that could not be derived generically, with the reason. */
export function underivedFamilies(): Record<string, string> {
  engineFamilies();
  return derived!.skipped;
}

export { MODEL_REGISTRY_OPERATIONS };

/** Every operation the engine serves, for the families no hand-written service owns. */
export function createEngineOperations(deps: ServiceDeps, handWritten: Record<string, OperationHandler>): Record<string, OperationHandler> {
  const registry = new ModelRegistry(deps, sagemakerModel());
  const engine = new ResourceEngine(deps, sagemakerModel(), {
    ModelPackageGroup: (scope, name) =>
      registry.groupInUse(scope, name) ? new AwsError('ConflictException', `Model Package Group ${name} still has model package versions; delete them first.`) : undefined,
  });
  const out: Record<string, OperationHandler> = {};
  for (const family of engineFamilies()) {
    for (const [op, handler] of Object.entries(engine.operations(family))) if (!handWritten[op]) out[op] = handler;
  }
  for (const [op, handler] of Object.entries(registry.operations())) if (!handWritten[op]) out[op] = handler;
  // Families keyed by several members or by identifiers the service assigns (keyed/).
  for (const [op, handler] of Object.entries(createKeyedOperations(deps))) if (!handWritten[op]) out[op] = handler;
  return out;
}
