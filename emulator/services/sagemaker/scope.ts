import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';

export const scopeOf = (ctx: RequestContext): Scope => ({ accountId: ctx.identity.accountId, region: ctx.identity.region });
