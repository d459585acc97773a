import { Rng } from '../../../../core/random.js';
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError, resourceNotFound, validation } from '../../../protocol/errors.js';
import { sagemakerModel } from '../../../protocol/service-model.js';
import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { pageByOffset } from '../../page-token.js';
import { deriveFamilies, type Family } from '../engine/families.js';
import { requestInstant, statusAt, transition, type StatusTimeline } from '../engine/lifecycle.js';
import { conform } from '../engine/shapes.js';
import { invalidNextToken, listPage } from '../listing.js';
import { scopeOf } from '../scope.js';
import { UNAVAILABLE_FAMILIES, type UnavailableFamily } from './families.js';

interface JobRecord {
  input: Record<string, any>;
  arn: string;
  created: string;
  modified: string;
  timeline: StatusTimeline;
  /** Assigned on Create (a labeling job's JobReferenceCode). */
  assigned?: Record<string, unknown>;
}

const kindOf = (f: Family) => `unavailable:${f.name}`;

let derived: Family[] | undefined;
/** The families of UNAVAILABLE_FAMILIES as the service model defines them (key, ARN type, operations). */
export function unavailableFamilies(): Family[] {
  const names = new Set(UNAVAILABLE_FAMILIES.map((f) => f.name));
  derived ??= deriveFamilies(sagemakerModel(), (n) => !names.has(n)).families;
  return derived;
}

/** Every operation this service answers, for the catalog. */
export function unavailableJobOperations(): string[] {
  const ops = unavailableFamilies().flatMap((f) => Object.values(f.ops).filter((o): o is string => !!o && !!sagemakerModel().operations[o]));
  return [...ops, 'ListLabelingJobsForWorkteam'];
}

/**
 * The lifecycle of a job localsage cannot run: Create records it in its running state, and after
 * the timing profile's transition it is Failed with the family's reason. Describe, List (with its
 * filters), Stop, Delete and tags behave as on AWS.
 */
export class UnavailableJobService {
  private readonly rng = new Rng(Date.now() % 2 ** 32);

  constructor(private readonly deps: ServiceDeps) {
    this.now = requestInstant(deps.clock);
  }
  /** One clock read per request (see requestInstant). */
  private readonly now: () => number;

  operations(): Record<string, OperationHandler> {
    const out: Record<string, OperationHandler> = {};
    for (const family of unavailableFamilies()) {
      const spec = UNAVAILABLE_FAMILIES.find((f) => f.name === family.name)!;
      const o = family.ops;
      out[o.create] = (i, c) => this.create(family, spec, i as Record<string, any>, c);
      out[o.describe] = (i, c) => this.describe(family, spec, i as Record<string, any>, c);
      if (o.list) out[o.list] = (i, c) => this.list(family, spec, i as Record<string, any>, c);
      if (o.stop) out[o.stop] = (i, c) => this.stop(family, spec, i as Record<string, any>, c);
      if (o.delete) out[o.delete] = (i, c) => this.delete(family, spec, i as Record<string, any>, c);
    }
    out.ListLabelingJobsForWorkteam = (i, c) => this.listForWorkteam(i as Record<string, any>, c);
    return out;
  }

  private shaped(op: string, value: Record<string, unknown>): unknown {
    const shape = sagemakerModel().operations[op]?.output?.shape;
    return shape ? conform(sagemakerModel(), shape, value) : {};
  }

  private arn(scope: Scope, f: Family, name: string) {
    return `arn:aws:sagemaker:${scope.region}:${scope.accountId}:${f.resourceType}/${name.toLowerCase()}`;
  }

  private notFound(scope: Scope, f: Family, name: string): AwsError {
    const message = `${f.readable.charAt(0).toUpperCase()}${f.readable.slice(1)} ${this.arn(scope, f, name)} does not exist.`;
    return f.notFound === 'ResourceNotFound' ? resourceNotFound(message) : validation(message);
  }

  private load(scope: Scope, f: Family, name: string): JobRecord {
    const r = this.deps.db.get<JobRecord>(scope, kindOf(f), name);
    if (!r) throw this.notFound(scope, f, name);
    return r.data;
  }

  private view(f: Family, spec: UnavailableFamily, name: string, r: JobRecord): Record<string, unknown> {
    const now = this.now();
    const status = statusAt(r.timeline, now)!;
    const ended = status === spec.states.failed || status === spec.states.stopped;
    const out: Record<string, unknown> = {
      ...r.input,
      ...r.assigned,
      ...spec.summary?.(r.input),
      [f.key]: name,
      CreationTime: new Date(r.created),
      LastModifiedTime: new Date(ended ? Math.max(r.timeline.at, Date.parse(r.modified)) : Date.parse(r.modified)),
      [f.status!.member]: status,
    };
    if (f.arnMember) out[f.arnMember] = r.arn;
    if (status === spec.states.failed) out[spec.reasonMember] = spec.reason;
    // A reason the output shape requires is empty until the job has failed (not a made-up value).
    else if (sagemakerModel().shapes[sagemakerModel().operations[f.ops.describe].output!.shape].required?.includes(spec.reasonMember)) out[spec.reasonMember] = '';
    if (spec.times) {
      out[spec.times.start] = new Date(r.created);
      if (ended) out[spec.times.end] = new Date(r.timeline.at);
    }
    return out;
  }

