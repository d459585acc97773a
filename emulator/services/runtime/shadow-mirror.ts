import type { Scope } from '../../storage/database.js';
import { modelFailure } from './invoke-endpoint.js';
import type { InvocationRecorder } from './invocation-recorder.js';
import type { ServingEndpoint } from './serving-registry.js';

/**
 * Shadow testing (an inference experiment while it runs): a sampled copy of each request the
 * production variant answered goes to the shadow variant's model for real, after the answer has
 * gone out. The shadow's answer is discarded; CloudWatch counts its invocations, latency and
 * errors under the shadow's VariantName, which is how a shadow test is read.
 */
export class ShadowMirror {
  constructor(private readonly recorder?: InvocationRecorder) {}

  mirror(scope: Scope, endpoint: ServingEndpoint, body: Buffer, contentType: string | undefined, accept: string | undefined): void {
    const shadow = endpoint.shadow!;
    if (Math.random() * 100 >= shadow.samplingPercentage) return;
    setImmediate(() => {
      const start = performance.now();
      const done = (status: number) =>
        this.recorder?.record(scope, endpoint.name, shadow.variant.name, { modelLatencyUs: Math.round((performance.now() - start) * 1000), overheadLatencyUs: 0, status });
      try {
        const out = shadow.variant.model.predict(body, contentType, accept);
        if (out instanceof Promise) out.then(() => done(200), (e: unknown) => done(modelFailure(e).status));
        else done(200);
      } catch (e) {
        done(modelFailure(e).status);
      }
    });
  }
}
