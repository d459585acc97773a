/** Inference request decoding and response encoding shared by both algorithms (sections 1.8, 2.3). */
import { InferenceInputError, UnsupportedMediaError } from './errors.js';
import { CSV_MIMES, RECORDIO_MIMES, parseContentType } from './content-type.js';
import { readRecordIO, writeRecordIO } from './recordio.js';
import type { ProtobufRecord, RecordValue } from './protobuf-record.js';

export interface FeatureMatrix {
  n: number;
  d: number;
  /** Row-major n x d. */
  x: Float32Array;
}

export type Prediction = Record<string, number | number[]>;

/**
 * A model's answer. A text format (JSON, JSON Lines, CSV) stays a string: the invoke path writes
 * it straight after the response headers in one write, where a Buffer would cost an encode here
 * and a second chunk there. `answerBytes` gives the bytes where they are needed (S3, capture).
 */
export interface ModelAnswer {
  body: Buffer | string;
  contentType: string;
}

export function answerBytes(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body) : body;
}

const JSON_MIMES = new Set(['application/json']);
const JSONLINES_MIMES = new Set(['application/jsonlines', 'application/x-jsonlines', 'application/jsonl']);

/** Missing Content-Type is read as CSV, the format most clients send to these containers. */
export function parseInferenceRequest(body: Buffer, contentType: string | undefined, d: number): FeatureMatrix {
  const { mime } = parseContentType(contentType);
  if (mime === '' || CSV_MIMES.has(mime)) return parseCsvRequest(body.toString('utf8'), d);
  if (JSON_MIMES.has(mime)) return parseJsonRequest(body.toString('utf8'), d);
  if (JSONLINES_MIMES.has(mime)) return parseJsonLinesRequest(body.toString('utf8'), d);
  if (RECORDIO_MIMES.has(mime)) return parseRecordIORequest(body, d);
  throw new UnsupportedMediaError(
    `Content-type ${contentType} is not supported. Supported content types: text/csv, application/json, application/jsonlines, application/x-recordio-protobuf`,
    415,
  );
}

function wrongWidth(d: number, got: number, row: number): InferenceInputError {
  return new InferenceInputError(`Invalid input: row ${row + 1} has ${got} features, but the model expects ${d} (feature_dim)`);
}

/** Radix prefixes (0x, 0o, 0b) that `+cell` would read but a decimal parser refuses. */
const NON_DECIMAL = /[xXoObB]/;

/** A blank line (only whitespace), skipped as the containers skip it. */
function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) > 32) return false;
  return true;
}

/**
 * Kept allocation-light: the single-row CSV request is the hot path of the benchmark. Lines and
 * cells are found with indexOf rather than split, and a cell is only trimmed when it reads as 0
 * (`+''` and `+'  '` are 0 too, and must be refused as empty).
 */
export function parseCsvRequest(text: string, d: number): FeatureMatrix {
  // First pass: count the non-blank lines, to size the matrix once.
  let rows = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (!isBlank(text, start, end)) rows++;
    start = end + 1;
  }
  if (rows === 0) throw new InferenceInputError('Invalid input: empty request body');
  const x = new Float32Array(rows * d);
  let r = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const next = end + 1;
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // \r\n
    if (isBlank(text, start, end)) {
      start = next;
      continue;
    }
    // The width is checked before any cell is read, so a row of the wrong width says so.
    let cells = 1;
    for (let i = text.indexOf(',', start); i >= 0 && i < end; i = text.indexOf(',', i + 1)) cells++;
    if (cells !== d) throw wrongWidth(d, cells, r);
    const base = r * d;
    for (let c = 0, cellStart = start; c < d; c++) {
      let cellEnd = text.indexOf(',', cellStart);
      if (cellEnd < 0 || cellEnd > end) cellEnd = end;
      const cell = text.slice(cellStart, cellEnd);
      const v = Math.fround(+cell);
      // Decimal numbers only, finite in float32 (the containers' dtype): JavaScript's `+` also reads
      // 0x10, 0o7, 0b1 and Infinity, and 1e39 overflows float32 to Infinity, none of which JSON or
      // RecordIO requests can carry either.
      if (v - v !== 0 || (v === 0 && cell.trim() === '') || NON_DECIMAL.test(cell)) {
        throw new InferenceInputError(`Invalid input: could not convert '${cell.length > 64 ? `${cell.slice(0, 64)}...` : cell}' to a number (row ${r + 1}, column ${c + 1})`);
      }
      x[base + c] = v;
      cellStart = cellEnd + 1;
    }
    r++;
    start = next;
  }
  return { n: rows, d, x };
}

