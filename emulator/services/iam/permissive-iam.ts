import { createHash } from 'node:crypto';
import type { GetRoleResponse, SimulatePolicyResponse } from '@aws-sdk/client-iam';
import { AwsError } from '../../protocol/errors.js';
import type { CallerIdentity } from '../../protocol/identity.js';

/**
 * localsage does not enforce IAM. Clients that check a role before using it (the SageMaker
 * Python SDK v3's ModelTrainer simulates the role's permissions and reads its trust policy)
 * find that every role exists, trusts SageMaker, and is allowed every action.
 */
const TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

function roleId(arn: string): string {
  return `AROA${createHash('sha256').update(arn).digest('hex').slice(0, 17).toUpperCase()}`;
}

export function getRole(params: URLSearchParams, identity: CallerIdentity): GetRoleResponse {
  const name = params.get('RoleName');
  if (!name) throw new AwsError('ValidationError', "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null");
  const arn = `arn:aws:iam::${identity.accountId}:role/${name}`;
  return {
    Role: {
      Path: '/',
      RoleName: name,
      RoleId: roleId(arn),
      Arn: arn,
      CreateDate: new Date(0),
      // The query protocol carries policy documents URL-encoded.
      AssumeRolePolicyDocument: encodeURIComponent(TRUST_POLICY),
      MaxSessionDuration: 3600,
    },
  };
}

export function simulatePrincipalPolicy(params: URLSearchParams): SimulatePolicyResponse {
  const actions = [...params.entries()].filter(([k]) => /^ActionNames\.member\.\d+$/.test(k)).map(([, v]) => v);
  const resources = [...params.entries()].filter(([k]) => /^ResourceArns\.member\.\d+$/.test(k)).map(([, v]) => v);
  return {
    IsTruncated: false,
    EvaluationResults: actions.flatMap((action) =>
      (resources.length ? resources : ['*']).map((resource) => ({
        EvalActionName: action,
        EvalResourceName: resource,
        EvalDecision: 'allowed' as const,
        MatchedStatements: [],
        MissingContextValues: [],
      })),
    ),
  };
}