  private create(f: Family, spec: UnavailableFamily, req: Record<string, any>, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const name = String(req[f.key]);
    const arn = this.arn(scope, f, name);
    const now = this.now();
    const { Tags, ...input } = req;
    const record: JobRecord = {
      input,
      arn,
      created: new Date(now).toISOString(),
      modified: new Date(now).toISOString(),
      timeline: transition([spec.states.running, spec.states.failed], now, this.deps.timing.controlPlaneTransition),
      assigned:
        f.name === 'LabelingJob'
          ? { JobReferenceCode: this.rng.uuid().replace(/-/g, ''), LabelCounters: { TotalLabeled: 0, HumanLabeled: 0, MachineLabeled: 0, FailedNonRetryableError: 0, Unlabeled: 0 } }
          : undefined,
    };
    if (!this.deps.db.insert(scope, kindOf(f), name, arn, record)) {
      const message = `Cannot create already existing ${f.readable} "${arn}".`;
      throw f.inUse === 'ResourceInUse' ? new AwsError('ResourceInUse', message) : validation(message);
    }
    if (Array.isArray(Tags) && Tags.length) this.deps.db.addTags(arn, Tags);
    return this.shaped(f.ops.create, f.arnMember ? { [f.arnMember]: arn } : {});
  }

  private describe(f: Family, spec: UnavailableFamily, req: Record<string, any>, ctx: RequestContext) {
    const name = String(req[f.key]);
    return this.shaped(f.ops.describe, this.view(f, spec, name, this.load(scopeOf(ctx), f, name)));
  }

  private list(f: Family, spec: UnavailableFamily, req: Record<string, any>, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    let views = this.deps.db.list<JobRecord>(scope, kindOf(f)).map((r) => this.view(f, spec, r.name, r.data));
    // The families' own filters: an edge packaging job's model, an optimization job's types.
    if (req.ModelNameContains) views = views.filter((v) => String(v.ModelName ?? '').toLowerCase().includes(String(req.ModelNameContains).toLowerCase()));
    if (req.OptimizationContains) views = views.filter((v) => (v.OptimizationTypes as string[] | undefined)?.some((t) => t.toLowerCase().includes(String(req.OptimizationContains).toLowerCase())));
    const status = f.status!.member;
    const { page, NextToken } = listPage(views, req, {
      name: (v) => String(v[f.key]),
      creationTime: (v) => v.CreationTime as Date,
      lastModifiedTime: (v) => v.LastModifiedTime as Date,
      status: (v) => v[status] as string,
      defaultOrder: 'Descending',
    });
    const summary = f.listMember!;
    return this.shaped(f.ops.list!, { [summary.member]: page.map((v) => conform(sagemakerModel(), summary.shape, v)), NextToken });
  }

  private stop(f: Family, spec: UnavailableFamily, req: Record<string, any>, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const name = String(req[f.key]);
    const r = this.load(scope, f, name);
    const now = this.now();
    const current = statusAt(r.timeline, now);
    if (current !== spec.states.running) {
      throw validation(`The ${f.readable} ${name} is in status ${current} and cannot be stopped.`);
    }
    r.timeline = transition([spec.states.stopping, spec.states.stopped], now, this.deps.timing.controlPlaneTransition);
    r.modified = new Date(now).toISOString();
    this.deps.db.update(scope, kindOf(f), name, r);
    return this.shaped(f.ops.stop!, {});
  }

  private delete(f: Family, spec: UnavailableFamily, req: Record<string, any>, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const name = String(req[f.key]);
    const r = this.load(scope, f, name);
    const current = statusAt(r.timeline, this.now());
    if (current === spec.states.running || current === spec.states.stopping) {
      throw validation(`The ${f.readable} ${name} is in status ${current}; stop it before deleting it.`);
    }
    this.deps.db.delete(scope, kindOf(f), name);
    return this.shaped(f.ops.delete!, {});
  }

  private listForWorkteam(req: Record<string, any>, ctx: RequestContext) {
    const scope = scopeOf(ctx);
    const f = unavailableFamilies().find((x) => x.name === 'LabelingJob')!;
    const hit = this.deps.db.byArn(String(req.WorkteamArn));
    if (!hit || !/workteam/i.test(hit.kind)) throw resourceNotFound(`Workteam ${req.WorkteamArn} does not exist.`);
    let rows = this.deps.db
      .list<JobRecord>(scope, kindOf(f))
      .filter((r) => r.data.input.HumanTaskConfig?.WorkteamArn === req.WorkteamArn)
      .filter((r) => !req.JobReferenceCodeContains || String(r.data.assigned?.JobReferenceCode).includes(req.JobReferenceCodeContains))
      .filter((r) => !req.CreationTimeAfter || Date.parse(r.data.created) > new Date(req.CreationTimeAfter).getTime())
      .filter((r) => !req.CreationTimeBefore || Date.parse(r.data.created) < new Date(req.CreationTimeBefore).getTime())
      .map((r) => ({
        LabelingJobName: r.name,
        JobReferenceCode: r.data.assigned?.JobReferenceCode,
        WorkRequesterAccountId: scope.accountId,
        CreationTime: new Date(r.data.created),
        LabelCounters: { HumanLabeled: 0, PendingHuman: 0, Total: 0 },
        NumberOfHumanWorkersPerDataObject: r.data.input.HumanTaskConfig?.NumberOfHumanWorkersPerDataObject,
      }));
    rows.sort((a, b) => a.CreationTime.getTime() - b.CreationTime.getTime());
    if ((req.SortOrder ?? 'Descending') === 'Descending') rows = rows.reverse();
    const { items, nextToken } = pageByOffset(rows, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    return this.shaped('ListLabelingJobsForWorkteam', { LabelingJobSummaryList: items, NextToken: nextToken });
  }
}
