import { Rng } from '../../../../core/random.js';
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError, validation } from '../../../protocol/errors.js';
import type { ServiceModel } from '../../../protocol/service-model.js';
import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { scopeOf } from '../scope.js';
import { FAMILY_OVERRIDES, messageVerb, type Family, type Verb } from './families.js';
import { listFamily, type ListDeclaration } from './list.js';
import { GONE, lifecycleOf, requestInstant, statusAt, transition, type Lifecycle, type StatusTimeline } from './lifecycle.js';
import { conform } from './shapes.js';

/** What the engine stores per resource: the caller's input, the server's fields, the status timeline. */
interface EngineRecord {
  input: Record<string, unknown>;
  arn: string;
  created: Date;
  modified: Date;
  timeline?: StatusTimeline;
}

/** Storage kinds are prefixed so that no generic family can collide with a hand-written one. */
const kindOf = (family: Family) => `engine:${family.name}`;

/**
 * One implementation of Create/Describe/List/Update/Delete/Start/Stop for every family derived
 * from the service model. Metadata only: it records what was asked and reports it back in the
 * output shapes, with AWS's ARNs, times, status lifecycles and errors; nothing runs.
 */
export class ResourceEngine {
  /** For identifiers the service assigns; seeded from the wall clock like the runtime's ids. */
  private readonly rng = new Rng(Date.now() % 2 ** 32);

  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
    /** Per family: the error a Delete meets while something else still uses the resource. */
    private readonly deleteGuards: Record<string, (scope: Scope, name: string) => AwsError | undefined> = {},
  ) {
    this.now = requestInstant(deps.clock);
  }
  /** One clock read per request (see requestInstant). */
  private readonly now: () => number;

  operations(family: Family): Record<string, OperationHandler> {
    const life = lifecycleOf(family);
    const byVerb: Record<keyof Family['ops'], (op: string) => OperationHandler> = {
      create: () => (i, c) => this.create(family, life, i, c),
      describe: () => (i, c) => this.describe(family, i, c),
      list: () => (i, c) => this.list(family, i, c),
      update: () => (i, c) => this.update(family, life, i, c),
      delete: () => (i, c) => this.delete(family, life, i, c),
      start: (op) => (i, c) => this.move(family, life!.start!, life!.startFrom, op, i, c),
      stop: (op) => (i, c) => this.move(family, life!.stop!, life!.runningStates, op, i, c),
    };
    const handlers: Record<string, OperationHandler> = {};
    for (const op of familyOperations(family)) handlers[op] = byVerb[verbOf(family, op)](op);
    return handlers;
  }

  private arn(scope: Scope, family: Family, name: string): string {
    const path = FAMILY_OVERRIDES[family.name]?.arnPath?.(name) ?? name.toLowerCase();
    return `arn:aws:sagemaker:${scope.region}:${scope.accountId}:${family.resourceType}/${path}`;
  }

  private outputShape(op: string): string | undefined {
    return this.model.operations[op]?.output?.shape;
  }

  private shaped(op: string, value: Record<string, unknown>): unknown {
    const shape = this.outputShape(op);
    return shape ? conform(this.model, shape, value) : {};
  }

  private notFound(scope: Scope, family: Family, name: string, verb: Verb): AwsError {
    const arn = this.arn(scope, family, name);
    const override = FAMILY_OVERRIDES[family.name];
    return notFoundError(override?.notFoundCode ? { ...family, notFound: override.notFoundCode } : family, arn, override?.notFoundMessage?.(name, arn, verb));
  }

  /** The key as given, or the name an ARN points at (Describe* accept either for most families). */
  private load(scope: Scope, family: Family, key: string, verb: Verb): { name: string; record: EngineRecord } {
    let name = key;
    if (key.startsWith('arn:')) {
      const hit = this.deps.db.byArn(key);
      if (!hit || hit.kind !== kindOf(family)) throw this.notFound(scope, family, key.slice(key.lastIndexOf('/') + 1), verb);
      name = hit.name;
    }
    const found = this.deps.db.get<EngineRecord>(scope, kindOf(family), name);
    if (!found || !this.alive(scope, family, found.name, found.data)) throw this.notFound(scope, family, name, verb);
    return { name: found.name, record: found.data };
  }

  /** False once a Deleting resource's time is up; then its record (and tags) are removed. */
  private alive(scope: Scope, family: Family, name: string, record: EngineRecord): boolean {
    if (statusAt(record.timeline, this.now()) !== GONE) return true;
    this.deps.db.delete(scope, kindOf(family), name);
    return false;
  }

  private view(family: Family, name: string, r: EngineRecord): Record<string, unknown> {
    const out: Record<string, unknown> = { ...r.input, [family.key]: name, CreationTime: r.created, LastModifiedTime: r.modified };
    if (family.arnMember) out[family.arnMember] = r.arn;
    if (family.status) out[family.status.member] = statusAt(r.timeline, this.now()) ?? r.input[family.status.member];
    return out;
  }

  create(family: Family, life: Lifecycle | undefined, req: Record<string, unknown>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const name = String(req[family.key]);
    const arn = this.arn(scope, family, name);
    const now = this.now();
    const { Tags, ...input } = req;
    const record: EngineRecord = {
      input: {
        ...FAMILY_OVERRIDES[family.name]?.defaults?.(name, scope.region),
        ...input,
        ...versionOne(family),
        ...FAMILY_OVERRIDES[family.name]?.assigned?.(this.rng),
      },
      arn,
      created: new Date(now),
      modified: new Date(now),
      // A status the caller sets (a model card's ModelCardStatus) is theirs, not a lifecycle.
      timeline: life?.create && !(family.status!.member in input) ? transition(life.create, now, this.deps.timing.controlPlaneTransition) : undefined,
    };
    const previous = this.deps.db.get<EngineRecord>(scope, kindOf(family), name);
    if (previous) this.alive(scope, family, previous.name, previous.data);
    if (!this.deps.db.insert(scope, kindOf(family), name, arn, record)) throw inUseError(family, arn, FAMILY_OVERRIDES[family.name]?.inUseMessage?.(name, arn));
    if (Array.isArray(Tags) && Tags.length) this.deps.db.addTags(arn, Tags as { Key: string; Value: string }[]);
    return this.shaped(family.ops.create, { ...record.input, ...(family.arnMember ? { [family.arnMember]: arn } : {}) });
  }

  describe(family: Family, req: Record<string, unknown>, ctx: RequestContext): unknown {
    const { name, record } = this.load(scopeOf(ctx), family, String(req[family.key]), 'describe');
    const view = this.view(family, name, record);
    return this.shaped(family.ops.describe, family.describeWrapper ? { [family.describeWrapper]: view } : view);
  }

  list(family: Family, req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const views = this.deps.db
      .list<EngineRecord>(scope, kindOf(family))
      .filter((r) => this.alive(scope, family, r.name, r.data))
      .map((r) => this.view(family, r.name, r.data));
    return listFamily(this.model, family, GENERIC_LIST, views, req, true);
  }

  update(family: Family, life: Lifecycle | undefined, req: Record<string, unknown>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { name, record } = this.load(scope, family, String(req[family.key]), 'update');
    const now = this.now();
    const stoppedOnly = FAMILY_OVERRIDES[family.name]?.onlyWhenStopped ?? [];
    if (life && stoppedOnly.includes('update')) this.requireStatus(family, record, life.stoppedStates, life.update?.[0] ?? 'Updating', now);
    const { [family.key]: _key, ...changes } = req;
    const describeShape = this.model.shapes[this.outputShape(family.ops.describe) ?? ''];
    for (const [k, v] of Object.entries(changes)) if (describeShape?.members?.[k] || k in record.input) record.input[k] = v;
    record.modified = new Date(now);
    const version = FAMILY_OVERRIDES[family.name]?.versionMember;
    if (version) record.input[version] = Number(record.input[version] ?? 1) + 1;
    // A resource updated while stopped stays stopped; others pass through Updating.
    const current = statusAt(record.timeline, now);
    if (family.status && family.status.member in changes) record.timeline = undefined;
    else if (life?.update && record.timeline && !(current && life.stoppedStates.includes(current))) record.timeline = transition(life.update, now, this.deps.timing.controlPlaneTransition);
    this.deps.db.update(scope, kindOf(family), name, record);
    return this.shaped(family.ops.update!, family.arnMember ? { [family.arnMember]: record.arn } : {});
  }

  delete(family: Family, life: Lifecycle | undefined, req: Record<string, unknown>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { name, record } = this.load(scope, family, String(req[family.key]), 'delete');
    if (life && FAMILY_OVERRIDES[family.name]?.onlyWhenStopped?.includes('delete')) {
      this.requireStatus(family, record, life.stoppedStates, 'Deleting', this.now());
    }
    const conflict = this.deleteGuards[family.name]?.(scope, name);
    if (conflict) throw conflict;
    const now = this.now();
    if (!life?.deleting) this.deps.db.delete(scope, kindOf(family), name);
    else if (statusAt(record.timeline, now) !== life.deleting) {
      // Deleting for the timing profile's transition, then gone (Describe answers not found).
      record.timeline = { from: life.deleting, to: GONE, at: now + this.deps.timing.controlPlaneTransition };
      this.deps.db.update(scope, kindOf(family), name, record);
    }
    return this.shaped(family.ops.delete!, family.arnMember ? { [family.arnMember]: record.arn } : {});
  }

  private move(family: Family, states: [string, string], allowed: string[], op: string, req: Record<string, unknown>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { name, record } = this.load(scope, family, String(req[family.key]), messageVerb(op));
    const now = this.now();
    this.requireStatus(family, record, allowed, states[0], now);
    record.timeline = transition(states, now, this.deps.timing.controlPlaneTransition);
    record.modified = new Date(now);
    this.deps.db.update(scope, kindOf(family), name, record);
    return this.shaped(op, family.arnMember ? { [family.arnMember]: record.arn } : {});
  }

  /** AWS's wording: Status (InService) not in ([Stopped, Failed]). Unable to transition to (Deleting) for Notebook Instance (arn). */
  private requireStatus(family: Family, record: EngineRecord, allowed: string[], target: string, now: number): void {
    const current = statusAt(record.timeline, now);
    if (current === undefined || allowed.includes(current)) return;
    const title = family.readable.replace(/\b\w/g, (c) => c.toUpperCase());
    throw validation(`Status (${current}) not in ([${allowed.join(', ')}]). Unable to transition to (${target}) for ${title} (${record.arn}).`);
  }
}