function numberArray(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new InferenceInputError(`Invalid input: ${what} must be an array of numbers`);
  // Finite in float32 too: the features are float32, where 1e39 is already Infinity.
  for (const e of v) if (typeof e !== 'number' || !Number.isFinite(Math.fround(e))) throw new InferenceInputError(`Invalid input: ${what} must be an array of numbers`);
  return v as number[];
}

/** Accepts {features:[...]}, {data:{features:{values,keys?,shape?}}}, {features:{values,...}} or a bare array. */
function instanceRow(inst: unknown, d: number, row: number, out: Float32Array): void {
  let feat: unknown = inst;
  if (inst && typeof inst === 'object' && !Array.isArray(inst)) {
    const o = inst as Record<string, unknown>;
    if (o.data && typeof o.data === 'object') feat = (o.data as Record<string, unknown>).features;
    else if ('features' in o) feat = o.features;
    else if ('values' in o) feat = o;
    else throw new InferenceInputError(`Invalid input: instance ${row + 1} has no "features" or "data.features"`);
  }
  const base = row * d;
  if (Array.isArray(feat)) {
    const values = numberArray(feat, 'features');
    if (values.length !== d) throw wrongWidth(d, values.length, row);
    out.set(values, base);
    return;
  }
  if (!feat || typeof feat !== 'object') throw new InferenceInputError(`Invalid input: instance ${row + 1} has no features`);
  const f = feat as Record<string, unknown>;
  const values = numberArray(f.values, 'features.values');
  if (f.keys === undefined) {
    if (values.length !== d) throw wrongWidth(d, values.length, row);
    out.set(values, base);
    return;
  }
  const keys = numberArray(f.keys, 'features.keys');
  if (keys.length !== values.length) throw new InferenceInputError(`Invalid input: instance ${row + 1} has ${keys.length} keys but ${values.length} values`);
  if (f.shape !== undefined) {
    const shape = numberArray(f.shape, 'features.shape');
    if (shape.length !== 1 || shape[0] !== d) throw new InferenceInputError(`Invalid input: instance ${row + 1} has shape [${shape.join(',')}], but the model expects [${d}]`);
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (!Number.isInteger(k) || k < 0 || k >= d) throw new InferenceInputError(`Invalid input: instance ${row + 1} has key ${k} outside [0, ${d})`);
    out[base + k] = values[i];
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InferenceInputError(`Invalid input: unable to parse JSON: ${(e as Error).message}`);
  }
}

export function parseJsonRequest(text: string, d: number): FeatureMatrix {
  const doc = parseJson(text);
  let instances: unknown[];
  if (Array.isArray(doc)) instances = Array.isArray(doc[0]) || (doc[0] && typeof doc[0] === 'object') ? doc : [doc];
  else if (doc && typeof doc === 'object' && Array.isArray((doc as Record<string, unknown>).instances)) instances = (doc as { instances: unknown[] }).instances;
  else if (doc && typeof doc === 'object' && ('features' in doc || 'data' in doc)) instances = [doc];
  else throw new InferenceInputError('Invalid input: expected {"instances": [...]}');
  if (instances.length === 0) throw new InferenceInputError('Invalid input: "instances" is empty');
  const x = new Float32Array(instances.length * d);
  instances.forEach((inst, i) => instanceRow(inst, d, i, x));
  return { n: instances.length, d, x };
}

export function parseJsonLinesRequest(text: string, d: number): FeatureMatrix {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InferenceInputError('Invalid input: empty request body');
  const x = new Float32Array(lines.length * d);
  lines.forEach((l, i) => instanceRow(parseJson(l), d, i, x));
  return { n: lines.length, d, x };
}

