/**
 * Parses large uncompressed CSV channels on two threads: the files are cut into byte ranges
 * (see parseCsvRange), a helper worker thread claims ranges one after another, and the calling
 * thread takes them in file order. When the range it needs next is unclaimed (at the start, while
 * the helper boots, or whenever parsing falls behind the training) the calling thread parses it
 * itself, so neither thread idles while there is parsing to do. Ranges come out in the same order
 * and with the same blocks whoever parsed them, so training stays deterministic.
 *
 * The helper runs at most `ahead` ranges in front of the consumer (backpressure for channels larger
 * than the cache budget). A parse error is re-raised by re-parsing that range on the calling
 * thread with the right line offset, so messages name the same file line as a one-thread parse.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { parseCsvRange, type Block, type CsvRangeOptions, type RangeResult } from './channel-data.js';
import { AlgorithmError } from './errors.js';

export const RANGE_BYTES = 8 << 20;
/** Channels smaller than this are parsed on one thread: a helper thread costs more than it saves. */
export const PARALLEL_MIN_BYTES = 24 << 20;

export interface CsvRange {
  file: string;
  fileIndex: number;
  start: number;
  end: number;
}

export interface RangeJob {
  ranges: CsvRange[];
  opts: Omit<CsvRangeOptions, 'lineOffset'>;
  /** Shared Int32Array(2): [next range to claim, next range the consumer takes]. */
  control: SharedArrayBuffer;
  ahead: number;
}

export type RangeMessage = { r: number; blocks: Block[]; lines: number; d: number } | { r: number; error: string };

const workerUrl = new URL('./parse-worker.mjs', import.meta.url);

/**
 * Cuts files into ranges of about `rangeBytes`; undefined when a helper thread would not pay
 * (one core, a channel under `minBytes`, or LOCALSAGE_PARSE_THREADS=1).
 */
export function planRanges(files: string[], { minBytes = PARALLEL_MIN_BYTES, rangeBytes = RANGE_BYTES } = {}): CsvRange[] | undefined {
  const env = process.env.LOCALSAGE_PARSE_THREADS;
  if (env !== undefined && env.trim() !== '' && Number(env) <= 1) return undefined;
  if (availableParallelism() < 2) return undefined;
  const sizes = files.map((f) => statSync(f).size);
  if (sizes.reduce((a, b) => a + b, 0) < minBytes) return undefined;
  const ranges: CsvRange[] = [];
  files.forEach((file, fileIndex) => {
    const size = sizes[fileIndex];
    const parts = Math.max(1, Math.ceil(size / rangeBytes));
    for (let p = 0; p < parts; p++) {
      ranges.push({ file, fileIndex, start: Math.floor((p * size) / parts), end: Math.floor(((p + 1) * size) / parts) });
    }
  });
  return ranges;
}

/**
 * Yields every range's blocks in file order. `maxAheadBytes` bounds how far the helper parses
 * in front of the consumer (in file bytes).
 */
export async function* parseRangesInParallel(ranges: CsvRange[], opts: Omit<CsvRangeOptions, 'lineOffset'>, maxAheadBytes: number): AsyncGenerator<Block[]> {
  const control = new SharedArrayBuffer(8);
  const ctl = new Int32Array(control);
  const ahead = Math.max(2, Math.floor(maxAheadBytes / Math.max(1, ...ranges.map((r) => r.end - r.start))));
  const delivered = new Map<number, RangeMessage>();
  let waiting: { r: number; resolve: () => void } | undefined;
  let helperGone = false;
  const wake = () => {
    const w = waiting;
    waiting = undefined;
    w?.resolve();
  };
  const job: RangeJob = { ranges, opts, control, ahead };
  const worker = new Worker(workerUrl, { workerData: job });
  worker.unref();
  worker.on('message', (msg: RangeMessage) => {
    delivered.set(msg.r, msg);
    if (waiting?.r === msg.r) wake();
  });
  const gone = () => {
    helperGone = true;
    wake();
  };
  worker.on('error', gone);
  worker.on('exit', gone);

  let d = opts.featureDim ?? -1;
  let fileIndex = -1;
  let linesBefore = 0;
  const parseHere = (i: number, featureDim: number) =>
    parseCsvRange(ranges[i].file, ranges[i].start, ranges[i].end, { ...opts, featureDim: featureDim > 0 ? featureDim : undefined, lineOffset: linesBefore });
  try {
    for (let i = 0; i < ranges.length; i++) {
      if (ranges[i].fileIndex !== fileIndex) (fileIndex = ranges[i].fileIndex), (linesBefore = 0);
      Atomics.store(ctl, 1, i);
      Atomics.notify(ctl, 1);
      let res: RangeMessage | RangeResult | undefined = delivered.get(i);
      while (!res) {
        if (Atomics.compareExchange(ctl, 0, i, i + 1) === i) {
          res = await parseHere(i, d);
        } else if (helperGone) {
          // The helper claimed this range but will never deliver it.
          res = await parseHere(i, d);
        } else {
          await new Promise<void>((resolve) => (waiting = { r: i, resolve }));
          res = delivered.get(i);
        }
      }
      delivered.delete(i);
      if ('error' in res || (res.d > 0 && d > 0 && res.d !== d)) {
        // Parse again here: with the exact line numbers and the expected width this throws the
        // same AlgorithmError a one-thread parse would.
        await parseHere(i, d);
        throw new AlgorithmError('error' in res ? res.error : `Channel '${opts.channel}': rows of ${res.d} features where ${d} were expected`);
      }
      if (res.d > 0) d = res.d;
      linesBefore += res.lines;
      yield res.blocks;
    }
  } finally {
    Atomics.store(ctl, 0, ranges.length);
    Atomics.store(ctl, 1, ranges.length);
    Atomics.notify(ctl, 1);
    await worker.terminate();
  }
}
