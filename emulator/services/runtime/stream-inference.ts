import type { InvokeEndpointWithResponseStreamInput } from '@aws-sdk/client-sagemaker-runtime';
import { answerBytes, type LoadedModel, type ModelAnswer } from '../../../algorithms/index.js';
import { AwsError } from '../../protocol/errors.js';
import type { RestJsonOperation, RestRequestContext } from '../../protocol/rest-json.js';
import type { InvocationObserver } from './invocation-observer.js';
import { modelError, modelFailure, type InvokeEndpointService } from './invoke-endpoint.js';
import type { Scope } from '../../storage/database.js';
import type { ServingEndpoint, ServingRegistry, ServingVariant } from './serving-registry.js';

/** The largest PayloadPart a whole-body answer is cut into. */
export const PART_BYTES = 4096;

const LINE_INPUTS = new Set(['', 'text/csv', 'text/x-csv', 'application/jsonlines', 'application/x-jsonlines', 'application/jsonl']);
const LINE_OUTPUTS = new Set(['text/csv', 'application/jsonlines', 'application/x-jsonlines', 'application/jsonl']);
const mimeOf = (t: string | undefined) => (t ?? '').split(';')[0].trim().toLowerCase();

type Part = { body: Buffer; contentType: string };
const bytesOf = (a: ModelAnswer): Part => ({ body: answerBytes(a.body), contentType: a.contentType });
type StreamEvent = { PayloadPart: { Bytes: Uint8Array } } | { ModelStreamError: { Message: string; ErrorCode: string } };

/**
 * How the built-in algorithms stream: a CSV or JSON Lines request answered in CSV or JSON Lines
 * is predicted record by record, each answer its own part as soon as it is computed; any other
 * answer is computed whole and sent in parts of at most PART_BYTES. A model error on a later
 * record ends the stream with ModelStreamError.
 */
function* predictionParts(model: LoadedModel, body: Buffer, contentType: string | undefined, accept: string | undefined): Generator<Part> {
  if (LINE_INPUTS.has(mimeOf(contentType)) && LINE_OUTPUTS.has(mimeOf(accept))) {
    let records = 0;
    for (const line of body.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      records++;
      yield bytesOf(model.predict(Buffer.from(line), contentType, accept));
    }
    // No record at all: the model answers the (empty) body as InvokeEndpoint would, with its error.
    if (records === 0) yield bytesOf(model.predict(body, contentType, accept));
    return;
  }
  yield* wholeAnswerParts(bytesOf(model.predict(body, contentType, accept)));
}

/** A whole answer, cut into parts of at most PART_BYTES (one empty part for an empty answer). */
function* wholeAnswerParts(out: Part): Generator<Part> {
  for (let at = 0; at < out.body.length || at === 0; at += PART_BYTES) yield { body: out.body.subarray(at, at + PART_BYTES), contentType: out.contentType };
}

/**
 * InvokeEndpointWithResponseStream. A model error before the first part is a ModelError 424, as
 * for InvokeEndpoint; after it, the 200 is already sent and the stream ends with
 * ModelStreamError (ErrorCode StreamBroken: the container stopped answering mid-stream).
 */
export class StreamInferenceService implements RestJsonOperation<InvokeEndpointWithResponseStreamInput, Record<string, unknown>> {
  constructor(
    private readonly serving: ServingRegistry,
    private readonly invoke: InvokeEndpointService,
    private readonly observer?: InvocationObserver,
  ) {}

  handle(input: InvokeEndpointWithResponseStreamInput, ctx: RestRequestContext): Record<string, unknown> | Promise<Record<string, unknown>> {
    const scope = { accountId: ctx.identity.accountId, region: ctx.identity.region };
    const endpoint = this.serving.get(scope, input.EndpointName!);
    if (!endpoint) throw new AwsError('ValidationError', `Endpoint ${input.EndpointName} of account ${scope.accountId} not found.`);
    const variant =
      input.InferenceComponentName === undefined ? this.invoke.chooseVariant(endpoint, input.TargetVariant) : this.serving.components.resolve(scope, endpoint, input.InferenceComponentName);
    const body = input.Body as Buffer;
    const model = variant.model;
    const modelStart = performance.now();
    if (model.algorithm === 'container') {
      // A container answers over HTTP, whole: the answer goes out in parts once it has arrived.
      return model.predict(body, input.ContentType, input.Accept).then(
        (whole) => this.stream(scope, endpoint, variant, input, ctx, wholeAnswerParts(whole), modelStart),
        (e: unknown) => {
          throw this.failedBeforeFirstPart(scope, endpoint, variant, input, ctx, modelStart, e);
        },
      );
    }
    return this.stream(scope, endpoint, variant, input, ctx, predictionParts(model, body, input.ContentType, input.Accept), modelStart);
  }

  private failedBeforeFirstPart(scope: Scope, endpoint: ServingEndpoint, variant: ServingVariant, input: InvokeEndpointWithResponseStreamInput, ctx: RestRequestContext, modelStart: number, e: unknown): AwsError {
    const { status, message } = modelFailure(e);
    // CloudWatch counts the model's own status, as for InvokeEndpoint.
    this.invoke.record(scope, endpoint, variant, ctx, performance.now() - modelStart, status);
    const stream = this.observer?.failed(scope, endpoint, variant, status, message) ?? '';
    return modelError(ctx.identity, input.EndpointName!, stream, status, message);
  }

  private stream(
    scope: Scope,
    endpoint: ServingEndpoint,
    variant: ServingVariant,
    input: InvokeEndpointWithResponseStreamInput,
    ctx: RestRequestContext,
    parts: Generator<Part>,
    modelStart: number,
  ): Record<string, unknown> {
    let first: Part | undefined;
    let modelMs = 0;
    const invoke = this.invoke;
    try {
      first = parts.next().value ?? undefined;
      modelMs += performance.now() - modelStart;
    } catch (e) {
      throw this.failedBeforeFirstPart(scope, endpoint, variant, input, ctx, modelStart, e);
    }
    const observer = this.observer;
    const sent: Buffer[] = [];
    async function* events(): AsyncGenerator<StreamEvent> {
      let part = first;
      for (;;) {
        if (part) {
          if (endpoint.capture) sent.push(part.body);
          yield { PayloadPart: { Bytes: part.body } };
        }
        // Let each part go out on its own before the next is computed.
        await new Promise((r) => setImmediate(r));
        let next: IteratorResult<Part>;
        const partStart = performance.now();
        try {
          next = parts.next();
          modelMs += performance.now() - partStart;
        } catch (e) {
          // The 200 went out with the first part: CloudWatch counts the invocation as answered.
          invoke.record(scope, endpoint, variant, ctx, modelMs + performance.now() - partStart, 200);
          const { status, message } = modelFailure(e);
          observer?.failed(scope, endpoint, variant, status, message);
          yield { ModelStreamError: { Message: `Received ${status >= 500 ? 'server' : 'client'} error (${status}) from primary with message "${message}".`, ErrorCode: 'StreamBroken' } };
          return;
        }
        if (next.done) break;
        part = next.value;
      }
      invoke.record(scope, endpoint, variant, ctx, modelMs, 200);
      observer?.succeeded(scope, endpoint, variant, input, { body: Buffer.concat(sent), contentType: first?.contentType ?? '' });
    }
    return {
      Body: events(),
      ContentType: first?.contentType,
      InvokedProductionVariant: variant.name,
      CustomAttributes: input.CustomAttributes,
    };
  }
}
