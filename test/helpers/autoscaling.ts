import {
  ApplicationAutoScalingClient,
  DescribeScalingActivitiesCommand,
  type ScalingActivity,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

export function scalingClients(endpoint: string) {
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
  return { aas: new ApplicationAutoScalingClient(config), cw: new CloudWatchClient(config) };
}

export const variantIds = (endpoint: string, variant = 'AllTraffic') =>
  ({ ServiceNamespace: 'sagemaker', ResourceId: `endpoint/${endpoint}/variant/${variant}`, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' }) as const;

/**
 * A bounded loopback load: `workers` loops, each sending one request after another, until
 * stop() is called or `maxRequests` have been sent. Counts what was sent and what came back.
 */
export function startLoad(runtime: SageMakerRuntimeClient, endpointName: string, opts: { workers: number; maxRequests: number; body?: string }) {
  let running = true;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const loop = async () => {
    while (running && sent < opts.maxRequests) {
      sent++;
      try {
        await runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, Body: Buffer.from(opts.body ?? '0.1,0.2,0.3'), ContentType: 'text/csv' }));
        ok++;
      } catch {
        failed++;
      }
    }
  };
  const done = Promise.all(Array.from({ length: opts.workers }, loop));
  return {
    async stop() {
      running = false;
      await done;
      return { sent, ok, failed };
    },
    /** Waits for all `maxRequests` to be answered. */
    async finished() {
      await done;
      return { sent, ok, failed };
    },
  };
}

/** Polls until `pred` holds (no timing assertion: a generous bound only, for a hung emulator). */
export async function until<T>(what: string, f: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await f();
    if (pred(v)) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`gave up waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function activities(aas: ApplicationAutoScalingClient, endpoint: string, includeNotScaled = false): Promise<ScalingActivity[]> {
  const out = await aas.send(new DescribeScalingActivitiesCommand({ ...variantIds(endpoint), IncludeNotScaledActivities: includeNotScaled }));
  return out.ScalingActivities ?? [];
}
