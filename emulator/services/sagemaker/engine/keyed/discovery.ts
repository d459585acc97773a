import type { OperationHandler } from '../../../../protocol/aws-json.js';
import type { RequestContext } from '../../../../protocol/context.js';
import type { ServiceModel } from '../../../../protocol/service-model.js';
import type { ServiceDeps } from '../../../deps.js';
import { pageByOffset } from '../../../page-token.js';
import { invalidNextToken } from '../../listing.js';
import { scopeOf } from '../../scope.js';
import { conform } from '../shapes.js';

/**
 * Two read-only operations about what can be found:
 * - ListResourceCatalogs: every account has one catalog, Feature Store's DefaultFeatureGroupCatalog
 *   (arn:aws:sagemaker:<region>:<account>:sagemaker-catalog/DefaultFeatureGroupCatalog, as the
 *   Feature Store cross-account discoverability guide names it), created the first time it is listed.
 * - GetSearchSuggestions: the property names Search accepts for a resource type, read from the
 *   model's SearchRecord shape (or the resource's Describe output where SearchRecord has no
 *   member for it), as dotted paths (`AlgorithmSpecification.TrainingImage`), filtered by the
 *   hint's prefix. AWS also suggests keys seen in stored data (HyperParameters.<name>); these
 *   suggestions come from the model only.
 */
export const DISCOVERY_OPERATIONS = ['ListResourceCatalogs', 'GetSearchSuggestions'];

const CATALOG = { name: 'DefaultFeatureGroupCatalog', description: 'Default catalog of all feature groups in the account' };

/** GetSearchSuggestions' Resource values whose SearchRecord member has another name. */
const SEARCH_MEMBER: Record<string, string> = { ExperimentTrial: 'Trial', ExperimentTrialComponent: 'TrialComponent' };

export class Discovery {
  private readonly suggestionsByResource = new Map<string, string[]>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly model: ServiceModel,
  ) {}

  operations(): Record<string, OperationHandler> {
    return {
      ListResourceCatalogs: (i, c) => this.listCatalogs(i, c),
      GetSearchSuggestions: (i) => this.suggestions(i),
    };
  }

  listCatalogs(req: Record<string, any>, ctx: RequestContext): unknown {
    const scope = scopeOf(ctx);
    const counter = `resource-catalog-created:${scope.accountId}:${scope.region}`;
    let created = this.deps.db.counter(counter);
    if (created === undefined) {
      created = this.deps.clock.now();
      this.deps.db.setCounter(counter, created);
    }
    const time = (d: unknown) => new Date(d as string).getTime();
    const catalogs = [
      {
        ResourceCatalogArn: `arn:aws:sagemaker:${scope.region}:${scope.accountId}:sagemaker-catalog/${CATALOG.name}`,
        ResourceCatalogName: CATALOG.name,
        Description: CATALOG.description,
        CreationTime: new Date(created),
      },
    ].filter(
      (c) =>
        (!req.NameContains || c.ResourceCatalogName.toLowerCase().includes(String(req.NameContains).toLowerCase())) &&
        (!req.CreationTimeAfter || c.CreationTime.getTime() > time(req.CreationTimeAfter)) &&
        (!req.CreationTimeBefore || c.CreationTime.getTime() < time(req.CreationTimeBefore)),
    );
    const { items, nextToken } = pageByOffset(catalogs, req.NextToken, req.MaxResults ?? 10, invalidNextToken);
    return conform(this.model, this.model.operations.ListResourceCatalogs.output!.shape, { ResourceCatalogs: items, NextToken: nextToken });
  }

  suggestions(req: Record<string, any>): unknown {
    const resource = String(req.Resource);
    let names = this.suggestionsByResource.get(resource);
    if (!names) {
      names = propertyNames(this.model, recordShape(this.model, resource));
      this.suggestionsByResource.set(resource, names);
    }
    const hint = req.SuggestionQuery?.PropertyNameQuery?.PropertyNameHint;
    const matching = hint === undefined ? names : names.filter((n) => n.toLowerCase().startsWith(String(hint).toLowerCase()));
    return conform(this.model, this.model.operations.GetSearchSuggestions.output!.shape, { PropertyNameSuggestions: matching.map((PropertyName) => ({ PropertyName })) });
  }
}

function recordShape(model: ServiceModel, resource: string): string | undefined {
  const member = model.shapes.SearchRecord?.members?.[SEARCH_MEMBER[resource] ?? resource];
  if (member) return member.shape;
  return model.operations[`Describe${resource}`]?.output?.shape;
}

/** Dotted paths of a shape's members, through nested structures and lists of structures, three levels deep. */
function propertyNames(model: ServiceModel, shapeName: string | undefined, prefix = '', depth = 0, out: string[] = []): string[] {
  const shape = shapeName ? model.shapes[shapeName] : undefined;
  if (!shape?.members || depth > 2) return out;
  for (const [name, member] of Object.entries(shape.members)) {
    const path = prefix + name;
    out.push(path);
    let inner = model.shapes[member.shape];
    if (inner?.type === 'list') inner = model.shapes[inner.member!.shape];
    // Tags are searched as Tags.<key>, not by the list's structure.
    if (inner?.type === 'structure' && name !== 'Tags') propertyNames(model, inner === model.shapes[member.shape] ? member.shape : model.shapes[member.shape].member!.shape, `${path}.`, depth + 1, out);
  }
  return depth === 0 ? [...new Set(out)].sort() : out;
}