/** The operations the engine serves for a family: Start/Stop only where its status enum has a stopped state. */
export function familyOperations(family: Family): string[] {
  const life = lifecycleOf(family);
  const { create, describe, list, update, delete: del, start, stop } = family.ops;
  return [
    create,
    describe,
    list && family.listMember ? list : undefined,
    update,
    del,
    start && life?.start ? start : undefined,
    stop && life?.stop ? stop : undefined,
  ].filter((op): op is string => !!op);
}

function verbOf(family: Family, op: string): keyof Family['ops'] {
  return (Object.entries(family.ops).find(([, name]) => name === op)?.[0] ?? 'describe') as keyof Family['ops'];
}

function versionOne(family: Family): Record<string, number> {
  const member = FAMILY_OVERRIDES[family.name]?.versionMember;
  return member ? { [member]: 1 } : {};
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A missing resource: the error its Describe operation declares, in AWS's wording (or the family's own message). */
export function notFoundError(family: Family, arn: string, custom?: string): AwsError {
  if (family.notFound === 'ResourceNotFound') return new AwsError('ResourceNotFound', custom ?? `${capitalized(family.readable)} ${arn} does not exist.`);
  return validation(custom ?? `Could not find ${family.readable} "${arn}".`);
}

/** Create of a taken name: ResourceInUse where Create declares it, else a ValidationException. */
export function inUseError(family: Family, arn: string, custom?: string): AwsError {
  const message = custom ?? `Cannot create already existing ${family.readable} "${arn}".`;
  return family.inUse === 'ResourceInUse' ? new AwsError('ResourceInUse', message) : validation(message);
}

/**
 * The metadata-only families' List: newest first, 10 to a page. ListActions and ListContexts
 * (lineage entities) filter by SourceUri, which is nested in the entity's Source.
 */
const GENERIC_LIST: ListDeclaration = {
  defaultOrder: 'Descending',
  filters: { SourceUri: (view, value) => (view.Source as { SourceUri?: string } | undefined)?.SourceUri === value },
};
