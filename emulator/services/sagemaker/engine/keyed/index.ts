import type { OperationHandler } from '../../../../protocol/aws-json.js';
import { sagemakerModel } from '../../../../protocol/service-model.js';
import type { ServiceDeps } from '../../../deps.js';
import { Discovery, DISCOVERY_OPERATIONS } from './discovery.js';
import { KeyedEngine } from './engine.js';
import { deriveKeyedFamilies, type KeyedFamily } from './families.js';
import { HUB_CONTENT_OPERATIONS, HubContents } from './hub-content.js';
import { IMAGE_VERSION_OPERATIONS, ImageVersions } from './image-versions.js';

/**
 * The families keyed by several members or by identifiers the service assigns (Studio's domains,
 * user profiles, spaces and apps; MLflow and partner apps; HyperPod compute quotas and scheduler
 * configs), and the hand-written layers for image versions, hub contents and discovery.
 */
let derived: KeyedFamily[] | undefined;

export function keyedFamilies(): KeyedFamily[] {
  derived ??= deriveKeyedFamilies(sagemakerModel());
  return derived;
}

export function keyedFamilyOperations(f: KeyedFamily): string[] {
  return [f.ops.create, f.ops.describe, f.listMember ? f.ops.list : undefined, f.ops.update, f.ops.delete].filter((op): op is string => !!op);
}

/** Every operation served here, with the family the README's table files it under. */
export function keyedOperationFamilies(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of keyedFamilies()) for (const op of keyedFamilyOperations(f)) out.set(op, f.name);
  for (const op of IMAGE_VERSION_OPERATIONS) out.set(op, 'ImageVersion');
  for (const op of HUB_CONTENT_OPERATIONS) out.set(op, 'HubContent');
  for (const op of DISCOVERY_OPERATIONS) out.set(op, op === 'ListResourceCatalogs' ? 'ResourceCatalog' : 'SearchSuggestions');
  return out;
}

export function createKeyedOperations(deps: ServiceDeps): Record<string, OperationHandler> {
  const model = sagemakerModel();
  return {
    ...new KeyedEngine(deps, model, keyedFamilies()).operations(),
    ...new ImageVersions(deps, model).operations(),
    ...new HubContents(deps, model).operations(),
    ...new Discovery(deps, model).operations(),
  };
}
