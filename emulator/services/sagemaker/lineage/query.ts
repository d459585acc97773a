/**
 * QueryLineage: a breadth-first walk over the stored associations from StartArns, up to MaxDepth
 * edges away, downstream (Descendants: source → destination), upstream (Ascendants) or both.
 * The vertices answered are the entities reached, start entities included, that pass Filters.
 * With IncludeEdges the answer also carries the edges on the paths from the start entities to
 * those vertices, and the entities those paths pass through.
 */
import type { RequestContext } from '../../../protocol/context.js';
import { resourceNotFound } from '../../../protocol/errors.js';
import type { ServiceModel } from '../../../protocol/service-model.js';
import { conform } from '../engine/shapes.js';
import { invalidNextToken } from '../listing.js';
import { pageByOffset } from '../../page-token.js';
import { scopeOf } from '../scope.js';
import type { AssociationService, Edge } from './associations.js';
import { entityByArn, readableOf, type Entity } from './entities.js';
import type { Database } from '../../../storage/database.js';

type Doc = Record<string, any>;

/** Defaults when the request leaves them out (the SageMaker Python SDK's LineageQuery uses the same). */
const DEFAULT_DIRECTION = 'Both';
const DEFAULT_MAX_DEPTH = 10;

export class LineageQuery {
  constructor(
    private readonly db: Database,
    private readonly model: ServiceModel,
    private readonly associations: AssociationService,
  ) {}

  query(req: Doc, ctx: RequestContext): unknown {
    const starts: Entity[] = ((req.StartArns as string[] | undefined) ?? []).map((arn) => {
      const e = entityByArn(this.db, arn, scopeOf(ctx));
      if (!e) throw resourceNotFound(`${readableOf(arn)} ${arn} does not exist.`);
      return e;
    });
    const direction = (req.Direction as string | undefined) ?? DEFAULT_DIRECTION;
    const maxDepth = (req.MaxDepth as number | undefined) ?? DEFAULT_MAX_DEPTH;
    const includeEdges = req.IncludeEdges !== false;
    const live = this.associations.edges(scopeOf(ctx));
    const entities = new Map<string, Entity>();
    for (const { source, destination } of live) entities.set(source.arn, source).set(destination.arn, destination);
    const out = new Map<string, { edge: Edge; next: string }[]>();
    const push = (from: string, edge: Edge, next: string) => (out.get(from) ?? out.set(from, []).get(from)!).push({ edge, next });
    for (const { edge } of live) {
      if (direction !== 'Ascendants') push(edge.SourceArn, edge, edge.DestinationArn);
      if (direction !== 'Descendants') push(edge.DestinationArn, edge, edge.SourceArn);
    }

    // Breadth first: depth of each entity reached, and the edges that reached it at that depth.
    const depth = new Map<string, number>();
    const reachedBy = new Map<string, { edge: Edge; from: string }[]>();
    let frontier = starts.map((s) => s.arn);
    for (const s of starts) {
      entities.set(s.arn, s);
      depth.set(s.arn, 0);
    }
    for (let d = 1; d <= maxDepth && frontier.length; d++) {
      const next: string[] = [];
      for (const from of frontier) {
        for (const { edge, next: to } of out.get(from) ?? []) {
          const seen = depth.get(to);
          if (seen === undefined) {
            depth.set(to, d);
            next.push(to);
          }
          if ((seen ?? d) === d) (reachedBy.get(to) ?? reachedBy.set(to, []).get(to)!).push({ edge, from });
        }
      }
      frontier = next;
    }

    const matched = [...depth.keys()].filter((arn) => matches(entities.get(arn)!, req.Filters as Doc | undefined));
    const vertices = new Set(matched);
    const edges = new Map<string, Edge>();
    if (includeEdges) {
      const stack = [...matched];
      const walked = new Set<string>();
      while (stack.length) {
        const arn = stack.pop()!;
        if (walked.has(arn)) continue;
        walked.add(arn);
        for (const { edge, from } of reachedBy.get(arn) ?? []) {
          edges.set(`${edge.SourceArn}|${edge.DestinationArn}`, edge);
          vertices.add(from);
          stack.push(from);
        }
      }
    }
    const vertexList = [...vertices].map((arn) => entities.get(arn)!).map((e) => ({ Arn: e.arn, Type: vertexType(e), LineageType: e.lineageType }));
    const { items, nextToken } = pageByOffset(vertexList, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    const pageArns = new Set(items.map((v) => v.Arn));
    // A page carries the edges that touch one of its vertices.
    const pageEdges = [...edges.values()]
      .filter((e) => pageArns.has(e.SourceArn) || pageArns.has(e.DestinationArn))
      .map((e) => ({ SourceArn: e.SourceArn, DestinationArn: e.DestinationArn, AssociationType: e.AssociationType }));
    return conform(this.model, this.model.operations.QueryLineage.output!.shape, {
      Vertices: items,
      Edges: includeEdges ? pageEdges : [],
      NextToken: nextToken,
    });
  }
}

/**
 * Vertex.Type. A job's trial component, whose ListAssociations type is its source type
 * (SageMakerTrainingJob), is a TrainingJob / ProcessingJob / TransformJob vertex: the types the
 * SageMaker Python SDK's LineageSourceEnum filters on (EndpointContext.training_job_arns).
 */
function vertexType(e: Entity): string | undefined {
  if (e.arnType !== 'experiment-trial-component') return e.type;
  return /^SageMaker(Training|Processing|Transform)Job$/.exec(e.type ?? '') ? e.type!.slice('SageMaker'.length) : e.type;
}

/** QueryFilters: every filter given must hold. */
function matches(e: Entity, f: Doc | undefined): boolean {
  if (!f) return true;
  if (f.Types?.length && !f.Types.includes(vertexType(e))) return false;
  if (f.LineageTypes?.length && !f.LineageTypes.includes(e.lineageType)) return false;
  const t = (v: unknown) => new Date(v as string).getTime();
  if (f.CreatedBefore !== undefined && !(e.created.getTime() < t(f.CreatedBefore))) return false;
  if (f.CreatedAfter !== undefined && !(e.created.getTime() > t(f.CreatedAfter))) return false;
  if (f.ModifiedBefore !== undefined && !(e.modified.getTime() < t(f.ModifiedBefore))) return false;
  if (f.ModifiedAfter !== undefined && !(e.modified.getTime() > t(f.ModifiedAfter))) return false;
  for (const [k, v] of Object.entries((f.Properties as Record<string, string> | undefined) ?? {})) if (e.properties[k] !== v) return false;
  return true;
}
