/**
 * Lineage groups. AWS creates them itself (no Create operation exists) when SageMaker's own
 * features group lineage entities; localsage creates none, so the list is empty and a named group
 * is not found. Said as it is, not faked.
 */
import type { RequestContext } from '../../../protocol/context.js';
import { resourceNotFound } from '../../../protocol/errors.js';
import { scopeOf } from '../scope.js';

type Doc = Record<string, any>;

export const lineageGroups = {
  describe(req: Doc, ctx: RequestContext): never {
    const scope = scopeOf(ctx);
    throw resourceNotFound(`Lineage group arn:aws:sagemaker:${scope.region}:${scope.accountId}:lineage-group/${String(req.LineageGroupName).toLowerCase()} does not exist.`);
  },
  list(): unknown {
    return { LineageGroupSummaries: [] };
  },
  policy(req: Doc, ctx: RequestContext): never {
    const name = String(req.LineageGroupName);
    const scope = scopeOf(ctx);
    const arn = name.startsWith('arn:') ? name : `arn:aws:sagemaker:${scope.region}:${scope.accountId}:lineage-group/${name.toLowerCase()}`;
    throw resourceNotFound(`Lineage group ${arn} does not exist.`);
  },
};
