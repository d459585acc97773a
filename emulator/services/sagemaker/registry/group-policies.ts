/**
 * Resource policies on model package groups (Put/Get/DeleteModelPackageGroupPolicy), used on AWS
 * to share a group across accounts. The policy is stored and read back; nothing here evaluates
 * it (localsage does not enforce IAM). A policy belongs to one incarnation of its group: a group
 * deleted and created again has none.
 */
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError, validation } from '../../../protocol/errors.js';
import type { ServiceDeps } from '../../deps.js';
import { scopeOf } from '../scope.js';

const POLICY_KIND = 'registry:ModelPackageGroupPolicy';

const noPolicy = (groupArn: string) => validation(`Cannot find resource policy for: ${groupArn}`);

/** The group's ARN as named (a name or an ARN), lower-cased as SageMaker ARNs are. */
const groupArn = (ctx: RequestContext, nameOrArn: string) => {
  const { region, accountId } = scopeOf(ctx);
  return nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:sagemaker:${region}:${accountId}:model-package-group/${nameOrArn.toLowerCase()}`;
};

interface StoredPolicy {
  policy: string;
  /** The group's CreationTime when the policy was put, to tell one incarnation from the next. */
  groupCreated: number;
}

type Doc = Record<string, any>;

export class GroupPolicies {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly ops: Record<string, OperationHandler>,
  ) {}

  /**
   * The group as DescribeModelPackageGroup answers it. A missing group is ValidationException
   * "Cannot find Model Package Group: <arn>" and a group without a policy "Cannot find resource
   * policy for: <arn>": the wordings AWS's CloudFormation handler for AWS::SageMaker::ModelPackageGroup
   * and the Terraform provider's aws_sagemaker_model_package_group_policy match.
   */
  private async group(name: string, ctx: RequestContext): Promise<{ name: string; arn: string; created: number }> {
    let g: Doc;
    try {
      g = (await this.ops.DescribeModelPackageGroup({ ModelPackageGroupName: name }, ctx)) as Doc;
    } catch (e) {
      if (e instanceof AwsError && e.code === 'ValidationException') throw validation(`Cannot find Model Package Group: ${groupArn(ctx, name)}`);
      throw e;
    }
    return { name: String(g.ModelPackageGroupName), arn: String(g.ModelPackageGroupArn), created: new Date(g.CreationTime).getTime() };
  }

  private current(ctx: RequestContext, group: { name: string; created: number }): StoredPolicy | undefined {
    const found = this.deps.db.get<StoredPolicy>(scopeOf(ctx), POLICY_KIND, group.name)?.data;
    return found && found.groupCreated === group.created ? found : undefined;
  }

  async put(req: Doc, ctx: RequestContext): Promise<unknown> {
    const group = await this.group(String(req.ModelPackageGroupName), ctx);
    const policy = String(req.ResourcePolicy);
    let parsed: unknown;
    try {
      parsed = JSON.parse(policy);
    } catch {
      throw validation('The resource policy is not valid JSON.');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !('Statement' in parsed)) {
      throw validation('The resource policy must be a JSON policy document with a Statement.');
    }
    const scope = scopeOf(ctx);
    const record: StoredPolicy = { policy, groupCreated: group.created };
    if (!this.deps.db.insert(scope, POLICY_KIND, group.name, `${group.arn}/resource-policy`, record)) this.deps.db.update(scope, POLICY_KIND, group.name, record);
    return { ModelPackageGroupArn: group.arn };
  }

  async get(req: Doc, ctx: RequestContext): Promise<unknown> {
    const group = await this.group(String(req.ModelPackageGroupName), ctx);
    const found = this.current(ctx, group);
    if (!found) throw noPolicy(group.arn);
    return { ResourcePolicy: found.policy };
  }

  async delete(req: Doc, ctx: RequestContext): Promise<unknown> {
    const group = await this.group(String(req.ModelPackageGroupName), ctx);
    if (!this.current(ctx, group)) throw noPolicy(group.arn);
    this.deps.db.delete(scopeOf(ctx), POLICY_KIND, group.name);
    return {};
  }
}
