import type { IncomingMessage, ServerResponse } from 'node:http';
import { InferenceInputError } from '../../../algorithms/index.js';
import { AwsError } from '../../protocol/errors.js';
import type { CallerIdentity } from '../../protocol/identity.js';
import type { ServiceModel } from '../../protocol/service-model.js';
import { validateInput } from '../../protocol/validate.js';
import { endpointLogGroup } from './endpoint-logs.js';
import type { InvocationObserver, InvocationResult } from './invocation-observer.js';
import type { ServingEndpoint, ServingRegistry, ServingVariant } from './serving-registry.js';

export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface InvokeInput {
  endpointName: string;
  body: Buffer;
  contentType?: string;
  accept?: string;
  targetVariant?: string;
  customAttributes?: string;
  inferenceId?: string;
}

export interface InvokeOutput {
  body: Buffer;
  contentType: string;
  invokedVariant: string;
  customAttributes?: string;
}

/**
 * InvokeEndpoint's service logic: pick the variant (by header, else by weight), run the model,
 * and map a model's refusal to ModelError 424 the way SageMaker wraps a container's 4xx.
 */
export class InvokeEndpointService {
  constructor(
    private readonly serving: ServingRegistry,
    private readonly runtimeModel: ServiceModel,
    private readonly observer?: InvocationObserver,
  ) {}

  invoke(identity: CallerIdentity, input: InvokeInput): InvokeOutput {
    validateInput(
      this.runtimeModel,
      'InvokeEndpointInput',
      {
        EndpointName: input.endpointName,
        Body: input.body,
        ContentType: input.contentType,
        Accept: input.accept,
        TargetVariant: input.targetVariant,
        CustomAttributes: input.customAttributes,
        InferenceId: input.inferenceId,
      },
      'ValidationError',
    );
    const scope = { accountId: identity.accountId, region: identity.region };
    const endpoint = this.serving.get(scope, input.endpointName);
    if (!endpoint) {
      throw new AwsError('ValidationError', `Endpoint ${input.endpointName} of account ${identity.accountId} not found.`);
    }
    const variant = this.chooseVariant(endpoint, input.targetVariant);
    let result: InvocationResult;
    try {
      const out = variant.model.predict(input.body, input.contentType, input.accept);
      result = { ok: true, body: out.body, contentType: out.contentType };
    } catch (e) {
      const err = e as Error & { originalStatus?: number };
      const status = err instanceof InferenceInputError || typeof err.originalStatus === 'number' ? (err.originalStatus ?? 400) : 500;
      result = { ok: false, status, message: err.message ?? String(err) };
    }
    const stream = this.observer?.observe(scope, endpoint, variant, input, result) ?? '';
    if (result.ok) return { body: result.body, contentType: result.contentType, invokedVariant: variant.name, customAttributes: input.customAttributes };
    throw modelError(identity, input.endpointName, stream, result.status, result.message);
  }

  private chooseVariant(endpoint: ServingEndpoint, target: string | undefined): ServingVariant {
    if (target !== undefined) {
      const v = endpoint.variants.find((x) => x.name === target);
      if (!v) throw new AwsError('ValidationError', `Target variant ${target} not found for endpoint ${endpoint.name}.`);
      return v;
    }
    if (endpoint.variants.length === 1) return endpoint.variants[0];
    if (endpoint.totalWeight <= 0) {
      throw new AwsError('ValidationError', `Endpoint ${endpoint.name} has no variant with a positive weight to route to.`);
    }
    let r = Math.random() * endpoint.totalWeight;
    for (const v of endpoint.variants) {
      r -= v.weight;
      if (r < 0) return v;
    }
    return endpoint.variants[endpoint.variants.length - 1];
  }
}

/**
 * ModelError 424, as SageMaker wraps a container's error status: the message points to the
 * endpoint's log group, LogStreamArn to the stream of the instance that answered.
 */
export function modelError(identity: CallerIdentity, endpointName: string, stream: string, status: number, original: string): AwsError {
  const kind = status >= 500 ? 'server' : 'client';
  const logGroup = endpointLogGroup(endpointName);
  const groupArn = `arn:aws:logs:${identity.region}:${identity.accountId}:log-group:${logGroup}`;
  return new AwsError(
    'ModelError',
    `Received ${kind} error (${status}) from primary with message "${original}". See https://${identity.region}.console.aws.amazon.com/cloudwatch/home?region=${identity.region}#logEventViewer:group=${logGroup} in account ${identity.accountId} for more information.`,
    424,
    {
      OriginalStatusCode: status,
      OriginalMessage: original,
      LogStreamArn: stream ? `${groupArn}:log-stream:${stream}` : groupArn,
      ErrorCode: kind === 'client' ? 'CLIENT_ERROR_FROM_MODEL' : 'SERVER_ERROR_FROM_MODEL',
    },
  );
}

export type { IncomingMessage, ServerResponse };
