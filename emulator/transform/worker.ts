import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from '../../algorithms/index.js';
import { handleBatch, type BatchSettings } from './batch.js';

/**
 * One batch transform instance: the model, loaded once, answers the mini-batches the main
 * thread sends, one at a time and in order, as a serving container answers POST /invocations.
 */
const settings = workerData as BatchSettings & { model: Uint8Array };
const port = parentPort!;
const model = loadModel(Buffer.from(settings.model.buffer, settings.model.byteOffset, settings.model.byteLength));

port.on('message', (msg: { id: number; records: Uint8Array[] }) => {
  const outcome = handleBatch(model, settings, msg.records.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
  if (outcome.ok) port.postMessage({ id: msg.id, body: outcome.body }, [outcome.body.buffer as ArrayBuffer].filter((b) => b.byteLength === outcome.body.byteLength));
  else port.postMessage({ id: msg.id, error: outcome.error });
});
port.postMessage({ ready: true });
