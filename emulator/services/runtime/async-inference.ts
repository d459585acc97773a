import type { InvokeEndpointAsyncInput, InvokeEndpointAsyncOutput } from '@aws-sdk/client-sagemaker-runtime';
import type { Clock } from '../../../core/clock.js';
import { Rng } from '../../../core/random.js';
import { AwsError } from '../../protocol/errors.js';
import type { RestJsonOperation, RestRequestContext } from '../../protocol/rest-json.js';
import type { Database, Scope } from '../../storage/database.js';
import { parseS3Uri, type ObjectStore } from '../../storage/object-store.js';
import { BatchRequestError, ModelInstance, type InstanceModel } from '../../transform/instance.js';
import type { EndpointLogs } from './endpoint-logs.js';
import type { InvocationObserver } from './invocation-observer.js';
import { fetchModelFile, fetchPipelineFiles, type ServingEndpoint, type ServingRegistry, type ServingVariant } from './serving-registry.js';

const DEFAULT_TTL_SECONDS = 21_600;
const DEFAULT_TIMEOUT_SECONDS = 900;
/** An idle endpoint's instance workers are ended after this long without requests. */
const IDLE_MS = 30_000;

const REQUEST_KIND = 'async-request';

interface AsyncRequest {
  /** Our own id for the stored request (InferenceId may be the caller's and need not be unique). */
  id: string;
  endpointName: string;
  scope: Scope;
  inferenceId: string;
  input: string;
  output: string;
  failure?: string;
  contentType?: string;
  accept?: string;
  receivedAt: number;
  ttlMs: number;
  timeoutMs: number;
}

/** The queue and instance workers of one deployed asynchronous endpoint. */
interface EndpointQueue {
  endpoint: ServingEndpoint;
  variant: ServingVariant;
  waiting: AsyncRequest[];
  running: number;
  /** Requests running on each instance. */
  busy: number[];
  workers: (Promise<ModelInstance> | undefined)[];
  idleTimer?: () => void;
}

/**
 * The object an InputLocation names: `s3://bucket/key`, or an S3 HTTPS URL in virtual-host
 * (`https://bucket.s3.region.amazonaws.com/key`) or path style (`https://s3.region.amazonaws.com/bucket/key`).
 */
