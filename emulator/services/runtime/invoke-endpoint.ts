import type { IncomingMessage, ServerResponse } from 'node:http';
import { InferenceInputError } from '../../../algorithms/index.js';
import { AwsError } from '../../protocol/errors.js';
import type { CallerIdentity } from '../../protocol/identity.js';
import type { ServiceModel } from '../../protocol/service-model.js';
import { validateInput } from '../../protocol/validate.js';
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
  ) {}

  invoke(identity: CallerIdentity, input: InvokeInput): InvokeOutput | Promise<InvokeOutput> {
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
    const done = (out: { body: Buffer; contentType: string }): InvokeOutput => ({ body: out.body, contentType: out.contentType, invokedVariant: variant.name, customAttributes: input.customAttributes });
    try {
      const out = variant.model.predict(input.body, input.contentType, input.accept);
      // Containers answer over HTTP; the built-ins stay synchronous on the hot path.
      if (out instanceof Promise) return out.then(done, (e: unknown) => this.modelError(identity, input, e));
      return done(out);
    } catch (e) {
      this.modelError(identity, input, e);
    }
  }

  /** A model's refusal as SageMaker reports it: ModelError 424 with the container's status. */
  private modelError(identity: CallerIdentity, input: InvokeInput, e: unknown): never {
    const err = e as Error & { originalStatus?: number };
    const status = err instanceof InferenceInputError || typeof err.originalStatus === 'number' ? (err.originalStatus ?? 400) : 500;
    const kind = status >= 500 ? 'server' : 'client';
    const original = err.message ?? String(err);
    const logGroup = `/aws/sagemaker/Endpoints/${input.endpointName}`;
    throw new AwsError(
      'ModelError',
      `Received ${kind} error (${status}) from primary with message "${original}". See https://${identity.region}.console.aws.amazon.com/cloudwatch/home?region=${identity.region}#logEventViewer:group=${logGroup} in account ${identity.accountId} for more information.`,
      424,
      {
        OriginalStatusCode: status,
        OriginalMessage: original,
        LogStreamArn: `arn:aws:logs:${identity.region}:${identity.accountId}:log-group:${logGroup}`,
        ErrorCode: kind === 'client' ? 'CLIENT_ERROR_FROM_MODEL' : 'SERVER_ERROR_FROM_MODEL',
      },
    );
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

export type { IncomingMessage, ServerResponse };
