import { splitCsvLine } from '../../../../algorithms/automl-processing.js';
import { Rng } from '../../../../core/random.js';
import { listAll, parseS3Uri, readObject, type ObjectStore } from '../../../storage/object-store.js';

/**
 * AutoML's data analysis, on a tabular data set (CSV with a header row, `text/csv;header=present`,
 * or Parquet, read in parquet.ts): reads the objects under the channel's S3 prefix, finds the target
 * column, infers the problem type where the caller gave none and splits off a validation set;
 * features.ts then fits the feature processing, and the runner writes the built-in algorithms'
 * layout (label first, no header) back to S3 for the candidates.
 */
export type ProblemType = 'BinaryClassification' | 'MulticlassClassification' | 'Regression';

/** A failure the job reports as its FailureReason (the caller's data, not localsage). */
export class DataError extends Error {}

export interface Table {
  features: string[];
  /** The feature cells of each row, as read (strings, '' where missing), without the target. */
  cells: string[][];
  /** Each row's label: the class index for classification, the number for regression. */
  labels: number[];
  /** For classification, the original class values in the order of their encoded index. */
  classes?: string[];
}

export interface Prepared {
  problemType: ProblemType;
  features: string[];
  classes?: string[];
  trainRows: number;
  validationRows: number;
  /** Variance of the validation labels (for R2). */
  validationLabelVariance: number;
  trainUri: string;
  validationUri: string;
}

export const MIN_TRAINING_ROWS = 500;

/** Most distinct values an integer target may take and still be read as classes. */
const MAX_INFERRED_CLASSES = 10;

/** Every object under an S3 prefix (an S3Prefix data source), in key order. */
export async function readChannel(store: ObjectStore, uri: string): Promise<Buffer[]> {
  const { bucket, key } = parseS3Uri(uri);
  let objects;
  try {
    objects = (await listAll(store, bucket, key)).filter((o) => !o.key.endsWith('/'));
  } catch (e) {
    throw new DataError(`Could not read the input data at ${uri}: ${(e as Error).message}`);
  }
  if (!objects.length) throw new DataError(`No objects were found under the input data location ${uri}.`);
  const files: Buffer[] = [];
  for (const o of objects.sort((a, b) => a.key.localeCompare(b.key))) files.push(await readObject(store, bucket, o.key));
  return files;
}

/** A data set as read: its column names and every row's cells as strings ('' where missing). */
export interface RawTable {
  header?: string[];
  raw: string[][];
}

/** Header-present CSV files; every file repeats the header. */
export function readCsvFiles(files: Buffer[]): RawTable {
  let header: string[] | undefined;
  const raw: string[][] = [];
  for (const file of files) {
    const lines = file.toString('utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
    if (!lines.length) continue;
    const h = splitCsvLine(lines[0]);
    if (header && h.join(',') !== header.join(',')) throw new DataError('The input files do not share one header row.');
    header = h;
    for (const l of lines.slice(1)) {
      const cells = splitCsvLine(l);
      if (cells.length !== h.length) throw new DataError(`A row has ${cells.length} columns where the header has ${h.length}.`);
      raw.push(cells);
    }
  }
  return { header, raw };
}

/** Finds the target, infers the problem type where none is given, and encodes the labels. */
export function parseTable({ header, raw }: RawTable, target: string, problemType?: ProblemType, validationOf?: Table): Table & { problemType: ProblemType } {
  if (!header) throw new DataError('The input data is empty.');
  const t = header.indexOf(target);
  if (t < 0) throw new DataError(`The target attribute ${target} is not a column of the input data (columns: ${header.join(', ')}).`);
  // API reference (CreateAutoMLJob InputDataConfig): a minimum of 500 rows for the training data; none for validation.
  if (raw.length < MIN_TRAINING_ROWS && !validationOf) throw new DataError(`The training data has ${raw.length} rows; AutoML needs at least ${MIN_TRAINING_ROWS}.`);
  const features = header.filter((_, i) => i !== t);
  if (!features.length) throw new DataError('The input data has no column besides the target attribute.');
  const labels = raw.map((r) => r[t]).filter((v) => v !== '');
  if (labels.length < raw.length) throw new DataError(`The target attribute ${target} is empty in ${raw.length - labels.length} rows.`);
  const distinct = [...new Set(labels)];
  const numeric = labels.every((v) => Number.isFinite(Number(v)));
  const resolved: ProblemType =
    problemType ??
    (distinct.length === 2
      ? 'BinaryClassification'
      : !numeric || (labels.every((v) => Number.isInteger(Number(v))) && distinct.length <= MAX_INFERRED_CLASSES)
        ? 'MulticlassClassification'
        : 'Regression');
  if (resolved === 'Regression' && !numeric) throw new DataError(`The target attribute ${target} is not numeric, so the problem cannot be Regression.`);
  if (validationOf) return validationTable(raw, t, features, resolved, validationOf);
  if (resolved === 'BinaryClassification' && distinct.length !== 2) {
    throw new DataError(`BinaryClassification needs exactly 2 distinct values of ${target}; the data has ${distinct.length}.`);
  }
  if (resolved === 'MulticlassClassification' && distinct.length < 3) {
    throw new DataError(`MulticlassClassification needs at least 3 distinct values of ${target}; the data has ${distinct.length}.`);
  }
  // Classes are encoded 0..k-1 in sorted order (numerically where they are numbers).
  const classes = resolved === 'Regression' ? undefined : distinct.sort((a, b) => (numeric ? Number(a) - Number(b) : a.localeCompare(b)));
  const index = new Map(classes?.map((c, i) => [c, i]));
  const cells = raw.map((r) => r.filter((_, i) => i !== t));
  return { features, cells, labels: raw.map((r) => (classes ? index.get(r[t])! : Number(r[t]))), classes, problemType: resolved };
}

/** A validation channel: the training channel's classes and their encoding; any count of them. */
function validationTable(raw: string[][], t: number, features: string[], problemType: ProblemType, training: Table): Table & { problemType: ProblemType } {
  if (features.join(',') !== training.features.join(',')) throw new DataError('The validation channel does not have the columns of the training channel.');
  const labels = raw.map((r) => {
    const label = training.classes ? training.classes.indexOf(r[t]) : Number(r[t]);
    if (!training.classes && !Number.isFinite(label)) throw new DataError(`The validation channel has the non-numeric target value "${r[t]}".`);
    if (label < 0 && training.classes) throw new DataError(`The validation channel has the target value "${r[t]}", which the training channel does not.`);
    return label;
  });
  return { features, cells: raw.map((r) => r.filter((_, i) => i !== t)), labels, classes: training.classes, problemType };
}

/** A deterministic shuffle-split: the job's name seeds it, so a rerun splits alike. */
export function split<T>(rows: T[], fraction: number, seed: number): { train: T[]; validation: T[] } {
  const order = Array.from({ length: rows.length }, (_, i) => i);
  new Rng(seed).shuffle(order);
  const n = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * fraction)));
  return { validation: order.slice(0, n).map((i) => rows[i]), train: order.slice(n).map((i) => rows[i]) };
}

export const toCsv = (rows: number[][]) => rows.map((r) => r.join(',')).join('\n') + '\n';

export function variance(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length);
}

export function seedOf(name: string): number {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}
