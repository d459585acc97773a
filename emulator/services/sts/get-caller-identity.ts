import type { GetCallerIdentityResponse } from '@aws-sdk/client-sts';
import type { CallerIdentity } from '../../protocol/identity.js';

/** The caller is whoever signed: root of the account their access key maps to. */
export function getCallerIdentity(identity: CallerIdentity): GetCallerIdentityResponse {
  return {
    Account: identity.accountId,
    Arn: `arn:aws:iam::${identity.accountId}:root`,
    UserId: identity.accountId,
  };
}
