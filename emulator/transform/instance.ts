import { Worker } from 'node:worker_threads';
import type { BatchFailure, BatchSettings } from './batch.js';

/** The model answered a mini-batch with an error status, as a container answers 4xx/5xx. */
export class BatchRequestError extends Error {
  constructor(readonly failure: BatchFailure) {
    super(failure.message);
  }
}

export interface ModelAnswer {
  body: Buffer;
  contentType: string;
}

/** What an instance serves: one model_algo-1, or the stages of a serial inference pipeline (in-process containers). */
export type InstanceModel = Buffer | { stages: { model: Buffer; environment: Record<string, string>; accept: string }[] };

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker-entry.mjs' : './worker.js', import.meta.url);

/**
 * One model instance (of a batch transform job or an asynchronous endpoint): a worker thread
 * holding the model. Requests are answered in the
 * order they were sent; the caller bounds how many are in flight (MaxConcurrentTransforms).
 */
export class ModelInstance {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (a: ModelAnswer) => void; reject: (e: Error) => void }>();
  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.waiting.size;
  }
  private nextId = 0;
  private dead: Error | undefined;
  readonly ready: Promise<void>;

  constructor(model: InstanceModel, settings: BatchSettings) {
    this.worker = new Worker(workerUrl, { workerData: { ...settings, model } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (msg: { ready?: boolean; id: number; body?: Uint8Array; contentType?: string; error?: BatchFailure }) => {
        if (msg.ready) return resolve();
        const w = this.waiting.get(msg.id);
        this.waiting.delete(msg.id);
        if (!w) return;
        if (msg.error) w.reject(new BatchRequestError(msg.error));
        else w.resolve({ body: Buffer.from(msg.body!.buffer, msg.body!.byteOffset, msg.body!.byteLength), contentType: msg.contentType! });
      });
      const fail = (e: Error) => {
        this.dead ??= e;
        reject(e);
        for (const w of this.waiting.values()) w.reject(e);
        this.waiting.clear();
      };
      this.worker.on('error', fail);
      this.worker.on('exit', (code) => fail(new Error(`transform worker exited with code ${code}`)));
    });
    this.ready.catch(() => {});
  }

  /** Sends one request body (a packed mini-batch, or an asynchronous request's input). */
  send(request: Buffer, media?: { contentType?: string; accept?: string }): Promise<ModelAnswer> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const p = new Promise<ModelAnswer>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.worker.postMessage({ id, request, media });
    // Rejections surface when the caller awaits this request; none is left unhandled meanwhile.
    p.catch(() => {});
    return p;
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
