import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from '../../algorithms/index.js';
import { handleBatch, type BatchSettings } from './batch.js';

/**
 * One model instance (a batch transform instance, or an asynchronous endpoint's instance): the
 * model, loaded once, answers the requests the main thread sends, one at a time and in order, as
 * a serving container answers POST /invocations.
 */
const settings = workerData as BatchSettings & { model: Uint8Array };
const port = parentPort!;
const model = loadModel(Buffer.from(settings.model.buffer, settings.model.byteOffset, settings.model.byteLength));

port.on('message', (msg: { id: number; request: Uint8Array; media?: { contentType?: string; accept?: string } }) => {
  // An asynchronous invocation names its own Content-Type and Accept.
  const s = msg.media ? { ...settings, ...msg.media } : settings;
  const outcome = handleBatch(model, s, Buffer.from(msg.request.buffer, msg.request.byteOffset, msg.request.byteLength));
  if (outcome.ok) {
    port.postMessage({ id: msg.id, body: outcome.body, contentType: outcome.contentType }, [outcome.body.buffer as ArrayBuffer].filter((b) => b.byteLength === outcome.body.byteLength));
  }
  else port.postMessage({ id: msg.id, error: outcome.error });
});
port.postMessage({ ready: true });
