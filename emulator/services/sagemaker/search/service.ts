/**
 * Experiments' associations (Associate/DisassociateTrialComponent, the ListTrials and
 * ListTrialComponents filters that follow them) and the Search API. The experiment, trial and
 * trial component resources themselves are the generic engine's; Search reads every resource
 * through the same Describe operations a client calls, so its results are what Describe answers.
 */
import type { SearchRequest } from '@aws-sdk/client-sagemaker';
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError, validation } from '../../../protocol/errors.js';
import type { ServiceDeps } from '../../deps.js';
import { pageByOffset } from '../../page-token.js';
import { invalidNextToken } from '../listing.js';
import { scopeOf } from '../scope.js';
import { matches, valueAt } from './expression.js';
import { JOB_SOURCE } from './job-components.js';
import type { SearchSource } from './more-resources.js';

const ASSOCIATION = 'trial-component-association';
interface Association {
  TrialName: string;
  TrialComponentName: string;
}

type Doc = Record<string, unknown>;

/** Per searchable resource: how to enumerate it, describe it, and the member its result goes in. */
const RESOURCES: Record<string, { list: string; summaries: string; key: string; describe: string; result: string; listInput?: Doc; from?: string }> = {
  TrainingJob: { list: 'ListTrainingJobs', summaries: 'TrainingJobSummaries', key: 'TrainingJobName', describe: 'DescribeTrainingJob', result: 'TrainingJob' },
  Experiment: { list: 'ListExperiments', summaries: 'ExperimentSummaries', key: 'ExperimentName', describe: 'DescribeExperiment', result: 'Experiment' },
  ExperimentTrial: { list: 'ListTrials', summaries: 'TrialSummaries', key: 'TrialName', describe: 'DescribeTrial', result: 'Trial' },
  // Versioned and unversioned packages alike, described by ARN (a version's name is <group>/<N>).
  ModelPackage: { list: 'ListModelPackages', summaries: 'ModelPackageSummaryList', key: 'ModelPackageName', describe: 'DescribeModelPackage', result: 'ModelPackage', listInput: { ModelPackageType: 'Both' }, from: 'ModelPackageArn' },
  ExperimentTrialComponent: { list: 'ListTrialComponents', summaries: 'TrialComponentSummaries', key: 'TrialComponentName', describe: 'DescribeTrialComponent', result: 'TrialComponent' },
};

export class SearchService {
  constructor(
    private readonly deps: ServiceDeps,
    /** The emulator's operation table (hand-written and engine). */
    private readonly ops: Record<string, OperationHandler>,
    /** Resources whose records are not one per List entry (more-resources.ts). */
    private readonly more: Record<string, SearchSource> = {},
  ) {}

  private async call(op: string, input: Doc, ctx: RequestContext): Promise<Doc> {
    return (await this.ops[op](input, ctx)) as Doc;
  }

  private associations(ctx: RequestContext): Association[] {
    return this.deps.db.list<Association>(scopeOf(ctx), ASSOCIATION).map((r) => r.data);
  }

  async associate(req: Association, ctx: RequestContext, disassociate = false): Promise<Doc> {
    const component = await this.call('DescribeTrialComponent', { TrialComponentName: req.TrialComponentName }, ctx);
    const trial = await this.call('DescribeTrial', { TrialName: req.TrialName }, ctx);
    const scope = scopeOf(ctx);
    const key = `${String(trial.TrialName).toLowerCase()}|${String(component.TrialComponentName).toLowerCase()}`;
    if (disassociate) this.deps.db.delete(scope, ASSOCIATION, key);
    else if (!this.deps.db.get(scope, ASSOCIATION, key)) {
      this.deps.db.insert<Association>(scope, ASSOCIATION, key, key, { TrialName: String(trial.TrialName), TrialComponentName: String(component.TrialComponentName) });
    }
    return { TrialComponentArn: component.TrialComponentArn, TrialArn: trial.TrialArn };
  }

