import { Rng } from '../../../../../core/random.js';
import type { OperationHandler } from '../../../../protocol/aws-json.js';
import type { RequestContext } from '../../../../protocol/context.js';
import { AwsError, validation } from '../../../../protocol/errors.js';
import type { ServiceModel } from '../../../../protocol/service-model.js';
import type { Scope } from '../../../../storage/database.js';
import type { ServiceDeps } from '../../../deps.js';
import { pageByOffset } from '../../../page-token.js';
import { invalidNextToken } from '../../listing.js';
import { scopeOf } from '../../scope.js';
import type { Family } from '../families.js';
import { GONE, lifecycleOf, requestInstant, statusAt, transition, type Lifecycle, type StatusTimeline } from '../lifecycle.js';
import { conform } from '../shapes.js';
import { identityMembers, type KeyedFamily } from './families.js';
import { listFilter, sortViews, type View } from './list-filter.js';

/** What is stored per resource; `history` keeps the inputs of earlier versions of a versioned family. */
interface KeyedRecord {
  input: Record<string, unknown>;
  arn: string;
  created: Date;
  modified: Date;
  timeline?: StatusTimeline;
  version?: number;
  history?: { version: number; input: Record<string, unknown>; modified: Date }[];
}

type Ids = Record<string, string | undefined>;

const kindOf = (f: KeyedFamily) => `engine:${f.name}`;

/** Where AWS's Create or Describe needs one of two members (an app belongs to a user profile or a space). */
const ONE_OF: Record<string, string[]> = { App: ['UserProfileName', 'SpaceName'] };

/** List filters that exclude each other (ListApps: "If UserProfileNameEquals is set, then this value cannot be set."). */
const EXCLUSIVE_FILTERS: Record<string, string[]> = { ListApps: ['UserProfileNameEquals', 'SpaceNameEquals'] };

/**
 * A child's tie to a parent: where in the child's input each of the parent's identity members is.
 * Every parent of the derivation (families.ts) is one, member for member; a private space is also
 * tied to the user profile that owns it (OwnershipSettings.OwnerUserProfileName), which AWS
 * makes you delete before the profile.
 */
interface Link {
  child: KeyedFamily;
  parent: KeyedFamily;
  paths: Record<string, string[]>;
}

const REFERENCES: { child: string; parent: string; paths: Record<string, string[]> }[] = [
  { child: 'Space', parent: 'UserProfile', paths: { DomainId: ['DomainId'], UserProfileName: ['OwnershipSettings', 'OwnerUserProfileName'] } },
];

const at = (input: Record<string, unknown>, path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), input);

/**
 * Create/Describe/List/Update/Delete for the keyed families (families.ts): the identity is
 * several members or an identifier the service assigns; parents must exist for a Create, and a
 * resource that still has children cannot be deleted. Metadata only, like the single-key engine:
 * nothing runs. Statuses follow the same lifecycles (lifecycle.ts) on the timing profile.
 */
