import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError, validation } from '../../../protocol/errors.js';
import { sagemakerModel, type ServiceModel } from '../../../protocol/service-model.js';
import type { Scope, StoredResource } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { scopeOf } from '../scope.js';
import { inUseError, notFoundError } from './engine.js';
import { deriveFamilies, type Family } from './families.js';
import { listFamily, type ListDeclaration } from './list.js';
import { conform } from './shapes.js';

/**
 * Families whose real behaviour is more than storage: a hand-written service runs them (training,
 * serving, transform, processing, tuning) on top of the engine, which owns their records, their
 * Describe and List answers and their tags. Their shape (key, ARN, status, List entry, errors) is
 * derived from the service model like every other family's; a declaration says only what the
 * model cannot tell.
 */
export const SERVICE_FAMILIES = ['Model', 'EndpointConfig', 'Endpoint', 'TrainingJob', 'TransformJob', 'ProcessingJob', 'HyperParameterTuningJob'] as const;
export type ServiceFamilyName = (typeof SERVICE_FAMILIES)[number];

/** How SageMaker words a missing and a taken job name for its batch jobs (transform, processing). */
export const JOB_NAME_ERRORS = {
  notFound: (name: string) => validation(`Could not find requested job with name ${name}`),
  inUse: (_name: string, arn: string) => new AwsError('ResourceInUse', `Job name must be unique within an AWS account and region, and a job with this name already exists (${arn})`),
};

export interface ServiceFamilyDeclaration<R> {
  name: ServiceFamilyName;
  /** The storage kind: the rows these resources had before the engine took them, so an existing state dir loads. */
  storageKind: string;
  /** Words for the generic messages, where AWS's differ from the family's name ("endpoint configuration"). */
  readable?: string;
  /** AWS's error for a missing resource, where it is not the generic one its Describe declares. */
  notFound?: (name: string, arn: string) => AwsError;
  /** AWS's error for Create of a taken name, where it is not the generic one. */
  inUse?: (name: string, arn: string) => AwsError;
  /**
   * What Describe answers before the output shape filters it: the stored record, or what the
   * service derives from it (a tuning job's counters come from its training jobs).
   */
  view?: (record: R, scope: Scope) => object;
  list: ListDeclaration;
}

let derived: Map<string, Family> | undefined;

/** The model's family for one of SERVICE_FAMILIES (derived once). */
export function serviceFamily(name: ServiceFamilyName): Family {
  derived ??= new Map(deriveFamilies(sagemakerModel(), (n) => !(SERVICE_FAMILIES as readonly string[]).includes(n)).families.map((f) => [f.name, f]));
  const family = derived.get(name);
  if (!family) throw new Error(`the service model declares no ${name} family`);
  return family;
}

/**
 * The engine's side of a service family: its records in storage, Describe and List answered
 * through the output shapes (a member the model does not declare never reaches a client), tags
 * given at Create kept by ARN, and AWS's not-found and in-use errors. The service keeps its
 * behaviour and reads and writes its resources through this.
 */
export class FamilyRecords<R extends object> {
  readonly family: Family;
  private readonly model: ServiceModel = sagemakerModel();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly decl: ServiceFamilyDeclaration<R>,
  ) {
    const family = serviceFamily(decl.name);
    this.family = decl.readable ? { ...family, readable: decl.readable } : family;
  }

  /** arn:aws:sagemaker:<region>:<account>:<type>/<lower-cased name>. */
  arn(scope: Scope, name: string): string {
    return `arn:aws:sagemaker:${scope.region}:${scope.accountId}:${this.family.resourceType}/${name.toLowerCase()}`;
  }

  notFound(scope: Scope, name: string): AwsError {
    const arn = this.arn(scope, name);
    return this.decl.notFound?.(name, arn) ?? notFoundError(this.family, arn);
  }

  /** AWS's error for Create of a name that is taken. */
  inUse(scope: Scope, name: string): AwsError {
    const arn = this.arn(scope, name);
    return this.decl.inUse?.(name, arn) ?? inUseError(this.family, arn);
  }

  get(scope: Scope, name: string): R | undefined {
    return this.deps.db.get<R>(scope, this.decl.storageKind, name)?.data;
  }

  /** The stored resource, or AWS's not-found error. */
  require(scope: Scope, name: string): R {
    const found = this.get(scope, name);
    if (!found) throw this.notFound(scope, name);
    return found;
  }

  /** Stores a new resource and the tags given with it; AWS's in-use error when the name is taken. */
  insert(scope: Scope, name: string, record: R, tags?: { Key?: string; Value?: string }[]): string {
    const arn = this.arn(scope, name);
    if (!this.deps.db.insert(scope, this.decl.storageKind, name, arn, record)) throw this.inUse(scope, name);
    if (tags?.length) this.deps.db.addTags(arn, tags);
    return arn;
  }

  update(scope: Scope, name: string, record: R): void {
    this.deps.db.update(scope, this.decl.storageKind, name, record);
  }

  /** Removes the resource and its tags; false when there was none. */
  delete(scope: Scope, name: string): boolean {
    return this.deps.db.delete(scope, this.decl.storageKind, name);
  }

  /** Every resource of the family in every scope (recovery after a restart). */
  everywhere(): (StoredResource<R> & { scope: Scope })[] {
    return this.deps.db.listEverywhere<R>(this.decl.storageKind);
  }

  private view(record: R, scope: Scope): Record<string, unknown> {
    return (this.decl.view ? this.decl.view(record, scope) : record) as Record<string, unknown>;
  }

  /** The resource as Describe answers it: the view projected onto Describe's output shape. */
  described(scope: Scope, name: string): Record<string, unknown> {
    return this.shaped(this.family.ops.describe, this.view(this.require(scope, name), scope));
  }

  describe(req: Record<string, unknown>, ctx: RequestContext): Record<string, unknown> {
    return this.described(scopeOf(ctx), String(req[this.family.key]));
  }

  list(req: Record<string, unknown>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const views = this.deps.db.list<R>(scope, this.decl.storageKind).map((r) => this.view(r.data, scope));
    return listFamily(this.model, this.family, this.decl.list, views, req, false);
  }

  /** Describe and List, which the engine answers for the service. */
  operations(): Record<string, OperationHandler> {
    return {
      [this.family.ops.describe]: (i, c) => this.describe(i, c),
      [this.family.ops.list!]: (i, c) => this.list(i, c),
    };
  }

  /**
   * Any other answer of the family's operations, projected onto its output shape. Required
   * members are not invented: a record that lacks one is a bug the contract test reports.
   */
  shaped(op: string, value: Record<string, unknown>): Record<string, unknown> {
    return conform(this.model, this.model.operations[op].output!.shape, value, false) as Record<string, unknown>;
  }
}
