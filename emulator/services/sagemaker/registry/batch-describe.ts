/**
 * BatchDescribeModelPackage: one DescribeModelPackage per ARN; each package found is summarized,
 * each one that is not goes into the error map with the code and message Describe gave.
 */
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError } from '../../../protocol/errors.js';
import type { ServiceModel } from '../../../protocol/service-model.js';
import { conform } from '../engine/shapes.js';

type Doc = Record<string, any>;

export async function batchDescribeModelPackage(model: ServiceModel, ops: Record<string, OperationHandler>, req: Doc, ctx: RequestContext): Promise<unknown> {
  const summaries: Record<string, unknown> = {};
  const errors: Record<string, unknown> = {};
  for (const arn of req.ModelPackageArnList as string[]) {
    try {
      const d = (await ops.DescribeModelPackage({ ModelPackageName: arn }, ctx)) as Doc;
      // The summary requires an InferenceSpecification; for a package created without one the
      // engine's rule for required members applies (the shape's minimal value), as in every output.
      summaries[arn] = conform(model, 'BatchDescribeModelPackageSummary', d);
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      errors[arn] = { ErrorCode: e.code, ErrorResponse: e.message };
    }
  }
  return { ModelPackageSummaries: summaries, BatchDescribeModelPackageErrorMap: errors };
}
