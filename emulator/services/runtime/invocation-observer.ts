import type { Scope } from '../../storage/database.js';
import type { DataCapture } from './data-capture.js';
import type { EndpointLogs } from './endpoint-logs.js';
import type { ServingEndpoint, ServingVariant } from './serving-registry.js';

export type InvocationResult =
  | { ok: true; body: Buffer; contentType: string }
  | { ok: false; status: number; message: string };

export interface ObservedRequest {
  body: Buffer;
  contentType?: string;
  inferenceId?: string;
}

/**
 * What the invoke path tells the rest of the emulator about each invocation, in one call: data
 * capture of sampled successes, and the container's log line for each ModelError. A success on
 * an endpoint without capture costs one property check.
 */
export class InvocationObserver {
  private readonly turn = new WeakMap<ServingVariant, number>();

  constructor(
    private readonly logs: EndpointLogs,
    private readonly capture: DataCapture,
  ) {}

  /** Returns the log stream of the instance that answered a failed request ('' on success). */
  observe(scope: Scope, endpoint: ServingEndpoint, variant: ServingVariant, request: ObservedRequest, result: InvocationResult): string {
    if (result.ok) {
      if (endpoint.capture) {
        this.capture.capture(endpoint.capture, {
          endpoint: endpoint.name,
          variant: variant.name,
          inferenceId: request.inferenceId,
          input: { body: request.body, contentType: request.contentType },
          output: { body: result.body, contentType: result.contentType },
        });
      }
      return '';
    }
    // Requests spread over the variant's instances; the failing one logs the reason.
    const n = this.turn.get(variant) ?? 0;
    this.turn.set(variant, n + 1);
    const stream = variant.streams[n % variant.streams.length];
    this.logs.modelError(scope, endpoint.name, stream, result.status, result.message);
    return stream;
  }
}
