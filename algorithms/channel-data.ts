/**
 * Streams a training channel (CSV or RecordIO-protobuf, optionally gzipped) as blocks of rows.
 *
 * Files are read in chunks and parsed straight into Float32Array blocks; nothing holds a whole
 * file. A pass over a channel may keep its blocks in memory (up to a byte budget) so that later
 * epochs skip the parsing; a channel larger than the budget is simply streamed again each epoch.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { basename } from 'node:path';
import { createGunzip } from 'node:zlib';
import { AlgorithmError } from './errors.js';
import { BlockBuilder, CsvParser, parseCsvRange as parseRange, type Block, type CsvRangeOptions, type RangeResult } from './csv-core.mjs';
import { CSV_MIMES, RECORDIO_MIMES, parseContentType } from './content-type.js';
import { decodeRecord } from './protobuf-record.js';
import { RECORDIO_MAGIC } from './recordio.js';
import { parseRangesInParallel, planRanges } from './parallel-parse.js';
import type { Rng } from '../core/random.js';
import type { ChannelFiles } from './types.js';

export type { Block, RangeResult, CsvRangeOptions } from './csv-core.mjs';

/** A whole channel in memory (small channels, tests). */
export interface Dataset {
  n: number;
  d: number;
  x: Float32Array;
  y?: Float32Array;
  sparse: boolean;
}

export interface LoadOptions {
  /** label_size assumed for CSV when the content type does not say. */
  defaultCsvLabelSize: number;
  /** Expected feature count (hyperparameter), if known. */
  featureDim?: number;
  /** Rows per block (default 32768). */
  blockRows?: number;
}

const CHUNK_BYTES = 4 << 20;

/** Bytes of parsed blocks a channel may keep in memory across epochs. */
export function cacheBudgetBytes(): number {
  const env = process.env.LOCALSAGE_TRAIN_CACHE_MB;
  if (env !== undefined && env.trim() !== '' && Number.isFinite(Number(env))) return Math.max(0, Number(env)) * (1 << 20);
  return Math.min(4096 * (1 << 20), totalmem() / 4);
}

async function* fileChunks(path: string, gzip: boolean): AsyncGenerator<Uint8Array> {
  if (gzip) {
    const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES }).pipe(createGunzip({ chunkSize: 1 << 20 }));
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) {
        throw new AlgorithmError(`Unable to decompress ${basename(path)} as gzip: ${(e as Error).message}`);
      }
      throw e;
    }
    return;
  }
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Incremental dmlc RecordIO reader (rejoins cflag 1/2/3 parts) feeding decoded records into blocks. */
class RecordIOParser {
  private carry: Uint8Array | undefined;
  private pending: Uint8Array[] | undefined;
  private record = 0;
  private hasLabel = false;
  constructor(private readonly out: BlockBuilder, private readonly file: string, private readonly channel: string) {}

  private bad(why: string): never {
    throw new AlgorithmError(`Channel '${this.channel}': ${this.file} is not valid RecordIO-protobuf: ${why}`);
  }