  /**
   * Deletes in the order the API reference requires: a trial component disassociated from every
   * trial, a trial once its components are gone, an experiment once its trials are.
   */
  async deleteGuarded(op: 'DeleteExperiment' | 'DeleteTrial' | 'DeleteTrialComponent', req: Doc, ctx: RequestContext): Promise<Doc> {
    if (op === 'DeleteTrialComponent') {
      const name = String(req.TrialComponentName);
      const trials = this.trialsOf(name, ctx);
      if (trials.length) throw validation(`Trial component ${name} is associated with trial(s) ${trials.join(', ')}: disassociate it from every trial before deleting it.`);
    } else if (op === 'DeleteTrial') {
      const name = String(req.TrialName).toLowerCase();
      const components = this.associations(ctx).filter((a) => a.TrialName.toLowerCase() === name);
      if (components.length) throw validation(`Trial ${req.TrialName} still has trial components (${components.map((a) => a.TrialComponentName).join(', ')}): disassociate or delete them before deleting the trial.`);
    } else {
      const trials = await this.listAll('ListTrials', 'TrialSummaries', { ExperimentName: req.ExperimentName }, ctx);
      if (trials.length) throw validation(`Experiment ${req.ExperimentName} still has trials (${trials.map((t) => t.TrialName).join(', ')}): delete them before deleting the experiment.`);
    }
    const out = await this.call(op, req, ctx);
    // A component made again under the same name is the user's own, not the old job's.
    if (op === 'DeleteTrialComponent') this.deps.db.delete(scopeOf(ctx), JOB_SOURCE, String(req.TrialComponentName));
    return out;
  }

  private trialsOf(component: string, ctx: RequestContext): string[] {
    return this.associations(ctx).filter((a) => a.TrialComponentName.toLowerCase() === component.toLowerCase()).map((a) => a.TrialName);
  }

  /** ListTrials: the engine's list, narrowed to the trials a TrialComponentName is associated with. */
  async listTrials(req: Doc, ctx: RequestContext): Promise<Doc> {
    const { TrialComponentName, ...rest } = req;
    if (typeof TrialComponentName !== 'string') return this.call('ListTrials', rest, ctx);
    const trials = new Set(this.trialsOf(TrialComponentName, ctx).map((t) => t.toLowerCase()));
    const all = await this.listAll('ListTrials', 'TrialSummaries', rest, ctx);
    return this.page(all.filter((t) => trials.has(String(t.TrialName).toLowerCase())), 'TrialSummaries', req);
  }

  /**
   * ListTrialComponents: narrowed by TrialName or ExperimentName through the associations, or by
   * SourceArn to the component SageMaker made for that job. A job's component's summary carries
   * its TrialComponentSource and Status, as its Describe does.
   */
  async listTrialComponents(req: Doc, ctx: RequestContext): Promise<Doc> {
    const { TrialName, ExperimentName, SourceArn, ...rest } = req;
    if ([TrialName, ExperimentName, SourceArn].filter((v) => v !== undefined).length > 1) throw validation('Only one of TrialName, ExperimentName or SourceArn may be specified.');
    if (TrialName === undefined && ExperimentName === undefined && SourceArn === undefined) {
      const page = await this.call('ListTrialComponents', rest, ctx);
      return { ...page, TrialComponentSummaries: await this.withSources((page.TrialComponentSummaries as Doc[]) ?? [], ctx) };
    }
    const all = await this.withSources(await this.listAll('ListTrialComponents', 'TrialComponentSummaries', rest, ctx), ctx);
    if (SourceArn !== undefined) return this.page(all.filter((c) => (c.TrialComponentSource as Doc | undefined)?.SourceArn === SourceArn), 'TrialComponentSummaries', req);
    let trials: Set<string>;
    if (typeof TrialName === 'string') trials = new Set([TrialName.toLowerCase()]);
    else {
      const inExperiment = await this.listAll('ListTrials', 'TrialSummaries', { ExperimentName }, ctx);
      trials = new Set(inExperiment.map((t) => String(t.TrialName).toLowerCase()));
    }
    const components = new Set(this.associations(ctx).filter((a) => trials.has(a.TrialName.toLowerCase())).map((a) => a.TrialComponentName.toLowerCase()));
    return this.page(all.filter((c) => components.has(String(c.TrialComponentName).toLowerCase())), 'TrialComponentSummaries', req);
  }

  private async withSources(summaries: Doc[], ctx: RequestContext): Promise<Doc[]> {
    const scope = scopeOf(ctx);
    return Promise.all(summaries.map(async (s) => {
      if (!this.deps.db.get(scope, JOB_SOURCE, String(s.TrialComponentName))) return s;
      const d = await this.call('DescribeTrialComponent', { TrialComponentName: s.TrialComponentName }, ctx);
      return { ...s, ...(d.Source ? { TrialComponentSource: d.Source } : {}), ...(d.Status ? { Status: d.Status } : {}), ...(d.StartTime ? { StartTime: d.StartTime } : {}), ...(d.EndTime ? { EndTime: d.EndTime } : {}) };
    }));
  }

