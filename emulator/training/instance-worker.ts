import { Worker } from 'node:worker_threads';
import type { TrainRequest } from '../../algorithms/index.js';

export interface InstanceRun {
  result: Promise<Buffer>;
  terminate(): Promise<void>;
}

/** The algorithm rejected its input (bad hyperparameter, bad data): a ClientError on AWS. */
export class AlgorithmClientError extends Error {}

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker-entry.mjs' : './worker.js', import.meta.url);

/**
 * The data-parallel link between the instance workers of one job: each all-reduce call of every
 * worker is summed here, on the main thread, and the sum goes back to all of them. Calls are
 * matched by their sequence number, so every worker must make the same calls in the same order.
 */
export class AllReduceHub {
  private readonly workers: Worker[] = [];
  private readonly rounds = new Map<number, { sum: Float64Array; count: number }>();
  private aborted: string | undefined;

  constructor(readonly size: number) {}

  attach(worker: Worker): void {
    this.workers.push(worker);
  }

  contribute(seq: number, data: Float64Array): void {
    if (this.aborted) return;
    let round = this.rounds.get(seq);
    if (!round) this.rounds.set(seq, (round = { sum: new Float64Array(data.length), count: 0 }));
    if (round.sum.length !== data.length) {
      this.abort(`all-reduce #${seq}: hosts sent vectors of different lengths (${round.sum.length} and ${data.length})`);
      return;
    }
    for (let i = 0; i < data.length; i++) round.sum[i] += data[i];
    if (++round.count < this.size) return;
    this.rounds.delete(seq);
    for (const w of this.workers) w.postMessage({ type: 'allreduce-result', seq, data: round.sum });
  }

  /** A host failed: the others must not wait for it forever. */
  abort(reason: string): void {
    if (this.aborted) return;
    this.aborted = reason;
    for (const w of this.workers) w.postMessage({ type: 'allreduce-abort', reason });
  }
}

/** Starts one training instance in a worker thread. */
export function startInstance(request: Omit<TrainRequest, 'log' | 'collective'>, onLog: (line: string) => void, hub?: AllReduceHub): InstanceRun {
  const worker = new Worker(workerUrl, { workerData: request });
  hub?.attach(worker);
  let settled = false;
  const result = new Promise<Buffer>((resolve, reject) => {
    const fail = (e: Error) => {
      settled = true;
      hub?.abort(`instance ${request.host} failed: ${e.message}`);
      reject(e);
    };
    worker.on('message', (msg: { type: string; line?: string; model?: Uint8Array; name?: string; message?: string; seq?: number; data?: Float64Array }) => {
      if (msg.type === 'log') onLog(msg.line!);
      else if (msg.type === 'allreduce') hub?.contribute(msg.seq!, msg.data!);
      else if (msg.type === 'done') {
        settled = true;
        resolve(Buffer.from(msg.model!.buffer, msg.model!.byteOffset, msg.model!.byteLength));
        void worker.terminate();
      } else if (msg.type === 'error') {
        fail(msg.name === 'AlgorithmError' ? new AlgorithmClientError(msg.message) : new Error(msg.message));
        void worker.terminate();
      }
    });
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => {
      if (!settled) fail(new Error(`training worker exited with code ${code}`));
    });
  });
  return { result, terminate: async () => void (await worker.terminate()) };
}
