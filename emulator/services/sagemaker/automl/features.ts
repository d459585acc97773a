import { PROCESSING_FORMAT, tokensOf, type ColumnSpec, type ProcessingSpec } from '../../../../algorithms/automl-processing.js';
import type { ProblemType } from './data.js';

/**
 * AutoML's feature engineering, fitted on the training split (as Autopilot's data processing
 * jobs fit their transformers): each column's type is read from its values, a column whose
 * every non-empty value is a number is numeric (missing values take the median, then it is
 * standardised), a string column of mostly distinct values of several words is free text (TF-IDF
 * over its frequent tokens), any other is categorical (one-hot over its most frequent values,
 * missing values take the most frequent one). The result travels in the data processing model,
 * so a deployed candidate encodes raw rows exactly as its training data was encoded.
 */

/** Most one-hot columns a categorical column gets: a column of many values keeps its frequent ones only. */
export const MAX_CATEGORIES = 30;
/** A value seen fewer times than this in the training split has no column of its own. */
export const MIN_CATEGORY_COUNT = 2;

function numericColumn(name: string, values: string[]): ColumnSpec {
  const numbers = values.filter((v) => v !== '').map(Number).sort((a, b) => a - b);
  if (!numbers.length) return { name, kind: 'numeric', median: 0, mean: 0, std: 1 };
  const mid = numbers.length >> 1;
  const median = numbers.length % 2 ? numbers[mid] : (numbers[mid - 1] + numbers[mid]) / 2;
  // Mean and spread of the imputed column, which is what the algorithms are given.
  const imputed = values.map((v) => (v === '' ? median : Number(v)));
  const mean = imputed.reduce((a, b) => a + b, 0) / imputed.length;
  const sd = Math.sqrt(imputed.reduce((a, b) => a + (b - mean) ** 2, 0) / imputed.length);
  return { name, kind: 'numeric', median, mean, std: sd > 1e-12 ? sd : 1 };
}

function categoricalColumn(name: string, values: string[]): ColumnSpec {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== '') counts.set(v, (counts.get(v) ?? 0) + 1);
  // Most frequent first; ties in code-unit order so that a refit is the same model.
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const categories = ranked.filter(([, n]) => n >= MIN_CATEGORY_COUNT).slice(0, MAX_CATEGORIES).map(([v]) => v);
  return { name, kind: 'categorical', categories, mode: ranked[0]?.[0] ?? '' };
}

/** Most TF-IDF columns a text column gets. */
export const MAX_TEXT_TOKENS = 100;
/** A string column is free text when its values average at least this many tokens and are mostly distinct. */
const TEXT_MIN_TOKENS = 3;

function isTextColumn(values: string[]): boolean {
  const present = values.filter((v) => v !== '');
  if (!present.length) return false;
  const distinct = new Set(present).size;
  const tokens = present.reduce((n, v) => n + tokensOf(v).length, 0) / present.length;
  return tokens >= TEXT_MIN_TOKENS && (distinct > MAX_CATEGORIES || distinct > present.length / 2);
}

function textColumn(name: string, values: string[]): ColumnSpec {
  const documentFrequency = new Map<string, number>();
  for (const v of values) for (const t of new Set(tokensOf(v))) documentFrequency.set(t, (documentFrequency.get(t) ?? 0) + 1);
  const ranked = [...documentFrequency].filter(([, n]) => n >= MIN_CATEGORY_COUNT).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = ranked.slice(0, MAX_TEXT_TOKENS);
  // Smoothed idf, as scikit-learn's TfidfVectorizer computes it (which Autopilot's text features use).
  return { name, kind: 'text', vocabulary: kept.map(([t]) => t), idf: kept.map(([, df]) => Math.log((1 + values.length) / (1 + df)) + 1) };
}

/** Numeric when every non-empty value is a finite number. */
export const isNumericColumn = (values: string[]) => values.every((v) => v === '' || Number.isFinite(Number(v)));

/** Fits the processing model on the training split's feature cells (the data set's column order, no target). */
export function fitProcessing(features: string[], cells: string[][], problemType: ProblemType, classes?: string[]): ProcessingSpec {
  const columns = features.map((name, i) => {
    const values = cells.map((r) => r[i]);
    if (isNumericColumn(values)) return numericColumn(name, values);
    return isTextColumn(values) ? textColumn(name, values) : categoricalColumn(name, values);
  });
  return { format: PROCESSING_FORMAT, problemType, columns, classes };
}