function objectOf(location: string): { bucket: string; key: string } {
  if (location.startsWith('s3://')) return parseS3Uri(location);
  const url = new URL(location);
  const path = decodeURIComponent(url.pathname.slice(1));
  const virtual = /^(.+)\.s3[.-]/.exec(url.hostname);
  if (virtual) return { bucket: virtual[1], key: path };
  const slash = path.indexOf('/');
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

const join = (...parts: (string | undefined)[]) =>
  parts
    .filter((p): p is string => !!p)
    .map((p, i) => (i === 0 ? p.replace(/\/+$/, '') : p.replace(/^\/+|\/+$/g, '')))
    .join('/');

/**
 * InvokeEndpointAsync: the request is queued and answered 202 at once with where its result
 * will be. Each endpoint instance runs its model in a worker thread, at most
 * MaxConcurrentInvocationsPerInstance requests per instance at a time; a request that waited in
 * the queue longer than RequestTTLSeconds expires, one that runs longer than
 * InvocationTimeoutSeconds is cut off. Results go to `<S3OutputPath>/<InferenceId>.out`, failures
 * to `<S3FailurePath>/<InferenceId>-error.out`.
 */
export class AsyncInferenceService implements RestJsonOperation<InvokeEndpointAsyncInput, InvokeEndpointAsyncOutput> {
  private readonly queues = new Map<ServingEndpoint, EndpointQueue>();
  private readonly rng = new Rng(Date.now() % 2 ** 32);
  /** Set at shutdown: requests cut short stay stored, to run again after the restart. */
  private closing = false;

  constructor(
    private readonly serving: ServingRegistry,
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly db: Database,
    private readonly logs: EndpointLogs,
    private readonly observer?: InvocationObserver,
  ) {}

  /**
   * After a restart: requests accepted but not answered are queued again, in the order they
   * arrived, their TTL still counted from their arrival (the 202 promised an answer).
   */
  recover(): void {
    const stored = this.db.listEverywhere<AsyncRequest>(REQUEST_KIND).map((r) => r.data);
    for (const r of stored.sort((a, b) => a.receivedAt - b.receivedAt)) {
      const endpoint = this.serving.get(r.scope, r.endpointName);
      if (!endpoint?.async) {
        this.db.delete(r.scope, REQUEST_KIND, r.id);
        continue;
      }
      const q = this.queueOf(endpoint);
      q.waiting.push(r);
      this.pump(q);
    }
  }

  handle(input: InvokeEndpointAsyncInput, ctx: RestRequestContext): InvokeEndpointAsyncOutput {
    const scope = { accountId: ctx.identity.accountId, region: ctx.identity.region };
    const endpoint = this.serving.get(scope, input.EndpointName!);
    if (!endpoint) throw new AwsError('ValidationError', `Endpoint ${input.EndpointName} of account ${scope.accountId} not found.`);
    const settings = endpoint.async;
    if (!settings) {
      throw new AwsError('ValidationError', `Endpoint ${input.EndpointName} of account ${scope.accountId} is not an asynchronous inference endpoint: its endpoint configuration has no AsyncInferenceConfig.`);
    }
    const id = this.rng.uuid();
    const inferenceId = input.InferenceId ?? id;
    const request: AsyncRequest = {
      id,
      endpointName: endpoint.name,
      scope,
      inferenceId,
      input: input.InputLocation!,
      output: join(settings.outputPath, input.S3OutputPathExtension, input.Filename ?? `${inferenceId}.out`),
      failure: settings.failurePath ? join(settings.failurePath, input.S3OutputPathExtension, `${inferenceId}-error.out`) : undefined,
      contentType: input.ContentType,
      accept: input.Accept,
      receivedAt: this.clock.now(),
      ttlMs: (input.RequestTTLSeconds ?? DEFAULT_TTL_SECONDS) * 1000,
      timeoutMs: (input.InvocationTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    };
    this.db.insert(scope, REQUEST_KIND, id, `${REQUEST_KIND}/${id}`, request);
    const queue = this.queueOf(endpoint);
    queue.waiting.push(request);
    // Started now, it has waited for nothing: the instant it arrived, not a later clock read (under
    // --clock-scale the store write above is emulator seconds, enough to expire a short TTL).
    this.pump(queue, request.receivedAt);
    return { InferenceId: inferenceId, OutputLocation: request.output, FailureLocation: request.failure };
  }

  private queueOf(endpoint: ServingEndpoint): EndpointQueue {
    let q = this.queues.get(endpoint);
    if (!q) {
      const variant = endpoint.variants[0];
      const n = Math.max(1, variant.instanceCount);
      q = { endpoint, variant, waiting: [], running: 0, busy: new Array(n).fill(0), workers: new Array(n).fill(undefined) };
      this.queues.set(endpoint, q);
    }
    return q;
  }

  /** Starts what capacity allows; `now` is the instant they start (they waited until then). */
  private pump(q: EndpointQueue, now = this.clock.now()): void {
    q.idleTimer?.();
    q.idleTimer = undefined;
    const capacity = q.workers.length * q.endpoint.async!.maxConcurrentPerInstance;
    while (q.running < capacity && q.waiting.length) {
      const request = q.waiting.shift()!;
      q.running++;
      // The least busy instance takes it.
      const slot = q.busy.indexOf(Math.min(...q.busy));
      q.busy[slot]++;
      void this.run(q, slot, request, now).finally(() => {
        if (!this.closing) this.db.delete(request.scope, REQUEST_KIND, request.id);
        q.running--;
        q.busy[slot]--;
        this.pump(q);
      });
    }
    if (q.running === 0 && !q.waiting.length) {
      q.idleTimer = this.clock.schedule(IDLE_MS, () => this.retire(q));
    }
  }

  /** An idle endpoint gives its workers back; its queue is forgotten until the next request. */
  private retire(q: EndpointQueue): Promise<unknown> {
    const workers = q.workers;
    q.workers = new Array(workers.length).fill(undefined);
    if (q.running === 0 && !q.waiting.length) this.queues.delete(q.endpoint);
    return Promise.all(workers.map((w) => w?.then((x) => x.terminate(), () => undefined)));
  }

  /** Ends every worker thread (emulator shutdown); requests not answered stay stored for the restart. */
  async shutdown(): Promise<void> {
    this.closing = true;
    const queues = [...this.queues.values()];
    for (const q of queues) {
      q.waiting.length = 0;
      q.idleTimer?.();
    }
    await Promise.all(queues.map((q) => this.retire(q)));
    this.queues.clear();
  }

  private worker(q: EndpointQueue, slot: number): Promise<ModelInstance> {
    let w = q.workers[slot];
    if (!w) {
      const files = q.variant.pipeline ? fetchPipelineFiles(this.store, q.variant.pipeline) : fetchModelFile(this.store, q.variant.modelDataUrl);
      w = (files as Promise<InstanceModel>).then(async (model) => {
        const instance = new ModelInstance(model, { split: 'None', processing: {} });
        await instance.ready;
        return instance;
      });
      w.catch(() => (q.workers[slot] = undefined));
      q.workers[slot] = w;
    }
    return w;
  }

  private async run(q: EndpointQueue, slot: number, r: AsyncRequest, startedAt: number): Promise<void> {
    const stream = q.variant.streams[slot % q.variant.streams.length];
    const waited = startedAt - r.receivedAt;
    if (waited > r.ttlMs) {
      return this.fail(q, stream, r, `Request ${r.inferenceId} expired: it waited ${Math.round(waited / 1000)} s in the queue, longer than its RequestTTLSeconds of ${r.ttlMs / 1000} s.`);
    }
    let body: Buffer;
    let contentType = r.contentType;
    try {
      const { bucket, key } = objectOf(r.input);
      const object = await this.store.getObject(bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of object.body) chunks.push(chunk as Buffer);
      body = Buffer.concat(chunks);
      // Without X-Amzn-SageMaker-Content-Type the input object's own Content-Type is the
      // request's: the Python SDK's predict_async uploads with it and sends none.
      contentType ??= object.info.contentType;
    } catch (e) {
      return this.fail(q, stream, r, `Failed to download the input of request ${r.inferenceId} from ${r.input}: ${(e as Error).message}`);
    }
    let instance: ModelInstance;
    try {
      instance = await this.worker(q, slot);
    } catch (e) {
      return this.fail(q, stream, r, `The model could not be loaded: ${(e as Error).message}`);
    }
    let cancelTimeout = () => {};
    const timedOut = new Promise<'timeout'>((resolve) => (cancelTimeout = this.clock.schedule(r.timeoutMs, () => resolve('timeout'))));
    const answer = await Promise.race([instance.send(body, { contentType, accept: r.accept }), timedOut]).catch((e: Error) => e);
    cancelTimeout();
    if (this.closing) return;
    if (answer === 'timeout') {
      // The instance is still busy with it: replace the worker, as SageMaker restarts the container.
      if (q.workers[slot]) this.retireSlot(q, slot);
      return this.fail(q, stream, r, `Request ${r.inferenceId} did not finish within its InvocationTimeoutSeconds of ${r.timeoutMs / 1000} s.`);
    }
    if (answer instanceof BatchRequestError) {
      this.observer?.failed(r.scope, q.endpoint, q.variant, answer.failure.status, answer.failure.message);
      return this.fail(q, stream, r, answer.failure.message, answer.failure.status);
    }
    if (answer instanceof Error) {
      // The worker died: the next request gets a fresh one, as SageMaker replaces a crashed container.
      if (q.workers[slot]) this.retireSlot(q, slot);
      return this.fail(q, stream, r, `The model failed: ${answer.message}`);
    }
    this.observer?.succeeded(r.scope, q.endpoint, q.variant, { Body: body, ContentType: contentType, InferenceId: r.inferenceId }, answer);
    try {
      const { bucket, key } = parseS3Uri(r.output);
      await this.store.putObject(bucket, key, answer.body, { contentType: answer.contentType });
      this.logs.dataLog(r.scope, q.endpoint.name, stream, `Inference request succeeded. InferenceId: ${r.inferenceId}. Output: ${r.output}`);
    } catch (e) {
      this.logs.dataLog(r.scope, q.endpoint.name, stream, `Inference request failed. InferenceId: ${r.inferenceId}. Unable to upload the result to ${r.output}: ${(e as Error).message}`);
    }
  }

  private retireSlot(q: EndpointQueue, slot: number): void {
    const w = q.workers[slot];
    q.workers[slot] = undefined;
    void w?.then((x) => x.terminate(), () => undefined);
  }

  /** Logs the failure and writes it to the failure location, when the config has one. */
  private async fail(q: EndpointQueue, stream: string, r: AsyncRequest, message: string, status?: number): Promise<void> {
    this.logs.dataLog(r.scope, q.endpoint.name, stream, `Inference request failed. InferenceId: ${r.inferenceId}.${status ? ` Status: ${status}.` : ''} ${message}`);
    if (!r.failure) return;
    try {
      const { bucket, key } = parseS3Uri(r.failure);
      await this.store.putObject(bucket, key, Buffer.from(message), { contentType: 'text/plain' });
    } catch (e) {
      this.logs.dataLog(r.scope, q.endpoint.name, stream, `Unable to write the failure of ${r.inferenceId} to ${r.failure}: ${(e as Error).message}`);
    }
  }
}
