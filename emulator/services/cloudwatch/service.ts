import { createAwsJsonService } from '../../protocol/aws-json.js';
import { createRpcV2CborService } from '../../protocol/rpc-v2-cbor.js';
import { AwsError } from '../../protocol/errors.js';
import { own } from '../../protocol/own.js';
import { newRequestId } from '../../protocol/context.js';
import { queryInput } from '../../protocol/query-input.js';
import type { QueryService } from '../../protocol/router.js';
import { cloudWatchModel } from '../../protocol/service-model.js';
import { validateInput } from '../../protocol/validate.js';
import type { AutoScalingHub } from '../autoscaling/hub.js';
import type { ServiceDeps } from '../deps.js';
import { createCloudWatchAlarms } from './alarms-api.js';
import type { MetricStore } from './metric-store.js';
import { createCloudWatchMetrics } from './metrics-api.js';

export const CLOUDWATCH_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';

/**
 * CloudWatch on its three wire protocols, one operation table: awsJson1_0 with the query
 * compatibility header (current boto3, AWS CLI v2, JS SDK), RPC v2 CBOR (Java and Go SDKs) and
 * the query protocol (older clients).
 * Constraint violations answer ValidationError, CloudWatch's code for them.
 */
export function createCloudWatch(deps: ServiceDeps, store: MetricStore, hub: AutoScalingHub) {
  const model = cloudWatchModel();
  const operations = { ...createCloudWatchMetrics(deps, store), ...createCloudWatchAlarms(deps, hub) };
  const json = createAwsJsonService({ model, contentType: 'application/x-amz-json-1.0', operations, validationCode: 'ValidationError', queryCompatible: true });
  const query: QueryService = {
    xmlns: CLOUDWATCH_XMLNS,
    handle: async (action, params, identity) => {
      const op = own(model.operations, action);
      if (!op) throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2010-08-01`);
      const handler = own(operations, action);
      if (!handler) throw new AwsError('NotImplemented', `localsage does not implement CloudWatch ${action} yet.`, 501);
      const input = op.input ? validateInput(model, op.input.shape, queryInput(model, op.input.shape, params), 'ValidationError') : {};
      return ((await handler(input, { identity, requestId: newRequestId() })) ?? {}) as Record<string, unknown>;
    },
  };
  const cbor = createRpcV2CborService({ model, operations, validationCode: 'ValidationError', queryCompatible: true });
  return { json, query, cbor };
}
