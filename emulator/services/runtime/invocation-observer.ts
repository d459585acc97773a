import type { ModelAnswer } from '../../../algorithms/index.js';
import type { Scope } from '../../storage/database.js';
import type { DataCapture } from './data-capture.js';
import type { EndpointLogs } from './endpoint-logs.js';
import type { ShadowMirror } from './shadow-mirror.js';
import type { ServingEndpoint, ServingVariant } from './serving-registry.js';

/** The request as the invoke path already holds it (InvokeEndpointInput's members). */
export interface ObservedRequest {
  Body?: unknown;
  ContentType?: string;
  InferenceId?: string;
}

/**
 * What the invoke path tells the rest of the emulator about each invocation, in one call per
 * invocation: `succeeded` (data capture of sampled successes) or `failed` (the container's log
 * line for a ModelError). A success on an endpoint without capture costs one property check and
 * allocates nothing.
 */
export class InvocationObserver {
  private readonly turn = new WeakMap<ServingVariant, number>();

  constructor(
    private readonly logs: EndpointLogs,
    private readonly capture: DataCapture,
    private readonly shadows?: ShadowMirror,
  ) {}

  succeeded(scope: Scope, endpoint: ServingEndpoint, variant: ServingVariant, request: ObservedRequest & { Accept?: string }, answer: ModelAnswer): void {
    if (endpoint.shadow?.source === variant.name) this.shadows?.mirror(scope, endpoint, request.Body as Buffer, request.ContentType, request.Accept);
    if (!endpoint.capture) return;
    this.capture.capture(endpoint.capture, {
      endpoint: endpoint.name,
      variant: variant.name,
      inferenceId: request.InferenceId,
      input: { body: request.Body as Buffer, contentType: request.ContentType },
      output: answer,
    });
  }

  /** Logs the model's refusal on the instance that answered; returns that instance's log stream. */
  failed(scope: Scope, endpoint: ServingEndpoint, variant: ServingVariant, status: number, message: string): string {
    // Requests spread over the variant's instances round-robin.
    const n = this.turn.get(variant) ?? 0;
    this.turn.set(variant, n + 1);
    const stream = variant.streams[n % variant.streams.length];
    this.logs.modelError(scope, endpoint.name, stream, status, message);
    return stream;
  }
}
