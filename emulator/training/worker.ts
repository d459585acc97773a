import { parentPort, workerData } from 'node:worker_threads';
import { train, type TrainRequest } from '../../algorithms/index.js';

/** One training instance (algo-N): runs the algorithm and streams its log lines back. */
const request = workerData as Omit<TrainRequest, 'log'>;

train({ ...request, log: (line: string) => parentPort!.postMessage({ type: 'log', line }) })
  .then((result) => {
    const model = result.model;
    parentPort!.postMessage({ type: 'done', model }, [model.buffer as ArrayBuffer].filter((b) => b.byteLength === model.byteLength));
  })
  .catch((err: Error) => {
    parentPort!.postMessage({ type: 'error', name: err?.constructor?.name, message: err?.message ?? String(err) });
  });
