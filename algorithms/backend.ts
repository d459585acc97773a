/**
 * Picks the tfjs backend for training: env LOCALSAGE_TFJS_BACKEND = wasm (default) | cpu |
 * tensorflow (needs the optional @tensorflow/tfjs-node) | webgpu (needs the optional `webgpu`
 * package, Dawn for Node, plus @tensorflow/tfjs-backend-webgpu, and a GPU adapter). Whatever is
 * missing falls back to wasm, with a line in the training log saying why.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow' | 'webgpu';

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
  } else if (wanted === 'webgpu') {
    try {
      // Optional packages; variable specifiers keep the type checker from requiring them.
      const dawn = 'webgpu';
      const backend = '@tensorflow/tfjs-backend-webgpu';
      const { create, globals } = (await import(dawn)) as { create: (flags: string[]) => { requestAdapter(): Promise<unknown> }; globals: object };
      Object.assign(globalThis, globals);
      const gpu = create([]);
      if (!(await gpu.requestAdapter())) throw new Error('Dawn found no GPU adapter');
      const g = globalThis as { navigator?: object };
      if (!g.navigator) g.navigator = {};
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
      await import(backend);
      order.push('webgpu');
    } catch (e) {
      notes.push(`LOCALSAGE_TFJS_BACKEND=webgpu but the WebGPU backend is unavailable (${(e as Error).message}); falling back to wasm`);
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
