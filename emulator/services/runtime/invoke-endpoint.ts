import type { InvokeEndpointInput, InvokeEndpointOutput } from '@aws-sdk/client-sagemaker-runtime';
import { InferenceInputError, type ModelAnswer } from '../../../algorithms/index.js';
import { AwsError } from '../../protocol/errors.js';
import type { CallerIdentity } from '../../protocol/identity.js';
import type { RestJsonOperation, RestRequestContext } from '../../protocol/rest-json.js';
import type { Scope } from '../../storage/database.js';
import { COMPONENT_HEADER_REQUIRED } from './component-registry.js';
import { endpointLogGroup } from './endpoint-logs.js';
import type { InvocationObserver } from './invocation-observer.js';
import { NO_RECORDING, type InvocationRecorder } from './invocation-recorder.js';
import { routeFleet } from './fleet-shift.js';
import type { ServingEndpoint, ServingRegistry, ServingVariant } from './serving-registry.js';

/** A text answer stays a string: the protocol writes it after the headers in one write. */
type Prediction = ModelAnswer;

/**
 * InvokeEndpoint's service logic: pick the variant (by header, else by weight), run the model
 * (in capacity mode, on a worker of one of the variant's instances), map a model's refusal to
 * ModelError 424 the way SageMaker wraps a container's 4xx, and report every invocation to the
 * InvocationRecorder (CloudWatch's endpoint metrics). Input arrives parsed and validated by the
 * rest-json protocol layer.
 */
export class InvokeEndpointService implements RestJsonOperation<InvokeEndpointInput, InvokeEndpointOutput> {
  constructor(
    private readonly serving: ServingRegistry,
    private readonly recorder: InvocationRecorder = NO_RECORDING,
    /** Endpoint logs and data capture: one call per invocation that reached the model. */
    private readonly observer?: InvocationObserver,
  ) {}

  handle(input: InvokeEndpointInput, ctx: RestRequestContext): InvokeEndpointOutput | Promise<InvokeEndpointOutput> {
    const scope: Scope = ctx.identity; // an identity names its account and region: no copy per request
    const endpoint = this.endpoint(scope, input.EndpointName!);
    let variant: ServingVariant;
    try {
      // A request naming an inference component goes to that component's model.
      variant = input.InferenceComponentName === undefined ? this.chooseVariant(endpoint, input.TargetVariant) : this.serving.components.resolve(scope, endpoint, input.InferenceComponentName);
    } catch (e) {
      this.record(scope, endpoint, undefined, ctx, 0, 400);
      throw e;
    }
    const body = input.Body as Buffer;
    const predict = () => variant.model.predict(body, input.ContentType, input.Accept);
    if (variant.capacity) return this.invokeOnInstance(scope, endpoint, variant, input, ctx, predict);
    const modelStart = performance.now();
    let out: Prediction | Promise<Prediction>;
    try {
      out = predict();
    } catch (e) {
      throw this.modelError(scope, endpoint, variant, input, ctx, modelStart, e);
    }
    // Containers answer over HTTP; the built-ins stay synchronous on the hot path.
    if (out instanceof Promise) {
      return out.then(
        (answer) => {
          this.record(scope, endpoint, variant, ctx, performance.now() - modelStart, 200);
          this.observer?.succeeded(scope, endpoint, variant, input, answer);
          return this.output(answer, variant, input);
        },
        (e: unknown) => {
          throw this.modelError(scope, endpoint, variant, input, ctx, modelStart, e);
        },
      );
    }
    this.record(scope, endpoint, variant, ctx, performance.now() - modelStart, 200);
    this.observer?.succeeded(scope, endpoint, variant, input, out);
    return this.output(out, variant, input);
  }

  /** A request refused by the protocol layer (validation, body too large) still counts as a 4xx. */
  rejected(input: Partial<InvokeEndpointInput>, error: AwsError, ctx: RestRequestContext): void {
    if (typeof input.EndpointName !== 'string') return;
    const scope: Scope = ctx.identity;
    const endpoint = this.serving.get(scope, input.EndpointName);
    if (endpoint) this.record(scope, endpoint, undefined, ctx, 0, error.status);
  }

