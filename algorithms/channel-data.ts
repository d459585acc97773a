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
import { CSV_MIMES, RECORDIO_MIMES, parseContentType } from './content-type.js';
import { decodeRecord } from './protobuf-record.js';
import { RECORDIO_MAGIC } from './recordio.js';
import type { Prng } from './prng.js';
import type { ChannelFiles } from './types.js';

export interface Block {
  /** Rows. */
  n: number;
  /** Features per row. */
  d: number;
  /** Row-major n x d (may be a view on a larger buffer). */
  x: Float32Array;
  /** Labels (first label column / label["values"][0]); NaN where a row has none. */
  y: Float32Array;
  /** True when any row of the block arrived sparse. */
  sparse: boolean;
}

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

/** Accumulates rows into fixed-size blocks. */
class BlockBuilder {
  d = -1;
  private x: Float32Array | undefined;
  private y: Float32Array;
  private n = 0;
  private sparse = false;
  readonly done: Block[] = [];
  constructor(private readonly blockRows: number, private readonly channel: string, featureDim?: number) {
    if (featureDim !== undefined) this.d = featureDim;
    this.y = new Float32Array(blockRows);
  }

  setDim(got: number, where: string): void {
    if (this.d < 0) this.d = got;
    else if (this.d !== got) {
      throw new AlgorithmError(
        `Channel '${this.channel}': ${where} has ${got} features, but ${this.d} were expected (feature_dim or earlier rows)`,
      );
    }
  }

  /** Returns the offset of a fresh zeroed row in `x`; the caller fills it, then calls `commit`. */
  row(): Float32Array {
    if (!this.x) {
      // Wide (e.g. sparse, high-dimensional) data gets fewer rows per block: at most 32 MiB each.
      this.cap = Math.max(1, Math.min(this.blockRows, Math.floor(8_388_608 / this.d)));
      this.x = new Float32Array(this.cap * this.d);
    }
    return this.x;
  }
  private cap = 0;
  get offset(): number {
    return this.n * this.d;
  }
  commit(label: number, sparse: boolean): void {
    this.y[this.n++] = label;
    if (sparse) this.sparse = true;
    if (this.n === this.cap) this.flush();
  }
  flush(): void {
    if (this.n === 0 || !this.x) return;
    const full = this.n === this.cap && this.n === this.blockRows;
    this.done.push({
      n: this.n,
      d: this.d,
      x: full ? this.x : this.x.slice(0, this.n * this.d),
      y: full ? this.y : this.y.slice(0, this.n),
      sparse: this.sparse,
    });
    this.x = undefined;
    this.y = new Float32Array(this.blockRows);
    this.n = 0;
    this.sparse = false;
  }
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Incremental CSV parser over bytes: no per-line strings, no split, no Number() on the fast path. */
class CsvParser {
  private carry: Uint8Array | undefined;
  private line = 0;
  private scratch = new Float64Array(256);
  constructor(private readonly out: BlockBuilder, private readonly labelSize: number, private readonly file: string, private readonly channel: string) {}

  push(chunk: Uint8Array, last: boolean): void {
    let b = chunk;
    if (this.carry) {
      b = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let s = 0;
    const len = b.length;
    for (;;) {
      let e = b.indexOf(10, s);
      if (e < 0) {
        if (!last) {
          if (s < len) this.carry = b.slice(s);
          return;
        }
        e = len;
        if (s >= len) return;
      }
      this.parseLine(b, s, e);
      s = e + 1;
      if (s >= len) return;
    }
  }

  private fail(b: Uint8Array, s: number, e: number, col: number): never {
    const text = Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8');
    throw new AlgorithmError(`Channel '${this.channel}': could not convert '${text}' to a number in ${this.file} line ${this.line} column ${col + 1}`);
  }

  private parseLine(b: Uint8Array, s: number, e: number): void {
    this.line++;
    if (e > s && b[e - 1] === 13) e--;
    let blank = true;
    for (let i = s; i < e; i++) if (b[i] !== 32 && b[i] !== 9) { blank = false; break; }
    if (blank) return;
    let row = this.scratch;
    let col = 0;
    let i = s;
    for (;;) {
      const fieldStart = i;
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      let neg = false;
      if (b[i] === 45) (neg = true), i++;
      else if (b[i] === 43) i++;
      let mant = 0, digits = 0, frac = 0;
      let c = b[i];
      while (i < e && c >= 48 && c <= 57) (mant = mant * 10 + (c - 48)), digits++, (c = b[++i]);
      if (i < e && c === 46) {
        c = b[++i];
        while (i < e && c >= 48 && c <= 57) (mant = mant * 10 + (c - 48)), digits++, frac++, (c = b[++i]);
      }
      while (i < e && (b[i] === 32 || b[i] === 9)) i++;
      let v: number;
      if (digits > 0 && digits <= 15 && (i >= e || b[i] === 44)) {
        v = frac ? mant / POW10[frac] : mant;
        if (neg) v = -v;
      } else {
        // Exponents, long mantissas and anything odd: find the field's end and let Number() judge.
        let j = fieldStart;
        while (j < e && b[j] !== 44) j++;
        const text = Buffer.from(b.buffer, b.byteOffset + fieldStart, j - fieldStart).toString('latin1').trim();
        v = text === '' ? NaN : Number(text);
        if (!Number.isFinite(v)) this.fail(b, fieldStart, j, col);
        i = j;
      }
      if (col === row.length) {
        const next = new Float64Array(row.length * 2);
        next.set(row);
        row = this.scratch = next;
      }
      row[col++] = v;
      if (i >= e) break;
      i++; // comma
      if (i >= e) this.fail(b, i, i, col); // trailing comma: an empty cell
    }
    const features = col - this.labelSize;
    if (features <= 0) {
      throw new AlgorithmError(`Channel '${this.channel}': ${this.file} line ${this.line} has ${col} columns, not enough for label_size=${this.labelSize} plus features`);
    }
    const out = this.out;
    out.setDim(features, `${this.file} line ${this.line}`);
    const x = out.row();
    const o = out.offset;
    for (let k = 0; k < features; k++) x[o + k] = row[this.labelSize + k];
    out.commit(this.labelSize > 0 ? row[0] : NaN, false);
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
    const sparse = !!(f.keys && f.keys.length);
    if (sparse) {
      const dim = f.shape?.[0] ?? (out.d > 0 ? out.d : undefined);
      if (dim === undefined) throw new AlgorithmError(`Channel '${channel}': sparse record ${r} of ${file} has no shape`);
      out.setDim(dim, `record ${r} of ${file}`);
      if (f.keys!.length !== f.values.length) throw new AlgorithmError(`Channel '${channel}': sparse record ${r} of ${file} has ${f.keys!.length} keys but ${f.values.length} values`);
      const x = out.row();
      const o = out.offset;
      for (let i = 0; i < f.keys!.length; i++) {
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
  async forEach(fn: (block: Block) => void | boolean | Promise<void | boolean>, opts: { rng?: Prng } = {}): Promise<void> {
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
    const builder = new BlockBuilder(this.blockRows, this.channel.name, this.d > 0 ? this.d : undefined);
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
    for (const file of this.channel.files) {
      const name = basename(file);
      const parser = this.isCsv
        ? new CsvParser(builder, this.labelSize, name, this.channel.name)
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
