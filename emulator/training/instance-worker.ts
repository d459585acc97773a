import { Worker } from 'node:worker_threads';
import type { TrainRequest } from '../../algorithms/index.js';

export interface InstanceRun {
  result: Promise<Buffer>;
  terminate(): Promise<void>;
}

/** The algorithm rejected its input (bad hyperparameter, bad data): a ClientError on AWS. */
export class AlgorithmClientError extends Error {}

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker-entry.mjs' : './worker.js', import.meta.url);

/** Starts one training instance in a worker thread. */
export function startInstance(request: Omit<TrainRequest, 'log'>, onLog: (line: string) => void): InstanceRun {
  const worker = new Worker(workerUrl, { workerData: request });
  let settled = false;
  const result = new Promise<Buffer>((resolve, reject) => {
    worker.on('message', (msg: { type: string; line?: string; model?: Uint8Array; name?: string; message?: string }) => {
      if (msg.type === 'log') onLog(msg.line!);
      else if (msg.type === 'done') {
        settled = true;
        resolve(Buffer.from(msg.model!.buffer, msg.model!.byteOffset, msg.model!.byteLength));
      } else if (msg.type === 'error') {
        settled = true;
        reject(msg.name === 'AlgorithmError' ? new AlgorithmClientError(msg.message) : new Error(msg.message));
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`training worker exited with code ${code}`));
    });
  });
  return { result, terminate: async () => void (await worker.terminate()) };
}