export function parseRecordIORequest(body: Buffer, d: number): FeatureMatrix {
  let records: ProtobufRecord[];
  try {
    records = readRecordIO(body);
  } catch (e) {
    throw new InferenceInputError(`Invalid input: unable to decode RecordIO-protobuf: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new InferenceInputError('Invalid input: no records in request');
  const x = new Float32Array(records.length * d);
  records.forEach((rec, i) => {
    const f = rec.features.values;
    if (!f || f.dtype === 'bytes') throw new InferenceInputError(`Invalid input: record ${i + 1} has no numeric features["values"]`);
    // A shape with no values is a sparse row without non-zero entries (its empty keys look dense).
    const keys = f.keys?.length || (f.values.length === 0 && f.shape?.length) ? Array.from(f.keys ?? []) : undefined;
    instanceRow({ values: Array.from(f.values), keys, shape: f.shape ? Array.from(f.shape) : undefined }, d, i, x);
  });
  return { n: records.length, d, x };
}

// ---------------------------------------------------------------- responses

export type ResponseFormat = 'json' | 'jsonlines' | 'recordio' | 'csv';

/** Negotiated formats by Accept value: clients send the same one on every request. */
const negotiated = [new Map<string, ResponseFormat>(), new Map<string, ResponseFormat>()];

/** Picks the first supported type in an Accept header; absent or `*\/*` means JSON. */
export function negotiateAccept(accept: string | undefined, allowCsv: boolean): ResponseFormat {
  if (!accept) return 'json';
  const known = negotiated[allowCsv ? 1 : 0];
  let format = known.get(accept);
  if (format === undefined) {
    format = negotiateUncached(accept, allowCsv); // throws for an unsupported Accept: not cached
    if (known.size >= 256) known.clear();
    known.set(accept, format);
  }
  return format;
}

function negotiateUncached(accept: string, allowCsv: boolean): ResponseFormat {
  if (accept.trim() === '') return 'json';
  for (const part of accept.split(',')) {
    const { mime } = parseContentType(part);
    if (mime === '*/*' || mime === 'application/*' || JSON_MIMES.has(mime)) return 'json';
    if (JSONLINES_MIMES.has(mime)) return 'jsonlines';
    if (RECORDIO_MIMES.has(mime)) return 'recordio';
    if (allowCsv && (CSV_MIMES.has(mime) || mime === 'text/*')) return 'csv';
  }
  const supported = ['application/json', 'application/jsonlines', 'application/x-recordio-protobuf', ...(allowCsv ? ['text/csv'] : [])];
  throw new UnsupportedMediaError(`Accept type ${accept} is not supported. Supported accept types: ${supported.join(', ')}`, 406);
}

const CONTENT_TYPES: Record<ResponseFormat, string> = {
  json: 'application/json',
  jsonlines: 'application/jsonlines',
  recordio: 'application/x-recordio-protobuf',
  csv: 'text/csv',
};

/** `csvFields` orders the columns of a CSV response. */
const jsonKeys = new Map<string, string>();

/**
 * JSON.stringify of a prediction (numbers and number arrays by key), written directly: the
 * response of every invocation, where the generic stringify dominated the model's own time.
 */
function predictionJson(p: Prediction): string {
  let out = '{';
  let first = true;
  for (const k in p) {
    const v = p[k];
    let key = jsonKeys.get(k);
    if (key === undefined) jsonKeys.set(k, (key = JSON.stringify(k)));
    out += (first ? '' : ',') + key + ':' + (typeof v === 'number' ? jsonNumber(v) : `[${v.map(jsonNumber).join(',')}]`);
    first = false;
  }
  return out + '}';
}

/** A number as JSON.stringify writes it: non-finite numbers become null. */
function jsonNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

export function encodePredictions(preds: Prediction[], format: ResponseFormat, csvFields: string[] = []): ModelAnswer {
  let body: Buffer | string;
  switch (format) {
    case 'json':
      body = `{"predictions":[${preds.map(predictionJson).join(',')}]}`;
      break;
    case 'jsonlines':
      body = preds.map((p) => JSON.stringify(p)).join('\n') + '\n';
      break;
    case 'csv':
      body = preds.map((p) => csvFields.map((f) => String(p[f])).join(',')).join('\n') + '\n';
      break;
    case 'recordio':
      body = writeRecordIO(
        preds.map((p) => {
          const label: Record<string, RecordValue> = {};
          for (const [k, v] of Object.entries(p)) label[k] = { dtype: 'float32', values: Float32Array.from(Array.isArray(v) ? v : [v]) };
          return { features: {}, label };
        }),
      );
      break;
  }
  return { body, contentType: CONTENT_TYPES[format] };
}
