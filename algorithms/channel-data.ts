/** Reads a training channel (CSV or RecordIO-protobuf, optionally gzipped) into a dense matrix. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AlgorithmError } from './errors.js';
import { CSV_MIMES, RECORDIO_MIMES, parseContentType } from './content-type.js';
import { readRecordIO } from './recordio.js';
import type { ChannelFiles } from './types.js';

export interface Dataset {
  /** Rows. */
  n: number;
  /** Features per row. */
  d: number;
  /** Row-major n x d. */
  x: Float32Array;
  /** Labels (first label column / label["values"][0]); absent when the data has none. */
  y?: Float32Array;
  /** True when any row arrived sparse: the scaler then must not shift (it would densify). */
  sparse: boolean;
}

export interface LoadOptions {
  /** label_size assumed for CSV when the content type does not say. */
  defaultCsvLabelSize: number;
  /** Expected feature count (hyperparameter), if known. */
  featureDim?: number;
}

/** Growable float buffer, so files of unknown row count need no second pass. */
class FloatBuilder {
  buf = new Float32Array(1 << 16);
  len = 0;
  push(v: number): void {
    if (this.len === this.buf.length) {
      const next = new Float32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = v;
  }
  ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Float32Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  result(): Float32Array {
    return this.buf.slice(0, this.len);
  }
}

function readChannelFile(path: string, compression: ChannelFiles['compression']): Buffer {
  const raw = readFileSync(path);
  if (compression !== 'Gzip') return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    throw new AlgorithmError(`Unable to decompress ${basename(path)} as gzip: ${(e as Error).message}`);
  }
}

export function loadChannel(channel: ChannelFiles, opts: LoadOptions): Dataset {
  const { mime, params } = parseContentType(channel.contentType);
  const isCsv = CSV_MIMES.has(mime);
  if (!isCsv && mime !== '' && !RECORDIO_MIMES.has(mime)) {
    throw new AlgorithmError(
      `Content type ${channel.contentType} is not supported for channel '${channel.name}'. ` +
        `Supported content types: text/csv, application/x-recordio-protobuf`,
    );
  }
  const x = new FloatBuilder();
  const y = new FloatBuilder();
  const state = { d: opts.featureDim ?? -1, n: 0, hasLabel: false, sparse: false };
  for (const file of channel.files) {
    const bytes = readChannelFile(file, channel.compression);
    if (isCsv) {
      const labelSize = params.label_size !== undefined ? Number(params.label_size) : opts.defaultCsvLabelSize;
      if (!Number.isInteger(labelSize) || labelSize < 0) {
        throw new AlgorithmError(`Invalid label_size '${params.label_size}' in content type ${channel.contentType}`);
      }
      parseCsv(bytes.toString('utf8'), labelSize, basename(file), channel.name, x, y, state);
    } else {
      parseRecordIO(bytes, basename(file), channel.name, x, y, state);
    }
  }
  if (state.n === 0) throw new AlgorithmError(`No data found in channel '${channel.name}'`);
  return { n: state.n, d: state.d, x: x.result(), y: state.hasLabel ? y.result() : undefined, sparse: state.sparse };
}

type ParseState = { d: number; n: number; hasLabel: boolean; sparse: boolean };

function checkDim(state: ParseState, got: number, where: string, channel: string): void {
  if (state.d < 0) state.d = got;
  else if (state.d !== got) {
    throw new AlgorithmError(
      `Channel '${channel}': ${where} has ${got} features, but ${state.d} were expected (feature_dim or earlier rows)`,
    );
  }
}

function parseCsv(text: string, labelSize: number, file: string, channel: string, x: FloatBuilder, y: FloatBuilder, state: ParseState): void {
  const lines = text.split('\n');
  for (let li = 0; li < lines.length; li++) {
    let line = lines[li];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const featureCount = cells.length - labelSize;
    if (featureCount <= 0) {
      throw new AlgorithmError(`Channel '${channel}': ${file} line ${li + 1} has ${cells.length} columns, not enough for label_size=${labelSize} plus features`);
    }
    checkDim(state, featureCount, `${file} line ${li + 1}`, channel);
    x.ensure(featureCount);
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c].trim();
      const v = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(v)) {
        throw new AlgorithmError(`Channel '${channel}': could not convert '${cells[c]}' to a number in ${file} line ${li + 1} column ${c + 1}`);
      }
      if (c < labelSize) {
        if (c === 0) y.push(v);
      } else x.buf[x.len++] = v;
    }
    if (labelSize > 0) state.hasLabel = true;
    state.n++;
  }
}

function parseRecordIO(bytes: Buffer, file: string, channel: string, x: FloatBuilder, y: FloatBuilder, state: ParseState): void {
  let records;
  try {
    records = readRecordIO(bytes);
  } catch (e) {
    throw new AlgorithmError(`Channel '${channel}': ${file} is not valid RecordIO-protobuf: ${(e as Error).message}`);
  }
  for (let r = 0; r < records.length; r++) {
    const rec = records[r];
    const f = rec.features.values;
    if (!f || f.dtype === 'bytes') {
      throw new AlgorithmError(`Channel '${channel}': record ${r} of ${file} has no numeric features["values"] tensor`);
    }
    if (f.keys && f.keys.length) {
      const dim = f.shape?.[0] ?? (state.d > 0 ? state.d : undefined);
      if (dim === undefined) throw new AlgorithmError(`Channel '${channel}': sparse record ${r} of ${file} has no shape`);
      checkDim(state, dim, `record ${r} of ${file}`, channel);
      if (f.keys.length !== f.values.length) throw new AlgorithmError(`Channel '${channel}': sparse record ${r} of ${file} has ${f.keys.length} keys but ${f.values.length} values`);
      x.ensure(dim);
      const base = x.len;
      x.buf.fill(0, base, base + dim);
      for (let i = 0; i < f.keys.length; i++) {
        const k = f.keys[i];
        if (k >= dim) throw new AlgorithmError(`Channel '${channel}': sparse record ${r} of ${file} has key ${k} >= feature dimension ${dim}`);
        x.buf[base + k] = f.values[i];
      }
      x.len += dim;
      state.sparse = true;
    } else {
      checkDim(state, f.values.length, `record ${r} of ${file}`, channel);
      x.ensure(f.values.length);
      x.buf.set(f.values, x.len);
      x.len += f.values.length;
    }
    const l = rec.label.values;
    if (l && l.dtype !== 'bytes' && l.values.length > 0) {
      y.push(l.values[0]);
      state.hasLabel = true;
    } else if (state.hasLabel) {
      throw new AlgorithmError(`Channel '${channel}': record ${r} of ${file} has no label["values"]`);
    } else {
      y.push(NaN);
    }
    state.n++;
  }
}
