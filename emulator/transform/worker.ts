import { parentPort, workerData } from 'node:worker_threads';
import { loadModel, type LoadedModel } from '../../algorithms/index.js';
import { pipelineModel } from '../services/runtime/inference-pipeline.js';
import { handleBatch, type BatchSettings } from './batch.js';

/**
 * One model instance (a batch transform instance, or an asynchronous endpoint's instance): the
 * model, loaded once, answers the requests the main thread sends, one at a time and in order, as
 * a serving container answers POST /invocations.
 */
type Bytes = Uint8Array;
const settings = workerData as BatchSettings & { model: Bytes | { stages: { model: Bytes; environment: Record<string, string>; accept: string }[] } };
const port = parentPort!;
const buffer = (b: Bytes) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const model =
  settings.model instanceof Uint8Array
    ? loadModel(buffer(settings.model))
    : (pipelineModel(settings.model.stages.map((s) => ({ model: loadModel(buffer(s.model), s.environment), accept: s.accept }))) as LoadedModel);

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