export class KeyedEngine {
  /** For the identifiers the service assigns; seeded from the wall clock like the engine's, on a stream of its own. */
  private readonly rng = new Rng(Date.now() % 2 ** 32, 1);
  private readonly byName: Map<string, KeyedFamily>;
  private readonly links: Link[];
  /** One clock read per request (see requestInstant). */
  private readonly now: () => number;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
    private readonly families: KeyedFamily[],
  ) {
    this.now = requestInstant(deps.clock);
    this.byName = new Map(families.map((f) => [f.name, f]));
    this.links = [
      ...families.flatMap((child) =>
        child.parents.map((n) => {
          const parent = this.byName.get(n)!;
          return { child, parent, paths: Object.fromEntries(identityMembers(parent).map((m) => [m, [m]])) };
        }),
      ),
      ...REFERENCES.filter((r) => this.byName.has(r.child) && this.byName.has(r.parent)).map((r) => ({ child: this.byName.get(r.child)!, parent: this.byName.get(r.parent)!, paths: r.paths })),
    ];
  }

  operations(): Record<string, OperationHandler> {
    const out: Record<string, OperationHandler> = {};
    for (const f of this.families) {
      const life = keyedLifecycle(f);
      out[f.ops.create] = (i, c) => this.create(f, life, i, c);
      out[f.ops.describe] = (i, c) => this.describe(f, i, c);
      if (f.ops.list && f.listMember) out[f.ops.list] = (i, c) => this.list(f, i, c);
      if (f.ops.update) out[f.ops.update] = (i, c) => this.update(f, life, i, c);
      if (f.ops.delete) out[f.ops.delete] = (i, c) => this.delete(f, life, i, c);
    }
    return out;
  }

  // ---- identity -------------------------------------------------------------------------------

  private idsOf(f: KeyedFamily, req: Record<string, unknown>): Ids {
    const ids: Ids = {};
    for (const k of identityMembers(f)) if (req[k] !== undefined) ids[k] = String(req[k]);
    return ids;
  }

  /** The storage name: the assigned identifier, or every key (empty where absent) so that apps of a user and of a space never collide. */
  private storageName(f: KeyedFamily, ids: Ids): string {
    if (f.assigned) {
      const id = ids[f.assigned.member] ?? '';
      return f.assigned.isArn ? id.slice(id.lastIndexOf('/') + 1) : id;
    }
    return f.keys.map((k) => ids[k] ?? '').join('/');
  }

  /**
   * AWS's ARN: the resource type, then the identity, user-given names lower-cased and enum values
   * as they are (arn:aws:sagemaker:<region>:<account>:app/d-abc123def456/alice/JupyterServer/default).
   */
  private arnOf(scope: Scope, f: KeyedFamily, ids: Ids): string {
    if (f.assigned?.isArn) return ids[f.assigned.member]!;
    const input = this.model.shapes[this.model.operations[f.ops.describe].input!.shape];
    const parts = identityMembers(f)
      .filter((k) => ids[k] !== undefined && ids[k] !== '')
      .map((k) => (this.model.shapes[input.members![k].shape]?.enum ? ids[k]! : ids[k]!.toLowerCase()));
    return `arn:aws:sagemaker:${scope.region}:${scope.accountId}:${f.resourceType}/${parts.join('/')}`;
  }

  private requireOneOf(f: KeyedFamily, op: string, req: Record<string, unknown>): void {
    const members = ONE_OF[f.name];
    if (members && members.filter((m) => req[m] !== undefined).length !== 1) {
      throw validation(`Either ${members.join(' or ')} must be passed for ${op} operation.`);
    }
  }

  private notFound(f: KeyedFamily, arn: string): AwsError {
    const message = `${f.messageName} [${arn}] does not exist.`;
    return f.notFound === 'ResourceNotFound' ? new AwsError('ResourceNotFound', message) : validation(message);
  }

  /** False once a deleted resource's time is up; then its record (and tags) are removed. */
  private alive(scope: Scope, f: KeyedFamily, name: string, record: KeyedRecord): boolean {
    if (statusAt(record.timeline, this.now()) !== GONE) return true;
    this.deps.db.delete(scope, kindOf(f), name);
    return false;
  }

  private find(scope: Scope, f: KeyedFamily, ids: Ids): { name: string; record: KeyedRecord } | undefined {
    if (f.assigned?.isArn) {
      const hit = this.deps.db.byArn(ids[f.assigned.member] ?? '');
      if (!hit || hit.kind !== kindOf(f)) return undefined;
    }
    const found = this.deps.db.get<KeyedRecord>(scope, kindOf(f), this.storageName(f, ids));
    return found && this.alive(scope, f, found.name, found.data) ? { name: found.name, record: found.data } : undefined;
  }

  private load(scope: Scope, f: KeyedFamily, req: Record<string, unknown>): { name: string; record: KeyedRecord } {
    const ids = this.idsOf(f, req);
    const hit = this.find(scope, f, ids);
    if (!hit) throw this.notFound(f, this.arnOf(scope, f, ids));
    return hit;
  }

  private status(f: KeyedFamily, r: KeyedRecord): string | undefined {
    return f.status ? (statusAt(r.timeline, this.now()) ?? (r.input[f.status.member] as string | undefined)) : undefined;
  }

  private view(f: KeyedFamily, r: KeyedRecord): View {
    const out: View = { ...r.input, CreationTime: r.created, LastModifiedTime: r.modified, [f.arnMember]: r.arn };
    if (f.status) out[f.status.member] = this.status(f, r);
    if (f.versionMember) out[f.versionMember] = r.version;
    return out;
  }

  private shaped(op: string, value: View): unknown {
    const shape = this.model.operations[op]?.output?.shape;
    return shape ? conform(this.model, shape, value) : {};
  }

  // ---- operations -----------------------------------------------------------------------------

  create(f: KeyedFamily, life: Lifecycle | undefined, req: Record<string, unknown>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    this.requireOneOf(f, f.ops.create, req);
    const { Tags, ClientToken: _token, ...input } = req;
    const ids = this.idsOf(f, req);
    this.requireParents(scope, f, req);
    if (f.assigned) ids[f.assigned.member] = this.newId(scope, f);
    const arn = this.arnOf(scope, f, ids);
    const name = this.storageName(f, ids);
    const previous = this.find(scope, f, ids);
    // A deleted app's record stays (Status Deleted) until an app of that name is created again.
    if (previous && f.keepsDeletedAs && this.status(f, previous.record) === f.keepsDeletedAs) this.deps.db.delete(scope, kindOf(f), previous.name);
    else if (previous) throw new AwsError('ResourceInUse', `${f.messageName} [${arn}] already exists.`);
    const now = this.now();
    const record: KeyedRecord = {
      input: { ...this.defaultsOf(f, ids, scope), ...input, ...ids },
      arn,
      created: new Date(now),
      modified: new Date(now),
      timeline: life?.create ? transition(life.create, now, this.deps.timing.controlPlaneTransition) : undefined,
      version: f.versionMember ? 1 : undefined,
    };
    if (!this.deps.db.insert(scope, kindOf(f), name, arn, record)) throw new AwsError('ResourceInUse', `${f.messageName} [${arn}] already exists.`);
    if (Array.isArray(Tags) && Tags.length) this.deps.db.addTags(arn, Tags as { Key: string; Value: string }[]);
    return this.shaped(f.ops.create, this.view(f, record));
  }

  /**
   * What AWS fills in on Create: a domain's Studio URL and home EFS file system id, and the POSIX
   * user id each user profile and space gets on it (200001, 200002, ... per domain). Only the
   * identifiers: no file system exists.
   */
  private defaultsOf(f: KeyedFamily, ids: Ids, scope: Scope): Record<string, unknown> {
    if (f.name === 'Domain') {
      const hex = Array.from({ length: 17 }, () => '0123456789abcdef'[this.rng.int(16)]).join('');
      return { Url: `https://${ids.DomainId}.studio.${scope.region}.sagemaker.aws`, HomeEfsFileSystemId: `fs-${hex}` };
    }
    if (f.name === 'UserProfile' || f.name === 'Space') {
      const counter = `studio-efs-uid:${scope.accountId}:${scope.region}:${ids.DomainId}`;
      const uid = (this.deps.db.counter(counter) ?? 200000) + 1;
      this.deps.db.setCounter(counter, uid);
      return { HomeEfsFileSystemUid: String(uid) };
    }
    return {};
  }

  private newId(scope: Scope, f: KeyedFamily): string {
    for (;;) {
      const id = f.assigned!.make(this.rng);
      const value = f.assigned!.isArn ? `arn:aws:sagemaker:${scope.region}:${scope.accountId}:${f.resourceType}/${id}` : id;
      if (!this.find(scope, f, { [f.assigned!.member]: value })) return value;
    }
  }

  /** Each parent named by the request must exist and not be on its way out. */
  private requireParents(scope: Scope, f: KeyedFamily, req: Record<string, unknown>): void {
    const declares = (this.model.operations[f.ops.create].errors ?? []).some((e) => e.shape === 'ResourceNotFound');
    for (const { parent: p, paths } of this.links.filter((l) => l.child === f)) {
      const parentIds: Ids = Object.fromEntries(Object.entries(paths).map(([m, path]) => [m, at(req, path) as string | undefined]));
      if (Object.values(parentIds).some((v) => v === undefined)) continue;
      const hit = this.find(scope, p, parentIds);
      const state = hit && this.status(p, hit.record);
      if (hit && state !== 'Deleting' && state !== p.keepsDeletedAs) continue;
      const arn = hit?.record.arn ?? this.arnOf(scope, p, parentIds);
      const message = `${p.messageName} [${arn}] does not exist.`;
      throw declares ? new AwsError('ResourceNotFound', message) : validation(message);
    }
  }

  describe(f: KeyedFamily, req: Record<string, unknown>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    this.requireOneOf(f, f.ops.describe, req);
    const { record } = this.load(scope, f, req);
    const wanted = f.versionMember ? req[f.versionMember] : undefined;
    if (typeof wanted === 'number' && wanted !== record.version) {
      const old = record.history?.find((h) => h.version === wanted);
      if (!old) throw this.notFound(f, `${record.arn} (version ${wanted})`);
      return this.shaped(f.ops.describe, this.view(f, { ...record, input: old.input, modified: old.modified, version: old.version }));
    }
    return this.shaped(f.ops.describe, this.view(f, record));
  }

  list(f: KeyedFamily, req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const exclusive = EXCLUSIVE_FILTERS[f.ops.list!];
    if (exclusive && exclusive.every((m) => req[m] !== undefined)) throw validation(`Only one of ${exclusive.join(' and ')} can be set.`);
    const views = this.deps.db
      .list<KeyedRecord>(scope, kindOf(f))
      .filter((r) => this.alive(scope, f, r.name, r.data))
      .map((r) => this.view(f, r.data))
      .filter(listFilter(f, req));
    // Studio's List operations default to Ascending (ListApps API reference; ListDomains has no sort
    // at all); the others, like the engine's families, list newest first.
    const studio = f.keys.includes('DomainId') || f.name === 'Domain';
    const sorted = sortViews(views, req, f.nameMember ?? 'Name', studio ? 'Ascending' : 'Descending');
    const { items, nextToken } = pageByOffset(sorted, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    const summary = f.listMember!;
    // A summary's <X>Summary member (a space's OwnershipSettingsSummary) is the resource's <X>, cut to the summary's shape.
    const summaryMembers = Object.keys(this.model.shapes[summary.shape].members ?? {}).filter((m) => m.endsWith('Summary'));
    const summarized = (v: View) => ({ ...v, ...Object.fromEntries(summaryMembers.map((m) => [m, v[m.slice(0, -'Summary'.length)]])) });
    return this.shaped(f.ops.list!, { [summary.member]: items.map((v) => conform(this.model, summary.shape, summarized(v))), NextToken: nextToken });
  }

  update(f: KeyedFamily, life: Lifecycle | undefined, req: Record<string, unknown>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { name, record } = this.load(scope, f, req);
    const current = this.status(f, record);
    if (current === life?.deleting) {
      throw new AwsError(updateConflictCode(this.model, f), `${f.messageName} [${record.arn}] is in ${current} state and cannot be updated.`);
    }
    const { Tags, TargetVersion, ClientToken: _token, ...changes } = req;
    if (f.versionMember && TargetVersion !== undefined && TargetVersion !== record.version) {
      throw new AwsError('ConflictException', `TargetVersion ${TargetVersion} does not match the current version ${record.version} of ${f.messageName} [${record.arn}].`);
    }
    const now = this.now();
    if (f.versionMember) {
      record.history = [...(record.history ?? []), { version: record.version!, input: { ...record.input }, modified: record.modified }];
      record.version = (record.version ?? 1) + 1;
    }
    const describeShape = this.model.shapes[this.model.operations[f.ops.describe].output!.shape];
    for (const [k, v] of Object.entries(changes)) {
      if (identityMembers(f).includes(k)) continue;
      if (describeShape.members?.[k]) record.input[k] = v;
      // UpdateDomain's DomainSettingsForUpdate changes the domain's DomainSettings, member by member
      // (RStudioServerProDomainSettingsForUpdate → RStudioServerProDomainSettings).
      else if (k.endsWith('ForUpdate') && describeShape.members?.[k.slice(0, -'ForUpdate'.length)] && v && typeof v === 'object') {
        const target = k.slice(0, -'ForUpdate'.length);
        const merged = { ...(record.input[target] as Record<string, unknown> | undefined) };
        for (const [inner, value] of Object.entries(v)) merged[inner.replace(/ForUpdate$/, '')] = value;
        record.input[target] = merged;
      }
    }
    record.modified = new Date(now);
    if (life?.update) record.timeline = transition(life.update, now, this.deps.timing.controlPlaneTransition);
    this.deps.db.update(scope, kindOf(f), name, record);
    if (Array.isArray(Tags) && Tags.length) this.deps.db.addTags(record.arn, Tags as { Key: string; Value: string }[]);
    return this.shaped(f.ops.update!, this.view(f, record));
  }

  delete(f: KeyedFamily, life: Lifecycle | undefined, req: Record<string, unknown>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    this.requireOneOf(f, f.ops.delete!, req);
    const { name, record } = this.load(scope, f, req);
    const current = this.status(f, record);
    if (f.keepsDeletedAs && current === f.keepsDeletedAs) throw this.notFound(f, record.arn);
    this.requireNoChildren(scope, f, record);
    const now = this.now();
    if (!life?.deleting) this.deps.db.delete(scope, kindOf(f), name);
    else if (current !== life.deleting) {
      // Deleting for the timing profile's transition, then gone (or, for an app, Deleted).
      record.timeline = { from: life.deleting, to: f.keepsDeletedAs ?? GONE, at: now + this.deps.timing.controlPlaneTransition };
      record.modified = new Date(now);
      this.deps.db.update(scope, kindOf(f), name, record);
    }
    return this.shaped(f.ops.delete!, this.view(f, record));
  }

  /**
   * AWS refuses to delete a resource something still belongs to, naming the first kind it finds:
   * "Unable to delete UserProfile [arn] because App(s) are associated with it." A deleted app no
   * longer counts; a user profile being deleted still does.
   */
  private requireNoChildren(scope: Scope, f: KeyedFamily, record: KeyedRecord): void {
    for (const { child, paths } of this.links.filter((l) => l.parent === f)) {
      const children = this.deps.db
        .list<KeyedRecord>(scope, kindOf(child))
        .filter((r) => this.alive(scope, child, r.name, r.data))
        .filter((r) => Object.entries(paths).every(([m, path]) => String(at(r.data.input, path) ?? '').toLowerCase() === String(record.input[m] ?? '').toLowerCase()))
        .filter((r) => !child.keepsDeletedAs || this.status(child, r.data) !== child.keepsDeletedAs);
      if (children.length) throw new AwsError('ResourceInUse', `Unable to delete ${f.messageName} [${record.arn}] because ${child.messageName}(s) are associated with it.`);
    }
  }
}

/**
 * The family's lifecycle from its status enum (lifecycle.ts), where a partner app settles in
 * Available, which the shared list of settled states does not name.
 */
export function keyedLifecycle(f: KeyedFamily): Lifecycle | undefined {
  const life = lifecycleOf({ status: f.status, ops: { ...f.ops, start: undefined, stop: undefined } } as unknown as Family);
  if (!life || !f.status?.values.includes('Available')) return life;
  const settle = (pair?: [string, string]): [string, string] | undefined => pair && [pair[0], pair[1] === f.status!.values[0] ? 'Available' : pair[1]];
  return { ...life, create: settle(life.create), update: settle(life.update) };
}

/** Update of a resource not yet settled: ConflictException where Update declares it, else ResourceInUse. */
function updateConflictCode(model: ServiceModel, f: KeyedFamily): string {
  const errors = (model.operations[f.ops.update!].errors ?? []).map((e) => e.shape);
  return errors.includes('ConflictException') ? 'ConflictException' : 'ResourceInUse';
}

