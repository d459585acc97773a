import type { OperationHandler } from '../../../../protocol/aws-json.js';
import type { RequestContext } from '../../../../protocol/context.js';
import { AwsError, validation } from '../../../../protocol/errors.js';
import type { ServiceModel } from '../../../../protocol/service-model.js';
import type { Scope } from '../../../../storage/database.js';
import type { ServiceDeps } from '../../../deps.js';
import { pageByOffset } from '../../../page-token.js';
import { invalidNextToken } from '../../listing.js';
import { scopeOf } from '../../scope.js';
import { GONE, requestInstant, statusAt, transition, type StatusTimeline } from '../lifecycle.js';
import { conform } from '../shapes.js';

/**
 * Hub contents in the engine's private hubs (kind `engine:Hub`): ImportHubContent adds a version
 * of a named content of one type (Model, Notebook, ...), keyed by hub, type, name and version;
 * Describe without a version answers the latest (versions compare as semantic versions);
 * ListHubContents answers the latest version of each content, ListHubContentVersions every
 * version of one. A hub content reference (CreateHubContentReference) is a content of type
 * ModelReference that points at a SageMaker public hub model. Metadata only: the documents are
 * stored and answered back, no model artifacts are fetched.
 */
const HUB_KIND = 'engine:Hub';
const CONTENT_KIND = 'engine:HubContent';
/** The version ImportHubContent gives a content when the caller names none. */
const FIRST_VERSION = '1.0.0';

interface HubRecord {
  arn: string;
  created: Date;
  timeline?: StatusTimeline;
}

interface ContentRecord {
  hub: string;
  hubArn: string;
  hubCreated: number;
  type: string;
  name: string;
  version: string;
  input: Record<string, unknown>;
  arn: string;
  created: Date;
  modified: Date;
  timeline: StatusTimeline;
}

export const HUB_CONTENT_OPERATIONS = [
  'ImportHubContent', 'DescribeHubContent', 'ListHubContents', 'ListHubContentVersions', 'UpdateHubContent', 'DeleteHubContent',
  'CreateHubContentReference', 'UpdateHubContentReference', 'DeleteHubContentReference',
];

