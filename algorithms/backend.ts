/** Picks the tfjs backend for training: env LOCALSAGE_TFJS_BACKEND = wasm (default) | cpu | tensorflow. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow';

let ready: Promise<string> | undefined;
const notes: string[] = [];

async function select(): Promise<string> {
  const wanted = (process.env.LOCALSAGE_TFJS_BACKEND ?? 'wasm').trim().toLowerCase() || 'wasm';
  const order: string[] = [];
  if (wanted === 'tensorflow' || wanted === 'node') {
    try {
      // Optional native backend; a variable specifier keeps the type checker from requiring it.
      const specifier = '@tensorflow/tfjs-node';
      await import(specifier);
      order.push('tensorflow');
    } catch {
      notes.push(`LOCALSAGE_TFJS_BACKEND=${wanted} but @tensorflow/tfjs-node is not installed; falling back to wasm`);
    }
    order.push('wasm', 'cpu');
  } else if (wanted === 'cpu') {
    order.push('cpu');
  } else {
    if (wanted !== 'wasm') notes.push(`unknown LOCALSAGE_TFJS_BACKEND=${wanted}; using wasm`);
    order.push('wasm', 'cpu');
  }
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch (e) {
      notes.push(`tfjs backend ${name} failed to initialise (${(e as Error).message}); trying the next one`);
    }
  }
  throw new Error('no tfjs backend could be initialised');
}

/** Initialises the backend once per thread; returns its name and any fallback notes to log. */
export async function initBackend(): Promise<{ name: string; notes: string[] }> {
  ready ??= select();
  const name = await ready;
  return { name, notes: notes.splice(0) };
}

export { tf };