  private async invokeOnInstance(
    scope: Scope,
    endpoint: ServingEndpoint,
    variant: ServingVariant,
    input: InvokeEndpointInput,
    ctx: RestRequestContext,
    predict: () => Prediction | Promise<Prediction>,
  ): Promise<InvokeEndpointOutput> {
    // The container's time (ModelLatency) includes the wait for a worker, as in a real model server.
    const modelStart = performance.now();
    let out: Prediction;
    try {
      out = await (await variant.capacity!.serve(predict)).value;
    } catch (e) {
      throw this.modelError(scope, endpoint, variant, input, ctx, modelStart, e);
    }
    this.record(scope, endpoint, variant, ctx, performance.now() - modelStart, 200);
    this.observer?.succeeded(scope, endpoint, variant, input, out);
    return this.output(out, variant, input);
  }

  private output(out: Prediction, variant: ServingVariant, input: InvokeEndpointInput): InvokeEndpointOutput {
    return { Body: out.body as Uint8Array, ContentType: out.contentType, InvokedProductionVariant: variant.name, CustomAttributes: input.CustomAttributes };
  }

  private endpoint(scope: Scope, name: string): ServingEndpoint {
    const endpoint = this.serving.get(scope, name);
    if (!endpoint) throw new AwsError('ValidationError', `Endpoint ${name} of account ${scope.accountId} not found.`);
    return endpoint;
  }

  /**
   * One call to the recorder per invocation. Latencies in microseconds; OverheadLatency is the
   * time from the request's arrival to the answer, less the model's time. Response streams
   * (stream-inference.ts) report through it too.
   */
  record(scope: Scope, endpoint: ServingEndpoint, variant: ServingVariant | undefined, ctx: RestRequestContext, modelMs: number, status: number): void {
    const v = variant ?? this.routedVariant(endpoint);
    if (!v) return;
    const totalMs = performance.now() - ctx.arrivedMs;
    const outcome = {
      modelLatencyUs: Math.round(modelMs * 1000),
      overheadLatencyUs: Math.max(0, Math.round((totalMs - modelMs) * 1000)),
      status,
    };
    this.recorder.record(scope, endpoint.name, v.name, outcome);
    // An inference component's requests also count under its own InferenceComponentName.
    if (v.component !== undefined) this.recorder.recordComponent?.(scope, v.component, v.instanceCount, outcome);
  }

  private modelError(scope: Scope, endpoint: ServingEndpoint, variant: ServingVariant, input: InvokeEndpointInput, ctx: RestRequestContext, modelStart: number, e: unknown): AwsError {
    const { status, message } = modelFailure(e);
    // CloudWatch counts the model's own status: Invocation4XXErrors / 5XXErrors are what it answered.
    this.record(scope, endpoint, variant, ctx, performance.now() - modelStart, status);
    const stream = this.observer?.failed(scope, endpoint, variant, status, message) ?? '';
    return modelError(ctx.identity, input.EndpointName!, stream, status, message);
  }

  /** The variant a request goes to: the one it targets, else one picked by weight. */
  chooseVariant(endpoint: ServingEndpoint, target: string | undefined): ServingVariant {
    if (target !== undefined) {
      const v = endpoint.variants.find((x) => x.name === target);
      if (!v) throw new AwsError('ValidationError', endpoint.componentBased ? COMPONENT_HEADER_REQUIRED : `Target variant ${target} not found for endpoint ${endpoint.name}.`);
      return routeFleet(v);
    }
    const v = this.routedVariant(endpoint);
    // An endpoint that hosts inference components has no variant of its own to route to.
    if (!v) throw new AwsError('ValidationError', endpoint.componentBased ? COMPONENT_HEADER_REQUIRED : `Endpoint ${endpoint.name} has no variant with a positive weight to route to.`);
    // During a guarded deployment the variant's requests are split between its old and new fleet.
    return routeFleet(v);
  }

  /** The variant weighted routing picks (the one a refused request is counted against). */
  private routedVariant(endpoint: ServingEndpoint): ServingVariant | undefined {
    if (endpoint.variants.length === 1) return endpoint.variants[0];
    if (endpoint.totalWeight <= 0) return undefined;
    let r = Math.random() * endpoint.totalWeight;
    for (const v of endpoint.variants) {
      r -= v.weight;
      if (r < 0) return v;
    }
    return endpoint.variants[endpoint.variants.length - 1];
  }
}

/** The status a model's refusal maps to: its own (400, 406, 415), or 500 for a fault. */
export function modelFailure(e: unknown): { status: number; message: string } {
  const err = e as Error & { originalStatus?: number };
  const status = err instanceof InferenceInputError || typeof err.originalStatus === 'number' ? (err.originalStatus ?? 400) : 500;
  return { status, message: err?.message ?? String(err) };
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