export class HubContents {
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
      ImportHubContent: (i, c) => this.importContent(i, c),
      DescribeHubContent: (i, c) => this.describe(i, c),
      ListHubContents: (i, c) => this.list(i, c, false),
      ListHubContentVersions: (i, c) => this.list(i, c, true),
      UpdateHubContent: (i, c) => this.update(i, c),
      DeleteHubContent: (i, c) => this.delete(i, c),
      CreateHubContentReference: (i, c) => this.createReference(i, c),
      UpdateHubContentReference: (i, c) => this.update({ ...i, HubContentType: 'ModelReference' }, c),
      DeleteHubContentReference: (i, c) => this.delete({ ...i, HubContentType: 'ModelReference' }, c),
    };
  }

  private shaped(op: string, value: Record<string, unknown>): unknown {
    const shape = this.model.operations[op].output?.shape;
    return shape ? conform(this.model, shape, value) : {};
  }

  /** The hub by name or ARN, alive and not being deleted; else the engine's not-found error for a hub. */
  private hub(scope: Scope, nameOrArn: string): { name: string; record: HubRecord } {
    const byArn = nameOrArn.startsWith('arn:') ? this.deps.db.byArn(nameOrArn) : undefined;
    const name = byArn ? (byArn.kind === HUB_KIND ? byArn.name : undefined) : nameOrArn.startsWith('arn:') ? undefined : nameOrArn;
    const found = name !== undefined ? this.deps.db.get<HubRecord>(scope, HUB_KIND, name) : undefined;
    if (!found || found.data.timeline?.to === GONE) {
      const arn = nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:sagemaker:${scope.region}:${scope.accountId}:hub/${nameOrArn.toLowerCase()}`;
      throw new AwsError('ResourceNotFound', `Hub ${arn} does not exist.`);
    }
    return { name: found.name, record: found.data };
  }

  /** Every version of every content of the hub (this incarnation of it), optionally of one type and name. */
  private contents(scope: Scope, hub: { name: string; record: HubRecord }, type?: string, name?: string): { key: string; record: ContentRecord }[] {
    const now = this.now();
    return this.deps.db
      .list<ContentRecord>(scope, CONTENT_KIND)
      .filter((r) => r.data.hub.toLowerCase() === hub.name.toLowerCase())
      .filter((r) => {
        const current = r.data.hubCreated === hub.record.created.getTime() && statusAt(r.data.timeline, now) !== GONE;
        if (!current) this.deps.db.delete(scope, CONTENT_KIND, r.name);
        return current;
      })
      .filter((r) => (!type || r.data.type === type) && (!name || r.data.name.toLowerCase() === name.toLowerCase()))
      .map((r) => ({ key: r.name, record: r.data }));
  }

  private arn(scope: Scope, hub: string, type: string, name: string, version: string): string {
    return `arn:aws:sagemaker:${scope.region}:${scope.accountId}:hub-content/${hub.toLowerCase()}/${type}/${name.toLowerCase()}/${version}`;
  }

  private notFound(scope: Scope, hub: string, type: string, name: string, version?: string): AwsError {
    const arn = this.arn(scope, hub, type, name, version ?? '').replace(/\/$/, '');
    return new AwsError('ResourceNotFound', `HubContent ${arn} does not exist.`);
  }

  /** One version (the latest where none is named). */
  private select(scope: Scope, req: Record<string, any>): { hub: { name: string; record: HubRecord }; key: string; record: ContentRecord } {
    const hub = this.hub(scope, String(req.HubName));
    const versions = this.contents(scope, hub, String(req.HubContentType), String(req.HubContentName));
    const hit = req.HubContentVersion ? versions.find((v) => v.record.version === req.HubContentVersion) : latest(versions);
    if (!hit) throw this.notFound(scope, hub.name, String(req.HubContentType), String(req.HubContentName), req.HubContentVersion);
    return { hub, ...hit };
  }

  private view(r: ContentRecord): Record<string, unknown> {
    return {
      ...r.input,
      HubName: r.hub,
      HubArn: r.hubArn,
      HubContentName: r.name,
      HubContentType: r.type,
      HubContentVersion: r.version,
      HubContentArn: r.arn,
      HubContentStatus: statusAt(r.timeline, this.now()),
      CreationTime: r.created,
      OriginalCreationTime: r.created,
      LastModifiedTime: r.modified,
    };
  }

  private insert(scope: Scope, hub: { name: string; record: HubRecord }, type: string, name: string, version: string, input: Record<string, unknown>, tags: unknown): ContentRecord {
    const arn = this.arn(scope, hub.name, type, name, version);
    if (this.contents(scope, hub, type, name).some((v) => v.record.version === version)) {
      throw new AwsError('ResourceInUse', `HubContent ${arn} already exists.`);
    }
    const now = this.now();
    const record: ContentRecord = {
      hub: hub.name,
      hubArn: hub.record.arn,
      hubCreated: hub.record.created.getTime(),
      type,
      name,
      version,
      input,
      arn,
      created: new Date(now),
      modified: new Date(now),
      timeline: transition(['Importing', 'Available'], now, this.deps.timing.controlPlaneTransition),
    };
    // A leftover record of a deleted hub's content may still hold the key: it is not this hub's.
    this.deps.db.delete(scope, CONTENT_KIND, `${hub.name}/${type}/${name}/${version}`);
    this.deps.db.insert(scope, CONTENT_KIND, `${hub.name}/${type}/${name}/${version}`, arn, record);
    if (Array.isArray(tags) && tags.length) this.deps.db.addTags(arn, tags);
    return record;
  }

  importContent(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const hub = this.hub(scope, String(req.HubName));
    const { HubName: _hub, HubContentName, HubContentType, HubContentVersion, Tags, ...input } = req;
    const record = this.insert(scope, hub, HubContentType, HubContentName, HubContentVersion ?? FIRST_VERSION, input, Tags);
    return this.shaped('ImportHubContent', { HubArn: record.hubArn, HubContentArn: record.arn });
  }

  createReference(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const hub = this.hub(scope, String(req.HubName));
    const publicArn = String(req.SageMakerPublicHubContentArn);
    // arn:aws:sagemaker:<region>:aws:hub-content/SageMakerPublicHub/Model/<model-id>[/<version>]: the name defaults to the model id.
    const name = req.HubContentName ?? /\/Model\/([^/]+)/.exec(publicArn)![1];
    const input = {
      SageMakerPublicHubContentArn: publicArn,
      ReferenceMinVersion: req.MinVersion,
      DocumentSchemaVersion: '2.0.0',
      HubContentDocument: JSON.stringify({ SageMakerPublicHubContentArn: publicArn, MinVersion: req.MinVersion }),
    };
    const record = this.insert(scope, hub, 'ModelReference', name, FIRST_VERSION, input, req.Tags);
    return this.shaped('CreateHubContentReference', { HubArn: record.hubArn, HubContentArn: record.arn });
  }

  describe(req: Record<string, any>, ctx: RequestContext): unknown {
    return this.shaped('DescribeHubContent', this.view(this.select(scopeOf(ctx), req).record));
  }

  list(req: Record<string, any>, ctx: RequestContext, versionsOfOne: boolean): unknown {
    const scope = scopeOf(ctx);
    const hub = this.hub(scope, String(req.HubName));
    const all = this.contents(scope, hub, String(req.HubContentType), versionsOfOne ? String(req.HubContentName) : undefined);
    let rows: ContentRecord[];
    if (versionsOfOne) {
      rows = all.map((v) => v.record).filter((r) => !req.MinVersion || compareVersions(r.version, req.MinVersion) >= 0);
    } else {
      const byName = new Map<string, { key: string; record: ContentRecord }[]>();
      for (const v of all) byName.set(v.record.name.toLowerCase(), [...(byName.get(v.record.name.toLowerCase()) ?? []), v]);
      rows = [...byName.values()].map((vs) => latest(vs)!.record);
    }
    const time = (d: unknown) => new Date(d as string).getTime();
    rows = rows
      .filter((r) => !req.NameContains || r.name.toLowerCase().includes(String(req.NameContains).toLowerCase()))
      .filter((r) => !req.MaxSchemaVersion || compareVersions(String(r.input.DocumentSchemaVersion ?? ''), req.MaxSchemaVersion) <= 0)
      .filter((r) => !req.CreationTimeAfter || r.created.getTime() > time(req.CreationTimeAfter))
      .filter((r) => !req.CreationTimeBefore || r.created.getTime() < time(req.CreationTimeBefore));
    const by = req.SortBy ?? 'CreationTime';
    const now = this.now();
    const key = (r: ContentRecord): string | number =>
      by === 'HubContentName' ? r.name : by === 'HubContentStatus' ? (statusAt(r.timeline, now) ?? '') : r.created.getTime();
    const dir = (req.SortOrder ?? 'Ascending') === 'Descending' ? -1 : 1;
    rows.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return (ka < kb ? -1 : ka > kb ? 1 : 0) * dir || compareVersions(a.version, b.version) * dir;
    });
    const { items, nextToken } = pageByOffset(rows, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    const op = versionsOfOne ? 'ListHubContentVersions' : 'ListHubContents';
    const summary = this.model.shapes[this.model.shapes[this.model.operations[op].output!.shape].members!.HubContentSummaries.shape].member!.shape;
    return this.shaped(op, { HubContentSummaries: items.map((r) => conform(this.model, summary, this.view(r))), NextToken: nextToken });
  }

  update(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const { key, record } = this.select(scope, req);
    if (req.MinVersion !== undefined) {
      if (record.type !== 'ModelReference') throw validation('MinVersion can only be updated on a hub content reference.');
      record.input.ReferenceMinVersion = req.MinVersion;
    }
    const { HubName: _h, HubContentName: _n, HubContentType: _t, HubContentVersion: _v, MinVersion: _m, ...changes } = req;
    Object.assign(record.input, changes);
    record.modified = new Date(this.now());
    this.deps.db.update(scope, CONTENT_KIND, key, record);
    return this.shaped(record.type === 'ModelReference' && req.MinVersion !== undefined ? 'UpdateHubContentReference' : 'UpdateHubContent', {
      HubArn: record.hubArn,
      HubContentArn: record.arn,
    });
  }

  /** DeleteHubContent names one version; DeleteHubContentReference (no version) removes every version of the reference. */
  delete(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    if (req.HubContentVersion) {
      this.deps.db.delete(scope, CONTENT_KIND, this.select(scope, req).key);
      return {};
    }
    const hub = this.hub(scope, String(req.HubName));
    const all = this.contents(scope, hub, String(req.HubContentType), String(req.HubContentName));
    if (!all.length) throw this.notFound(scope, hub.name, String(req.HubContentType), String(req.HubContentName));
    for (const v of all) this.deps.db.delete(scope, CONTENT_KIND, v.key);
    return {};
  }
}

/** Semantic versions compared part by part (1.10.0 after 1.9.0); non-numeric parts as strings. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const d = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (d) return Math.sign(d);
  }
  return 0;
}

function latest<T extends { record: ContentRecord }>(versions: T[]): T | undefined {
  return versions.reduce<T | undefined>((best, v) => (!best || compareVersions(v.record.version, best.record.version) > 0 ? v : best), undefined);
}
