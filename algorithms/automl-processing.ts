/**
 * The model behind AutoML's data processing container (Autopilot's `sagemaker-sklearn-automl`
 * image): a fitted description of every feature column, and the classes of a classification
 * target. One artifact serves two modes, chosen as on AWS by the container's
 * AUTOML_TRANSFORM_MODE environment variable:
 *  - feature-transform: raw CSV rows (the data set's columns less the target, in its order;
 *    strings, empty cells) in, the numeric matrix the algorithms trained on out;
 *  - inverse-label-transform: the algorithm's answer in, the original labels out, with the
 *    response keys SAGEMAKER_INFERENCE_OUTPUT names (predicted_label, probability, probabilities,
 *    labels).
 */
import { CSV_MIMES, parseContentType } from './content-type.js';
import { InferenceInputError, UnsupportedMediaError } from './errors.js';
import type { ModelAnswer } from './serving-formats.js';

export const PROCESSING_FORMAT = 'localsage-automl-processing/1';

export type ColumnSpec =
  /** Missing values take the median; then (x - mean) / std. */
  | { name: string; kind: 'numeric'; median: number; mean: number; std: number }
  /** One-hot over the most frequent values; missing takes the mode; any other value encodes as all zeros. */
  | { name: string; kind: 'categorical'; categories: string[]; mode: string }
  /** Free text: TF-IDF over the most frequent tokens (smoothed idf, each row L2-normalised); missing is all zeros. */
  | { name: string; kind: 'text'; vocabulary: string[]; idf: number[] };

export interface ProcessingSpec {
  format: typeof PROCESSING_FORMAT;
  problemType: 'BinaryClassification' | 'MulticlassClassification' | 'Regression';
  columns: ColumnSpec[];
  /** Classification: the original labels, in the order of their encoded index. */
  classes?: string[];
}

/** Splits a CSV line; quotes are honoured so that a quoted comma stays in its field. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(field.trim()), (field = '');
    else field += ch;
  }
  out.push(field.trim());
  return out;
}

/** How wide a column encodes. */
export const encodedWidth = (c: ColumnSpec) => (c.kind === 'numeric' ? 1 : c.kind === 'text' ? c.vocabulary.length : c.categories.length);

/** A text cell's tokens: lower-cased runs of letters and digits. */
export const tokensOf = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