  private page(items: Doc[], member: string, req: Doc): Doc {
    const { items: page, nextToken } = pageByOffset(items, req.NextToken as string | undefined, (req.MaxResults as number | undefined) ?? 10, invalidNextToken);
    return { [member]: page, NextToken: nextToken };
  }

  private async listAll(op: string, member: string, input: Doc, ctx: RequestContext): Promise<Doc[]> {
    const out: Doc[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(op, { ...input, MaxResults: 100, NextToken: token }, ctx);
      out.push(...((page[member] as Doc[]) ?? []));
      token = page.NextToken as string | undefined;
    } while (token);
    return out;
  }

  /** One resource as Search returns it: Describe's answer, its Tags, and for experiments' parts their links. */
  private async document(resource: string, name: string, ctx: RequestContext): Promise<Doc> {
    const r = RESOURCES[resource];
    const doc = { ...(await this.call(r.describe, { [r.key]: name }, ctx)) };
    const arn = Object.entries(doc).find(([k]) => k.endsWith('Arn') && k.startsWith(r.result))?.[1];
    if (typeof arn === 'string') {
      const tags = this.deps.db.tags(arn);
      if (tags.length) doc.Tags = tags;
    }
    if (resource === 'ExperimentTrialComponent') {
      const trials = this.trialsOf(name, ctx);
      const parents: Doc[] = [];
      for (const t of trials) {
        const trial = await this.call('DescribeTrial', { TrialName: t }, ctx).catch(() => undefined);
        if (trial) parents.push({ TrialName: trial.TrialName, ExperimentName: trial.ExperimentName });
      }
      if (parents.length) doc.Parents = parents;
    }
    if (resource === 'ExperimentTrial') {
      const components = this.associations(ctx).filter((a) => a.TrialName.toLowerCase() === name.toLowerCase());
      doc.TrialComponentSummaries = [];
      for (const a of components) {
        const c = await this.call('DescribeTrialComponent', { TrialComponentName: a.TrialComponentName }, ctx).catch(() => undefined);
        if (c) (doc.TrialComponentSummaries as Doc[]).push({ TrialComponentName: c.TrialComponentName, TrialComponentArn: c.TrialComponentArn, CreationTime: c.CreationTime, CreatedBy: c.CreatedBy });
      }
    }
    return doc;
  }

  async search(req: SearchRequest, ctx: RequestContext): Promise<Doc> {
    const resource = req.Resource!;
    const r = RESOURCES[resource];
    const more = this.more[resource];
    if (!r && !more) throw validation(`localsage's Search serves the resources ${[...Object.keys(RESOURCES), ...Object.keys(this.more)].join(', ')}; ${resource} is not one of them.`);
    const docs = (more ? await more(ctx) : await this.documents(resource, ctx)).filter((doc) => matches(doc, req.SearchExpression));
    const sortBy = req.SortBy ?? 'CreationTime';
    const sign = (req.SortOrder ?? 'Descending') === 'Ascending' ? 1 : -1;
    const key = (d: Doc) => {
      const v = valueAt(d, sortBy);
      return v instanceof Date ? v.getTime() : v;
    };
    docs.sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      if (x === y) return 0;
      // Resources without the property come last, in either order.
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      return (x! < y! ? -1 : 1) * sign;
    });
    const { items, nextToken } = pageByOffset(docs, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    return { Results: items.map((d) => ({ [r?.result ?? resource]: d })), NextToken: nextToken };
  }

  /** Every resource of a RESOURCES kind, as Search returns it. */
  private async documents(resource: string, ctx: RequestContext): Promise<Doc[]> {
    const r = RESOURCES[resource];
    const names = (await this.listAll(r.list, r.summaries, r.listInput ?? {}, ctx)).map((s) => String(s[r.from ?? r.key]));
    const docs: Doc[] = [];
    for (const name of names) {
      const doc = await this.document(resource, name, ctx).catch((e: unknown) => {
        if (e instanceof AwsError) return undefined; // deleted between List and Describe
        throw e;
      });
      if (doc) docs.push(doc);
    }
    return docs;
  }
}