  push(chunk: Uint8Array, last: boolean): void {
    let b = chunk;
    if (this.carry) {
      b = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let pos = 0;
    while (pos < b.length) {
      if (pos + 8 > b.length) break;
      const magic = dv.getUint32(pos, true);
      if (magic !== RECORDIO_MAGIC) this.bad(`invalid RecordIO magic at record ${this.record}`);
      const lrec = dv.getUint32(pos + 4, true);
      const cflag = lrec >>> 29;
      const len = lrec & ((1 << 29) - 1);
      const next = pos + 8 + ((len + 3) & ~3);
      if (pos + 8 + len > b.length) break;
      const part = b.subarray(pos + 8, pos + 8 + len);
      pos = Math.min(next, b.length);
      if (cflag === 0) {
        if (this.pending) this.bad('record started before the previous multi-part record ended');
        this.add(part);
      } else if (cflag === 1) {
        if (this.pending) this.bad('record started before the previous multi-part record ended');
        this.pending = [Buffer.from(part)];
      } else if (cflag === 2 || cflag === 3) {
        if (!this.pending) this.bad(`continuation part (cflag ${cflag}) without a first part`);
        this.pending.push(Buffer.from([0x0a, 0x23, 0xd7, 0xce]), Buffer.from(part));
        if (cflag === 3) {
          this.add(Buffer.concat(this.pending));
          this.pending = undefined;
        }
      } else this.bad(`invalid RecordIO cflag ${cflag}`);
    }
    if (pos < b.length) {
      if (last) this.bad(`truncated RecordIO record ${this.record}`);
      this.carry = b.slice(pos);
    } else if (last && this.pending) this.bad('stream ended inside a multi-part record');
  }

  private add(payload: Uint8Array): void {
    const r = this.record++;
    const file = this.file;
    const channel = this.channel;
    let rec;
    try {
      rec = decodeRecord(payload);
    } catch (e) {
      this.bad(`record ${r}: ${(e as Error).message}`);
    }
    const f = rec.features.values;
    if (!f || f.dtype === 'bytes') {
      throw new AlgorithmError(`Channel '${channel}': record ${r} of ${file} has no numeric features["values"] tensor`);
    }
    const out = this.out;
    // Non-empty keys mean sparse; so does a shape with no values at all (a sparse row holding
    // no non-zero entry, whose empty keys are indistinguishable from dense on the wire).
    const sparse = !!(f.keys && f.keys.length) || (f.values.length === 0 && (f.shape?.[0] ?? 0) > 0);
    if (sparse) {
      const dim = f.shape?.[0] ?? (out.d > 0 ? out.d : undefined);
      if (dim === undefined) throw new AlgorithmError(`Channel '${channel}': sparse record ${r} of ${file} has no shape`);
      out.setDim(dim, `record ${r} of ${file}`);
      if ((f.keys?.length ?? 0) !== f.values.length) throw new AlgorithmError(`Channel '${channel}': sparse record ${r} of ${file} has ${f.keys!.length} keys but ${f.values.length} values`);
      const x = out.row();
      const o = out.offset;
      for (let i = 0; i < f.values.length; i++) {
        const k = f.keys![i];
        if (k >= dim) throw new AlgorithmError(`Channel '${channel}': sparse record ${r} of ${file} has key ${k} >= feature dimension ${dim}`);
        x[o + k] = f.values[i];
      }
    } else {
      out.setDim(f.values.length, `record ${r} of ${file}`);
      out.row().set(f.values, out.offset);
    }
    const l = rec.label.values;
    let label = NaN;
    if (l && l.dtype !== 'bytes' && l.values.length > 0) {
      label = l.values[0];
      this.hasLabel = true;
    } else if (this.hasLabel) {
      throw new AlgorithmError(`Channel '${channel}': record ${r} of ${file} has no label["values"]`);
    }
    out.commit(label, sparse);
  }
}

const clientError = (message: string): Error => new AlgorithmError(message);

/** Parses the lines of a CSV file that start within bytes [start, end) (see csv-core.mjs). */
export function parseCsvRange(path: string, start: number, end: number, opts: CsvRangeOptions): Promise<RangeResult> {
  return parseRange(path, start, end, opts, clientError);
}

const STOP = Symbol('stop');

/** One channel, readable block by block any number of times. */
export class ChannelStream {
  readonly isCsv: boolean;
  private readonly labelSize: number;
  private cache: Block[] | undefined;
  private cacheable = true;
  /** Known after the first pass. */
  rows = -1;
  d: number;
  sparse = false;
  hasLabel = false;
  readonly blockRows: number;

  constructor(readonly channel: ChannelFiles, opts: LoadOptions, private readonly budget = cacheBudgetBytes()) {
    const { mime, params } = parseContentType(channel.contentType);
    this.isCsv = CSV_MIMES.has(mime);
    if (!this.isCsv && mime !== '' && !RECORDIO_MIMES.has(mime)) {
      throw new AlgorithmError(
        `Content type ${channel.contentType} is not supported for channel '${channel.name}'. ` +
          `Supported content types: text/csv, application/x-recordio-protobuf`,
      );
    }
    this.labelSize = params.label_size !== undefined ? Number(params.label_size) : opts.defaultCsvLabelSize;
    if (this.isCsv && (!Number.isInteger(this.labelSize) || this.labelSize < 0)) {
      throw new AlgorithmError(`Invalid label_size '${params.label_size}' in content type ${channel.contentType}`);
    }
    this.d = opts.featureDim ?? -1;
    this.blockRows = opts.blockRows ?? 32768;
  }