function tfidf(c: Extract<ColumnSpec, { kind: 'text' }>, raw: string): number[] {
  const counts = new Map<string, number>();
  for (const t of tokensOf(raw)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const v = c.vocabulary.map((t, i) => (counts.get(t) ?? 0) * c.idf[i]);
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return norm > 0 ? v.map((x) => x / norm) : v;
}

/** The encoded vector of one raw row (the feature columns only, in the data set's order). */
export function encodeRow(spec: ProcessingSpec, cells: string[]): number[] {
  const out: number[] = [];
  for (const [i, c] of spec.columns.entries()) {
    const raw = cells[i] ?? '';
    if (c.kind === 'numeric') {
      const v = raw === '' ? c.median : Number(raw);
      // A string in a numeric column is a missing value to the imputer, as Autopilot's is.
      out.push(((Number.isFinite(v) ? v : c.median) - c.mean) / c.std);
    } else if (c.kind === 'text') {
      out.push(...tfidf(c, raw));
    } else {
      const v = raw === '' ? c.mode : raw;
      for (const cat of c.categories) out.push(cat === v ? 1 : 0);
    }
  }
  return out;
}

const CSV_TYPES = 'text/csv';

/** Feature-transform mode: raw CSV in, the encoded CSV out (what the algorithm container reads). */
function transformFeatures(spec: ProcessingSpec, body: Buffer, contentType: string | undefined): ModelAnswer {
  const { mime } = parseContentType(contentType);
  if (mime !== '' && !CSV_MIMES.has(mime)) {
    throw new UnsupportedMediaError(`Content-type ${contentType} is not supported by the data processing container. Supported content types: ${CSV_TYPES}`, 415);
  }
  const lines = body.toString('utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) throw new InferenceInputError('Invalid input: the request has no rows.');
  const out: string[] = [];
  for (const [r, line] of lines.entries()) {
    const cells = splitCsvLine(line);
    if (cells.length !== spec.columns.length) {
      throw new InferenceInputError(
        `Invalid input: row ${r + 1} has ${cells.length} columns, but the model expects ${spec.columns.length} (${spec.columns.map((c) => c.name).join(', ')}), without the target column.`,
      );
    }
    out.push(encodeRow(spec, cells).map((v) => String(Math.round(v * 1e6) / 1e6)).join(','));
  }
  return { body: out.join('\n') + '\n', contentType: 'text/csv' };
}

/** The keys the inverse label transform can answer, and the one it answers when not told. */
export const INFERENCE_KEYS = ['predicted_label', 'probability', 'probabilities', 'labels'] as const;
type InferenceKey = (typeof INFERENCE_KEYS)[number];

interface Scored {
  label: number;
  /** Each class's probability, in class order. */
  probabilities: number[];
}

/** Reads an algorithm's answer: JSON `{predictions: [{score, predicted_label?}]}` or CSV scores. */
function readScores(spec: ProcessingSpec, body: Buffer, contentType: string | undefined): Scored[] {
  const k = spec.classes!.length;
  const text = body.toString('utf8');
  const { mime } = parseContentType(contentType);
  let rows: { score: number | number[]; predicted_label?: number }[];
  if (mime === 'application/json') {
    try {
      rows = (JSON.parse(text) as { predictions: { score: number | number[]; predicted_label?: number }[] }).predictions;
    } catch (e) {
      throw new InferenceInputError(`Invalid input: the algorithm's answer is not JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(rows)) throw new InferenceInputError('Invalid input: the algorithm\'s answer has no "predictions" list.');
  } else if (mime === '' || CSV_MIMES.has(mime)) {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    // One score per line, or (XGBoost's one-line answer) every score on one line.
    const cells = lines.length === 1 && k === 2 ? lines[0].split(',') : lines;
    rows = cells.map((l) => ({ score: k === 2 ? Number(l) : l.split(',').map(Number) }));
  } else {
    throw new UnsupportedMediaError(`Content-type ${contentType} is not supported by the inverse label transform. Supported content types: application/json, text/csv`, 415);
  }
  return rows.map((p) => {
    const probabilities = Array.isArray(p.score) ? p.score.map(Number) : [1 - Number(p.score), Number(p.score)];
    if (probabilities.length !== k || probabilities.some((v) => !Number.isFinite(v))) {
      throw new InferenceInputError(`Invalid input: an algorithm score ${JSON.stringify(p.score)} does not fit the ${k} classes.`);
    }
    const argmax = probabilities.reduce((b, v, i) => (v > probabilities[b] ? i : b), 0);
    return { label: p.predicted_label !== undefined && p.predicted_label >= 0 && p.predicted_label < k ? p.predicted_label : argmax, probabilities };
  });
}

/** A CSV cell as Autopilot writes one: lists are quoted, Python style. */
const csvCell = (v: string | number | (string | number)[]) =>
  Array.isArray(v) ? `"[${v.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}]"` : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);

/** Inverse-label-transform mode: the algorithm's scores in, the original labels (and asked-for keys) out. */
function inverseLabels(spec: ProcessingSpec, keys: InferenceKey[], body: Buffer, contentType: string | undefined, accept: string | undefined): ModelAnswer {
  const classes = spec.classes!;
  const rows = readScores(spec, body, contentType).map((s) => {
    const values: Record<InferenceKey, string | number | (string | number)[]> = {
      predicted_label: classes[s.label],
      // HPO models: the positive class's probability for binary problems, the predicted label's for multiclass.
      probability: classes.length === 2 ? s.probabilities[1] : s.probabilities[s.label],
      probabilities: s.probabilities,
      labels: classes,
    };
    return keys.map((key) => [key, values[key]] as const);
  });
  const a = parseContentType(accept?.split(',')[0]).mime;
  if (a === 'application/json') return { body: JSON.stringify({ predictions: rows.map((r) => Object.fromEntries(r)) }), contentType: 'application/json' };
  if (a === 'application/jsonlines' || a === 'application/x-jsonlines') {
    return { body: rows.map((r) => JSON.stringify(Object.fromEntries(r))).join('\n') + '\n', contentType: a };
  }
  if (a !== '' && a !== '*/*' && !CSV_MIMES.has(a)) {
    throw new UnsupportedMediaError(`Accept ${accept} is not supported. Supported accept types: text/csv, application/json, application/jsonlines`, 406);
  }
  return { body: rows.map((r) => r.map(([, v]) => csvCell(v)).join(',')).join('\n') + '\n', contentType: 'text/csv' };
}

export interface ProcessingModel {
  algorithm: 'sagemaker-sklearn-automl';
  predict(body: Buffer, contentType: string | undefined, accept: string | undefined): ModelAnswer;
}

/** Whether a model_algo-1 holds a processing model (JSON with this format) rather than an algorithm's. */
export function isProcessingModel(file: Buffer): boolean {
  return file[0] === 0x7b && file.subarray(0, 200).toString('utf8').includes(PROCESSING_FORMAT);
}

/** The processing model in the mode its container's environment names. */
export function loadProcessingModel(file: Buffer, environment: Record<string, string> = {}): ProcessingModel {
  const spec = JSON.parse(file.toString('utf8')) as ProcessingSpec;
  if (spec.format !== PROCESSING_FORMAT) throw new Error(`model_algo-1 is not an AutoML data processing model (${String(spec.format)})`);
  const mode = environment.AUTOML_TRANSFORM_MODE ?? 'feature-transform';
  if (mode === 'feature-transform') return { algorithm: 'sagemaker-sklearn-automl', predict: (body, ct) => transformFeatures(spec, body, ct) };
  if (mode !== 'inverse-label-transform') throw new Error(`AUTOML_TRANSFORM_MODE ${mode} is not one of feature-transform, inverse-label-transform`);
  if (!spec.classes) throw new Error('The inverse label transform needs a classification model: this one has no classes.');
  const asked = (environment.SAGEMAKER_INFERENCE_OUTPUT ?? 'predicted_label').split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = asked.find((k) => !(INFERENCE_KEYS as readonly string[]).includes(k));
  if (unknown) throw new Error(`SAGEMAKER_INFERENCE_OUTPUT names ${unknown}, which is not one of ${INFERENCE_KEYS.join(', ')}`);
  return { algorithm: 'sagemaker-sklearn-automl', predict: (body, ct, accept) => inverseLabels(spec, asked as InferenceKey[], body, ct, accept) };
}

const PROCESSING_IMAGE = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/sagemaker-sklearn-automl(?::[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$/;

/** Autopilot's data processing image, which localsage serves itself (no scikit-learn needed). */
export const isProcessingImage = (image: string | undefined) => !!image && PROCESSING_IMAGE.test(image.trim());

/** The data processing image URI AutoML names in a region (the scikit-learn images' account). */
export const processingImageUri = (region: string) => `683313688378.dkr.ecr.${region}.amazonaws.com/sagemaker-sklearn-automl:2.5-1-cpu-py3`;
