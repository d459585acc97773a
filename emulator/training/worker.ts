import { parentPort, workerData } from 'node:worker_threads';
import { train, type Collective, type TrainRequest } from '../../algorithms/index.js';

/** One training instance (algo-N): runs the algorithm and streams its log lines back. */
const request = workerData as Omit<TrainRequest, 'log' | 'collective'>;
const port = parentPort!;

/** All-reduce through the main thread's AllReduceHub (see instance-worker.ts). */
function hubCollective(): Collective {
  let seq = 0;
  let aborted: string | undefined;
  const waiting = new Map<number, { resolve: (v: Float64Array) => void; reject: (e: Error) => void }>();
  port.on('message', (msg: { type: string; seq?: number; data?: Float64Array; reason?: string }) => {
    if (msg.type === 'allreduce-result') {
      waiting.get(msg.seq!)?.resolve(msg.data!);
      waiting.delete(msg.seq!);
    } else if (msg.type === 'allreduce-abort') {
      aborted = msg.reason;
      for (const w of waiting.values()) w.reject(new Error(`Data-parallel training aborted: ${msg.reason}`));
      waiting.clear();
    }
  });
  return {
    allReduceSum(data) {
      if (aborted) return Promise.reject(new Error(`Data-parallel training aborted: ${aborted}`));
      const id = seq++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        port.postMessage({ type: 'allreduce', seq: id, data });
      });
    },
  };
}

train({
  ...request,
  collective: request.hosts.length > 1 ? hubCollective() : undefined,
  log: (line: string) => port.postMessage({ type: 'log', line }),
})
  .then((result) => {
    const model = result.model;
    port.postMessage({ type: 'done', model }, [model.buffer as ArrayBuffer].filter((b) => b.byteLength === model.byteLength));
  })
  .catch((err: Error) => {
    port.postMessage({ type: 'error', name: err?.constructor?.name, message: err?.message ?? String(err) });
  });
