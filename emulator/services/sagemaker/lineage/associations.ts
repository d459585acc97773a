/**
 * Associations between lineage entities (AddAssociation, DeleteAssociation, ListAssociations):
 * directed edges source → destination with a type. Both ends must exist when the edge is added;
 * an edge whose end was deleted later is dropped when next read, so no answer names a vertex
 * that is gone.
 */
import type { RequestContext } from '../../../protocol/context.js';
import { resourceNotFound, validation } from '../../../protocol/errors.js';
import type { ServiceModel } from '../../../protocol/service-model.js';
import type { Database, Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { conform } from '../engine/shapes.js';
import { invalidNextToken } from '../listing.js';
import { pageByOffset } from '../../page-token.js';
import { scopeOf } from '../scope.js';
import { entityByArn, readableOf, type Entity } from './entities.js';

export const ASSOCIATION_KIND = 'lineage:Association';

export interface Edge {
  SourceArn: string;
  DestinationArn: string;
  AssociationType: string;
  created: Date;
}

type Doc = Record<string, any>;

const edgeKey = (source: string, destination: string) => `${source}|${destination}`;

/** Stores an edge; false when one from the same source to the same destination exists. */
export function insertEdge(db: Database, scope: Scope, edge: Edge): boolean {
  const key = edgeKey(edge.SourceArn, edge.DestinationArn);
  return db.insert(scope, ASSOCIATION_KIND, key, `lineage-association:${scope.accountId}:${scope.region}:${key}`, edge);
}

/** Without an AssociationType, AddAssociation records AssociatedWith. */
const DEFAULT_TYPE = 'AssociatedWith';

export class AssociationService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
  ) {}

  private end(arn: string, ctx: RequestContext): Entity {
    const entity = entityByArn(this.deps.db, arn, scopeOf(ctx));
    if (!entity) throw resourceNotFound(`${readableOf(arn)} ${arn} does not exist.`);
    return entity;
  }

  add(req: Doc, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const source = this.end(String(req.SourceArn), ctx);
    const destination = this.end(String(req.DestinationArn), ctx);
    const edge: Edge = { SourceArn: source.arn, DestinationArn: destination.arn, AssociationType: req.AssociationType ?? DEFAULT_TYPE, created: new Date(this.deps.clock.now()) };
    // An edge that exists is refused with a ValidationException saying it "already exists": the
    // SageMaker Python SDK's lineage tracker (sagemaker.experiments._helper) catches exactly that
    // code and phrase to skip associations it has made before. The first edge's type and time stand.
    if (!insertEdge(this.deps.db, scope, edge)) {
      throw validation(`Association from ${source.arn} to ${destination.arn} already exists.`);
    }
    return { SourceArn: source.arn, DestinationArn: destination.arn };
  }

  delete(req: Doc, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const source = String(req.SourceArn);
    const destination = String(req.DestinationArn);
    if (!this.deps.db.delete(scope, ASSOCIATION_KIND, edgeKey(source, destination))) {
      throw resourceNotFound(`Association from ${source} to ${destination} does not exist.`);
    }
    return { SourceArn: source, DestinationArn: destination };
  }

  /** Every live edge of the scope, in creation order; edges to deleted entities are removed. */
  edges(scope: Scope): { edge: Edge; source: Entity; destination: Entity }[] {
    const out: { edge: Edge; source: Entity; destination: Entity }[] = [];
    for (const row of this.deps.db.list<Edge>(scope, ASSOCIATION_KIND)) {
      const source = entityByArn(this.deps.db, row.data.SourceArn, scope);
      const destination = entityByArn(this.deps.db, row.data.DestinationArn, scope);
      if (source && destination) out.push({ edge: row.data, source, destination });
      else this.deps.db.delete(scope, ASSOCIATION_KIND, row.name);
    }
    return out;
  }

  list(req: Doc, ctx: RequestContext): unknown {
    const rows = this.edges(scopeOf(ctx))
      .filter(({ edge }) => req.SourceArn === undefined || edge.SourceArn === req.SourceArn)
      .filter(({ edge }) => req.DestinationArn === undefined || edge.DestinationArn === req.DestinationArn)
      .filter(({ source }) => req.SourceType === undefined || source.type === req.SourceType)
      .filter(({ destination }) => req.DestinationType === undefined || destination.type === req.DestinationType)
      .filter(({ edge }) => req.AssociationType === undefined || edge.AssociationType === req.AssociationType)
      .filter(({ edge }) => req.CreatedAfter === undefined || edge.created.getTime() > new Date(req.CreatedAfter).getTime())
      .filter(({ edge }) => req.CreatedBefore === undefined || edge.created.getTime() < new Date(req.CreatedBefore).getTime())
      .map(({ edge, source, destination }) => ({
        SourceArn: edge.SourceArn,
        DestinationArn: edge.DestinationArn,
        SourceType: source.type,
        DestinationType: destination.type,
        AssociationType: edge.AssociationType,
        SourceName: source.name,
        DestinationName: destination.name,
        CreationTime: edge.created,
      }));
    const by = (req.SortBy as string | undefined) ?? 'CreationTime';
    const dir = (req.SortOrder ?? 'Descending') === 'Descending' ? -1 : 1;
    const key = (r: Doc): string | number => (by === 'CreationTime' ? (r.CreationTime as Date).getTime() : String(r[by] ?? ''));
    const sorted = rows.map((r, i) => ({ r, i })).sort((a, b) => (key(a.r) < key(b.r) ? -1 : key(a.r) > key(b.r) ? 1 : a.i - b.i) * dir).map((x) => x.r);
    const { items, nextToken } = pageByOffset(sorted, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    return conform(this.model, this.model.operations.ListAssociations.output!.shape, { AssociationSummaries: items, NextToken: nextToken });
  }
}
