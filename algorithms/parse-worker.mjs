// @ts-check
/**
 * Helper thread of parallel-parse.ts: claims CSV byte ranges and posts their parsed blocks back.
 * Plain JavaScript, loaded without the TypeScript loader, so that it starts in milliseconds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseCsvRange } from './csv-core.mjs';

/** @type {{ ranges: { file: string; start: number; end: number }[]; opts: import('./csv-core.mjs').CsvRangeOptions; control: SharedArrayBuffer; ahead: number }} */
const { ranges, opts, control, ahead } = workerData;
const ctl = new Int32Array(control);
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

for (;;) {
  const r = Atomics.add(ctl, 0, 1);
  if (r >= ranges.length) break;
  // Backpressure: stay at most `ahead` ranges in front of the consumer.
  for (let taken = Atomics.load(ctl, 1); r >= taken + ahead; taken = Atomics.load(ctl, 1)) Atomics.wait(ctl, 1, taken, 100);
  if (Atomics.load(ctl, 1) >= ranges.length) break;
  /** @type {ArrayBuffer[]} */
  const transfer = [];
  let msg;
  try {
    const { blocks, lines, d } = await parseCsvRange(ranges[r].file, ranges[r].start, ranges[r].end, opts, (m) => new Error(m));
    for (const b of blocks) transfer.push(/** @type {ArrayBuffer} */ (b.x.buffer), /** @type {ArrayBuffer} */ (b.y.buffer));
    msg = { r, blocks, lines, d };
  } catch (e) {
    msg = { r, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(msg, [...new Set(transfer)]);
}