  /** True when the blocks stay in memory between passes. */
  get cached(): boolean {
    return this.cache !== undefined;
  }

  /**
   * Calls `fn` on every block, in file order. The first pass parses the files (and keeps the blocks
   * when they fit the budget); later passes replay the kept blocks or parse again.
   */
  async forEach(fn: (block: Block) => void | boolean | Promise<void | boolean>, opts: { rng?: Rng } = {}): Promise<void> {
    if (this.cache) {
      const order = opts.rng ? opts.rng.permutation(this.cache.length) : Uint32Array.from(this.cache.keys());
      for (const i of order) if ((await fn(this.cache[i])) === false) return;
      return;
    }
    try {
      await this.parsePass(fn);
    } catch (e) {
      if (e !== STOP) throw e;
    }
  }

  private async parsePass(fn: (block: Block) => void | boolean | Promise<void | boolean>): Promise<void> {
    const keep: Block[] | undefined = this.cacheable ? [] : undefined;
    let kept = 0;
    let rows = 0;
    const builder = new BlockBuilder(this.blockRows, this.channel.name, this.d > 0 ? this.d : undefined, clientError);
    const emit = async () => {
      for (const b of builder.done.splice(0)) {
        rows += b.n;
        if (b.sparse) this.sparse = true;
        if (keep && this.cacheable) {
          kept += b.x.byteLength + b.y.byteLength;
          if (kept <= this.budget) keep.push(b);
          else (this.cacheable = false), (keep.length = 0);
        }
        if ((await fn(b)) === false) throw STOP;
      }
    };
    const ranges = this.isCsv && this.channel.compression !== 'Gzip' ? planRanges(this.channel.files) : undefined;
    if (ranges) {
      // Large uncompressed CSV: two threads parse byte ranges side by side (parallel-parse.ts).
      const opts = { labelSize: this.labelSize, featureDim: this.d > 0 ? this.d : undefined, blockRows: this.blockRows, channel: this.channel.name };
      for await (const blocks of parseRangesInParallel(ranges, opts, Math.min(this.budget, 1 << 30))) {
        for (const b of blocks) builder.done.push(b), builder.setDim(b.d, basename(this.channel.files[0]));
        await emit();
      }
    } else for (const file of this.channel.files) {
      const name = basename(file);
      const parser = this.isCsv
        ? new CsvParser(builder, this.labelSize, name, this.channel.name, clientError)
        : new RecordIOParser(builder, name, this.channel.name);
      let prev: Uint8Array | undefined;
      for await (const chunk of fileChunks(file, this.channel.compression === 'Gzip')) {
        if (prev) parser.push(prev, false);
        prev = chunk;
        await emit();
      }
      parser.push(prev ?? new Uint8Array(0), true);
      await emit();
    }
    builder.flush();
    await emit();
    if (rows === 0) throw new AlgorithmError(`No data found in channel '${this.channel.name}'`);
    this.rows = rows;
    this.d = builder.d;
    if (keep && this.cacheable) this.cache = keep;
    this.hasLabel = this.isCsv ? this.labelSize > 0 : (this.cache ?? []).some((b) => b.n > 0 && !Number.isNaN(b.y[0])) || this.hasLabel;
  }

  /** Transforms the kept blocks in place (e.g. scaling), so replays need no further work. */
  mapCached(fn: (block: Block) => void): boolean {
    if (!this.cache) return false;
    for (const b of this.cache) fn(b);
    return true;
  }
}

/** Reads a whole (small) channel into one matrix: for tests and small evaluation channels. */
export async function loadChannel(channel: ChannelFiles, opts: LoadOptions): Promise<Dataset> {
  const stream = new ChannelStream(channel, opts, 0);
  const blocks: Block[] = [];
  await stream.forEach((b) => void blocks.push(b));
  const n = blocks.reduce((s, b) => s + b.n, 0);
  const d = stream.d;
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  let r = 0;
  let labelled = false;
  for (const b of blocks) {
    x.set(b.x.subarray(0, b.n * d), r * d);
    y.set(b.y.subarray(0, b.n), r);
    for (let i = 0; i < b.n && !labelled; i++) if (!Number.isNaN(b.y[i])) labelled = true;
    r += b.n;
  }
  return { n, d, x, y: labelled ? y : undefined, sparse: stream.sparse };
}
