import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { validation } from '../../../protocol/errors.js';
import type { ServiceModel } from '../../../protocol/service-model.js';
import type { Database, Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { listPage } from '../listing.js';
import { scopeOf } from '../scope.js';
import { GONE, requestInstant, statusAt, transition, type StatusTimeline } from './lifecycle.js';
import { conform } from './shapes.js';

/**
 * The model registry's packages on top of the engine's groups (kind `engine:ModelPackageGroup`):
 * a package created in a group is version N of it, N counting from 1 per group and never reused
 * after a delete; its ARN is model-package/<group>/<N> and its name <group>/<N>. A package
 * created by ModelPackageName alone is unversioned (model-package/<name>). Versioned packages
 * start PendingManualApproval unless the caller says otherwise; UpdateModelPackage moves
 * ModelApprovalStatus between Approved, Rejected and PendingManualApproval.
 */
const GROUP_KIND = 'engine:ModelPackageGroup';
const PACKAGE_KIND = 'engine:ModelPackage';

interface PackageRecord {
  input: Record<string, unknown>;
  arn: string;
  group?: string;
  version?: number;
  created: Date;
  modified: Date;
  timeline: StatusTimeline;
}

/**
 * The inference containers of a model package, by its unversioned name or any version's ARN (what
 * a ContainerDefinition's ModelPackageName names); undefined when there is no such package.
 */
export function modelPackageContainers(db: Database, scope: Scope, nameOrArn: string): Record<string, unknown>[] | undefined {
  const key = nameOrArn.startsWith('arn:') ? db.byArn(nameOrArn)?.name : nameOrArn;
  const found = key !== undefined ? db.get<PackageRecord>(scope, PACKAGE_KIND, key) : undefined;
  if (!found) return undefined;
  const spec = found.data.input.InferenceSpecification as { Containers?: Record<string, unknown>[] } | undefined;
  return spec?.Containers ?? [];
}

export const MODEL_REGISTRY_OPERATIONS = ['CreateModelPackage', 'DescribeModelPackage', 'ListModelPackages', 'UpdateModelPackage', 'DeleteModelPackage'];

export class ModelRegistry {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
  ) {
    this.now = requestInstant(deps.clock);
  }
  /** One clock read per request (see requestInstant). */
  private readonly now: () => number;

  operations(): Record<string, OperationHandler> {
    return {
      CreateModelPackage: (i, c) => this.create(i, c),
      DescribeModelPackage: (i, c) => this.describe(i, c),
      ListModelPackages: (i, c) => this.list(i, c),
      UpdateModelPackage: (i, c) => this.update(i, c),
      DeleteModelPackage: (i, c) => this.delete(i, c),
    };
  }

  /** DeleteModelPackageGroup refuses a group that still has versions. */
  groupInUse(scope: Scope, group: string): boolean {
    return this.deps.db.list<PackageRecord>(scope, PACKAGE_KIND).some((p) => p.data.group?.toLowerCase() === group.toLowerCase());
  }

  private shaped(op: string, value: Record<string, unknown>): unknown {
    return conform(this.model, this.model.operations[op].output!.shape, value);
  }

  private arn(scope: Scope, path: string): string {
    return `arn:aws:sagemaker:${scope.region}:${scope.accountId}:model-package/${path.toLowerCase()}`;
  }

  create(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { Tags, ...input } = req;
    if (!!req.ModelPackageName === !!req.ModelPackageGroupName) {
      throw validation('Exactly one of ModelPackageName and ModelPackageGroupName must be specified.');
    }
    const now = this.now();
    let key: string;
    let record: PackageRecord;
    if (req.ModelPackageGroupName) {
      const groupArg = String(req.ModelPackageGroupName);
      const groupName = groupArg.startsWith('arn:') ? this.deps.db.byArn(groupArg)?.name : groupArg;
      const found = groupName !== undefined ? this.deps.db.get<{ arn: string; created: Date; timeline?: StatusTimeline }>(scope, GROUP_KIND, groupName) : undefined;
      // A group being deleted takes no new versions.
      if (!found || found.data.timeline?.to === GONE) throw validation(`Model Package Group ${groupArg} does not exist.`);
      const group = found.name;
      // Per group incarnation: a group deleted and created again numbers from 1.
      const counter = `model-package-version:${found.arn}:${found.data.created.getTime()}`;
      const version = (this.deps.db.counter(counter) ?? 0) + 1;
      this.deps.db.setCounter(counter, version);
      key = `${group}/${version}`;
      record = {
        input: { ModelApprovalStatus: 'PendingManualApproval', ...input, ModelPackageGroupName: group },
        arn: this.arn(scope, key),
        group,
        version,
        created: new Date(now),
        modified: new Date(now),
        timeline: transition(['Pending', 'Completed'], now, this.deps.timing.controlPlaneTransition),
      };
    } else {
      key = String(req.ModelPackageName);
      record = { input, arn: this.arn(scope, key), created: new Date(now), modified: new Date(now), timeline: transition(['Pending', 'Completed'], now, this.deps.timing.controlPlaneTransition) };
    }
    // A taken unversioned name: ValidationException with "ModelPackage already exists" in it, the
    // phrase the SageMaker Python SDK (v2 and v3 Session.create_model_package) matches to reuse it.
    if (!this.deps.db.insert(scope, PACKAGE_KIND, key, record.arn, record)) throw validation(`ModelPackage already exists: ${record.arn}`);
    if (Array.isArray(Tags) && Tags.length) this.deps.db.addTags(record.arn, Tags);
    return { ModelPackageArn: record.arn };
  }

  /** By unversioned name, or by ARN (the only way to name a version). */
  private load(scope: Scope, nameOrArn: string): { key: string; record: PackageRecord } {
    const key = nameOrArn.startsWith('arn:') ? this.deps.db.byArn(nameOrArn)?.name : nameOrArn;
    const found = key !== undefined ? this.deps.db.get<PackageRecord>(scope, PACKAGE_KIND, key) : undefined;
    if (!found) throw validation(`ModelPackage ${nameOrArn} does not exist.`);
    return { key: found.name, record: found.data };
  }

  private view(r: PackageRecord): Record<string, unknown> {
    const status = statusAt(r.timeline, this.now());
    return {
      ...r.input,
      // "For a versioned model, the name is ... ModelPackageGroupName/ModelPackageVersion" (the
      // ModelPackage API reference); DescribeModelPackage accepts it back (VersionedArnOrName).
      ModelPackageName: r.group ? `${r.group}/${r.version}` : r.input.ModelPackageName,
      ModelPackageGroupName: r.group,
      ModelPackageVersion: r.version,
      ModelPackageArn: r.arn,
      CreationTime: r.created,
      LastModifiedTime: r.modified,
      ModelPackageStatus: status,
      ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
    };
  }

  describe(req: Record<string, any>, ctx: RequestContext): unknown {
    return this.shaped('DescribeModelPackage', this.view(this.load(scopeOf(ctx), String(req.ModelPackageName)).record));
  }

  list(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    // Unversioned packages only by default, versions when a group is named (ListModelPackages docs).
    const type = req.ModelPackageType ?? (req.ModelPackageGroupName ? 'Versioned' : 'Unversioned');
    const group = req.ModelPackageGroupName && String(req.ModelPackageGroupName).startsWith('arn:') ? this.deps.db.byArn(req.ModelPackageGroupName)?.name : req.ModelPackageGroupName;
    const rows = this.deps.db
      .list<PackageRecord>(scope, PACKAGE_KIND)
      .map((r) => r.data)
      .filter((r) => (type === 'Both' ? true : type === 'Versioned' ? r.version !== undefined : r.version === undefined))
      .filter((r) => !group || r.group?.toLowerCase() === String(group).toLowerCase())
      .filter((r) => !req.ModelApprovalStatus || r.input.ModelApprovalStatus === req.ModelApprovalStatus)
      .map((r) => this.view(r));
    const { page, NextToken } = listPage(rows, req, {
      name: (v) => String(v.ModelPackageName),
      creationTime: (v) => v.CreationTime as Date,
      defaultOrder: 'Ascending',
    });
    const summary = this.model.shapes[this.model.shapes[this.model.operations.ListModelPackages.output!.shape].members!.ModelPackageSummaryList.shape].member!.shape;
    return this.shaped('ListModelPackages', { ModelPackageSummaryList: page.map((v) => conform(this.model, summary, v)), NextToken });
  }

  update(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { key, record } = this.load(scope, String(req.ModelPackageArn));
    const { ModelPackageArn: _arn, CustomerMetadataPropertiesToRemove, AdditionalInferenceSpecificationsToAdd, ClientToken: _token, ...changes } = req;
    if (changes.ModelApprovalStatus && record.version === undefined) {
      throw validation('ModelApprovalStatus can only be set on a versioned model package.');
    }
    Object.assign(record.input, changes);
    if (changes.CustomerMetadataProperties || CustomerMetadataPropertiesToRemove) {
      const props = { ...(record.input.CustomerMetadataProperties as Record<string, string> | undefined), ...changes.CustomerMetadataProperties };
      for (const k of CustomerMetadataPropertiesToRemove ?? []) delete props[k];
      record.input.CustomerMetadataProperties = props;
    }
    if (AdditionalInferenceSpecificationsToAdd?.length) {
      record.input.AdditionalInferenceSpecifications = [...((record.input.AdditionalInferenceSpecifications as unknown[]) ?? []), ...AdditionalInferenceSpecificationsToAdd];
    }
    record.modified = new Date(this.now());
    this.deps.db.update(scope, PACKAGE_KIND, key, record);
    return { ModelPackageArn: record.arn };
  }

  delete(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { key } = this.load(scope, String(req.ModelPackageName));
    this.deps.db.delete(scope, PACKAGE_KIND, key);
    return {};
  }
}
