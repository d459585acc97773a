/**
 * The writes SageMaker's own lineage tracking makes: artifacts, contexts and actions found again
 * by their source URI before one is made ("SageMaker AI reuses any existing entities rather than
 * creating new ones. For example, there can be only one artifact with a unique SourceUri", AWS,
 * Lineage Tracking Entities), and associations added once. They go through the same operations a
 * caller uses, so what SageMaker makes is stored, listed and described like what a user makes.
 */
import type { OperationHandler } from '../../../../protocol/aws-json.js';
import { newRequestId, type RequestContext } from '../../../../protocol/context.js';
import type { Scope } from '../../../../storage/database.js';
import type { ServiceDeps } from '../../../deps.js';
import { insertEdge } from '../associations.js';
import { ARTIFACT_KIND, type StoredEntity } from '../entities.js';

type Doc = Record<string, any>;

/** The request context SageMaker acts under when it records lineage for an account and region. */
export function serviceContext(scope: Scope): RequestContext {
  return { identity: { accessKeyId: 'lineage-tracking', region: scope.region, accountId: scope.accountId }, requestId: newRequestId() };
}

export type AssociationType = 'ContributedTo' | 'AssociatedWith' | 'DerivedFrom' | 'Produced';

export class LineageGraph {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly ops: () => Record<string, OperationHandler>,
  ) {}

  private get db() {
    return this.deps.db;
  }

  private sourceOf(r: StoredEntity): string | undefined {
    return (r.input.Source as Doc | undefined)?.SourceUri;
  }

  /** The artifact with this source URI (the oldest, where a user made several), else a new one. */
  async artifact(ctx: RequestContext, uri: string, artifactType: string, extra: Doc = {}): Promise<string> {
    const scope = scopeOfCtx(ctx);
    const found = this.db
      .list<StoredEntity>(scope, ARTIFACT_KIND)
      .filter((r) => this.sourceOf(r.data) === uri)
      .sort((a, b) => new Date(a.data.created).getTime() - new Date(b.data.created).getTime())[0];
    if (found) return found.arn;
    const out = (await this.ops().CreateArtifact({ Source: { SourceUri: uri }, ArtifactType: artifactType, ...extra }, ctx)) as Doc;
    return out.ArtifactArn;
  }

  /** The context of this type with this source URI, else one named `name`. */
  async context(ctx: RequestContext, name: string, uri: string, contextType: string, extra: Doc = {}): Promise<string> {
    const found = this.findEngine(ctx, 'engine:Context', uri, (r) => r.input.ContextType === contextType);
    if (found) return found;
    const out = (await this.ops().CreateContext({ ContextName: name, Source: { SourceUri: uri }, ContextType: contextType, ...extra }, ctx)) as Doc;
    return out.ContextArn;
  }

  /**
   * The action named `name` for this source URI, else a new one: under `name`, or `name-2`, ...
   * where another source's action (a second deployment within the second) holds the name.
   */
  async action(ctx: RequestContext, name: string, uri: string, actionType: string, extra: Doc = {}): Promise<string> {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? name : `${name}-${n}`;
      const existing = this.db.get<StoredEntity>(scopeOfCtx(ctx), 'engine:Action', candidate);
      if (existing && this.sourceOf(existing.data) === uri) return existing.arn;
      if (existing) continue;
      const out = (await this.ops().CreateAction({ ActionName: candidate, Source: { SourceUri: uri }, ActionType: actionType, Status: 'Completed', ...extra }, ctx)) as Doc;
      return out.ActionArn;
    }
  }

  /** The newest action of this type with this source URI. */
  latestAction(scope: Scope, uri: string, actionType: string): string | undefined {
    return this.db
      .list<StoredEntity>(scope, 'engine:Action')
      .filter((r) => this.sourceOf(r.data) === uri && r.data.input.ActionType === actionType)
      .sort((a, b) => new Date(b.data.created).getTime() - new Date(a.data.created).getTime())[0]?.arn;
  }

  private findEngine(ctx: RequestContext, kind: string, uri: string, also: (r: StoredEntity) => boolean): string | undefined {
    return this.db.list<StoredEntity>(scopeOfCtx(ctx), kind).find((r) => this.sourceOf(r.data) === uri && also(r.data))?.arn;
  }

  /** An association, unless one from source to destination is there already (its type stands). */
  link(ctx: RequestContext, source: string, destination: string, type: AssociationType): void {
    insertEdge(this.db, scopeOfCtx(ctx), { SourceArn: source, DestinationArn: destination, AssociationType: type, created: new Date(this.deps.clock.now()) });
  }
}

const scopeOfCtx = (ctx: RequestContext): Scope => ({ accountId: ctx.identity.accountId, region: ctx.identity.region });
