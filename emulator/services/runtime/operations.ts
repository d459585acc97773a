import type { Clock } from '../../../core/clock.js';
import type { RestJsonOperation } from '../../protocol/rest-json.js';
import type { Database } from '../../storage/database.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { AsyncInferenceService } from './async-inference.js';
import { DataCapture } from './data-capture.js';
import { EndpointLogs } from './endpoint-logs.js';
import { InvocationObserver } from './invocation-observer.js';
import type { InvocationRecorder } from './invocation-recorder.js';
import { InvokeEndpointService } from './invoke-endpoint.js';
import type { ServingRegistry } from './serving-registry.js';
import { ShadowMirror } from './shadow-mirror.js';
import { StreamInferenceService } from './stream-inference.js';

/** SageMaker Runtime: its operations for the rest-json protocol layer, and what they share. */
export function createRuntime(deps: { serving: ServingRegistry; store: ObjectStore; clock: Clock; db: Database; recorder?: InvocationRecorder }) {
  const { serving, store, clock, db } = deps;
  const logs = new EndpointLogs(db, clock);
  const capture = new DataCapture(store, clock);
  const observer = new InvocationObserver(logs, capture, new ShadowMirror(deps.recorder));
  const invoke = new InvokeEndpointService(serving, deps.recorder, observer);
  const asyncInference = new AsyncInferenceService(serving, store, clock, db, logs, observer);
  const operations: Record<string, RestJsonOperation> = {
    InvokeEndpoint: invoke,
    InvokeEndpointAsync: asyncInference,
    InvokeEndpointWithResponseStream: new StreamInferenceService(serving, invoke, observer),
  };
  return {
    operations,
    /** After the endpoints have recovered: asynchronous requests accepted before a restart run. */
    recover: () => asyncInference.recover(),
    /** Emulator shutdown: ends the asynchronous endpoints' workers, writes captured data still buffered. */
    close: () => Promise.all([asyncInference.shutdown(), capture.flushAll()]).then(() => undefined),
  };
}
