import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ObjectStore } from '../storage/object-store.js';
import type { ModelAnswer, ModelInstance } from './instance.js';
import { batchRecords, splitRecords, type SplitType } from './records.js';

export interface ObjectPlan {
  bucket: string;
  key: string;
  outBucket: string;
  outKey: string;
}

export interface ObjectSettings {
  split: SplitType;
  strategy: 'SingleRecord' | 'MultiRecord';
  maxPayloadBytes: number;
  maxConcurrent: number;
  assembleWithLine: boolean;
  gzip: boolean;
  accept?: string;
  /** ModelClientConfig.InvocationsTimeoutInSeconds, in ms, on the emulator clock. */
  timeoutMs: number;
  schedule: (ms: number, fn: () => void) => () => void;
}

/** The model did not answer one request within InvocationsTimeoutInSeconds. */
export class InvocationTimeoutError extends Error {
  constructor(ms: number) {
    super(`Model server did not respond to /invocations request within ${ms / 1000} seconds`);
  }
}

const NEWLINE = Buffer.from('\n');

function timed(answer: Promise<ModelAnswer>, s: ObjectSettings): Promise<ModelAnswer> {
  const p = new Promise<ModelAnswer>((resolve, reject) => {
    const cancel = s.schedule(s.timeoutMs, () => reject(new InvocationTimeoutError(s.timeoutMs)));
    answer.then(
      (a) => (cancel(), resolve(a)),
      (e) => (cancel(), reject(e)),
    );
  });
  p.catch(() => {});
  return p;
}

/**
 * Transforms one input object into `<key>.out`: records stream from the object store, go to the
 * instance in mini-batches with at most MaxConcurrentTransforms in flight, and the answers stream
 * to the output object in input order. Memory holds a bounded number of batches, whatever the
 * object's size. On a failure nothing is stored for this object.
 */
/** Returns the number of requests the object took. */
export async function transformObject(store: ObjectStore, instance: ModelInstance, plan: ObjectPlan, s: ObjectSettings, alive: () => boolean): Promise<number> {
  const { body } = await store.getObject(plan.bucket, plan.key);
  const source: Readable = s.gzip ? body.pipe(createGunzip()) : body;
  const out = new PassThrough();
  // A failed batch destroys `out` with its error; the object store may not be listening yet (it
  // can still be opening the file), and an 'error' nobody listens to ends the process. The
  // failure is reported by the throw below.
  out.on('error', () => {});
  const stored = store.putObject(plan.outBucket, plan.outKey, out, { contentType: s.accept ?? 'application/octet-stream' });
  stored.catch(() => {});
  const pending: Promise<ModelAnswer>[] = [];
  let requests = 0;
  const writeNext = async () => {
    const { body: answer } = await pending.shift()!;
    if (!out.write(answer)) await once(out, 'drain');
    if (s.assembleWithLine && answer.length && answer[answer.length - 1] !== 0x0a && !out.write(NEWLINE)) await once(out, 'drain');
  };
  try {
    for await (const batch of batchRecords(splitRecords(source, s.split, s.maxPayloadBytes), s.strategy, s.split, s.maxPayloadBytes)) {
      if (!alive()) throw new Error('transform job stopped');
      requests++;
      pending.push(timed(instance.send(batch), s));
      if (pending.length >= s.maxConcurrent) await writeNext();
    }
    while (pending.length) await writeNext();
    out.end();
    await stored;
    return requests;
  } catch (e) {
    body.destroy();
    source.destroy();
    out.destroy(e as Error);
    await stored.catch(() => {});
    throw e;
  }
}
