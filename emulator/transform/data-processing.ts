import { JSONPath } from 'jsonpath-plus';

/**
 * Batch transform's DataProcessing (InputFilter, JoinSource, OutputFilter), as the SageMaker
 * developer guide defines it ("Associate prediction results with input records"):
 * - a CSV row is taken as a JSON array of its cells, so only index paths apply (`$[0]`, `$[1:]`);
 * - JSON and JSON Lines records are JSON values;
 * - joining puts the prediction in `SageMakerOutput` of a JSON object (or wraps a non-object
 *   input as `{"SageMakerInput": ..., "SageMakerOutput": ...}`), and appends it to a CSV row.
 *
 * Paths are evaluated by jsonpath-plus (script evaluation off). AWS's dialect differs from it in
 * a few places, rewritten here before evaluation (quoted-name unions: see expandQuotedUnions): a slice's end is inclusive (`$[1:4]` is the
 * second through fifth column) and a bare negative index (`$[-1]`) names the last element.
 * Multi-selections (`['a','b']`, `[0,5:]`, `*`) keep their shape: an object with the selected
 * keys, or an array of the selected elements.
 */
export class DataProcessingError extends Error {}

export interface DataProcessing {
  inputFilter?: string;
  joinSource?: 'Input' | 'None';
  outputFilter?: string;
}

export const isIdentity = (path: string | undefined) => path === undefined || path === '' || path === '$';

export function needsProcessing(p: DataProcessing): boolean {
  return !isIdentity(p.inputFilter) || p.joinSource === 'Input' || !isIdentity(p.outputFilter);
}

/** Rewrites AWS's inclusive slices and bare negative indexes into jsonpath-plus's syntax. */
function normalise(path: string): { path: string; multi: boolean } {
  let multi = false;
  const out = path.replace(/\[([^\]'"]*)\]/g, (_m, inner: string) => {
    const parts = inner.split(',').map((p) => p.trim());
    if (parts.length > 1) multi = true;
    return `[${parts
      .map((p) => {
        const slice = /^(-?\d*):(-?\d*)$/.exec(p);
        if (slice) {
          multi = true;
          if (slice[2] === '') return p;
          const end = Number(slice[2]);
          return `${slice[1]}:${end === -1 ? '' : end + 1}`;
        }
        if (/^-\d+$/.test(p)) {
          const k = Number(p);
          return `${k}:${k === -1 ? '' : k + 1}`;
        }
        if (p === '*') multi = true;
        return p;
      })
      .join(',')}]`;
  });
  if (/\[\s*'[^']*'\s*,/.test(path) || /\.\*$|\[\*\]$/.test(path)) multi = true;
  // A lone negative index became a one-element slice: unwrap it again below.
  return { path: out, multi };
}

/**
 * jsonpath-plus (10.x, the line that supports Node 20) selects nothing for a union of quoted
 * names, `$['id','SageMakerOutput']`, which AWS's examples use: each such union becomes one path
 * per name, evaluated in order, which selects the same members in the same order.
 */
function expandQuotedUnions(path: string): string[] {
  const union = /\[\s*((?:'[^']*'|"[^"]*")(?:\s*,\s*(?:'[^']*'|"[^"]*"))+)\s*\]/.exec(path);
  if (!union) return [path];
  const names = union[1].match(/'[^']*'|"[^"]*"/g)!;
  return names.flatMap((name) => expandQuotedUnions(`${path.slice(0, union.index)}[${name}]${path.slice(union.index + union[0].length)}`));
}

/** Applies one AWS JSONPath filter to a record value. */
export function selectPath(value: unknown, path: string | undefined): unknown {
  if (isIdentity(path)) return value;
  if (!path!.startsWith('$')) throw new DataProcessingError(`Invalid JSONPath expression "${path}": it must start with $`);
  const { path: normalised, multi } = normalise(path!);
  let results: { value: unknown; parentProperty: string | number | null }[];
  try {
    results = expandQuotedUnions(normalised).flatMap(
      (one) => JSONPath({ path: one, json: value as object, resultType: 'all', wrap: true, eval: false }) as typeof results,
    );
  } catch (e) {
    throw new DataProcessingError(`Invalid JSONPath expression "${path}": ${(e as Error).message}`);
  }
  if (!results.length) throw new DataProcessingError(`JSONPath expression "${path}" selects nothing in the record (indexes outside the record's size are an error)`);
  if (!multi) return results[0].value;
  if (results.every((r) => typeof r.parentProperty === 'string' && !/^\d+$/.test(r.parentProperty))) {
    return Object.fromEntries(results.map((r) => [r.parentProperty, r.value]));
  }
  return results.map((r) => r.value);
}

// ---------------------------------------------------------------- CSV rows (RFC 4180, one line)

export function parseCsvRow(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new DataProcessingError('Unterminated quoted field in CSV record');
        cell += line.slice(i, q);
        if (line[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      cells.push(cell);
      if (i >= line.length) return cells;
      if (line[i] !== ',') throw new DataProcessingError('Unexpected character after a quoted field in CSV record');
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

function csvCell(v: unknown): string {
  const s = typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsvRow(value: unknown): string {
  return Array.isArray(value) ? value.map(csvCell).join(',') : csvCell(value);
}

// ---------------------------------------------------------------- records

export type RecordFormat = 'csv' | 'json';

export function formatOf(contentType: string | undefined): RecordFormat {
  const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return mime === 'text/csv' || mime === 'text/x-csv' || mime === '' ? 'csv' : 'json';
}

function parseRecord(text: string, format: RecordFormat): unknown {
  if (format === 'csv') return parseCsvRow(text);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataProcessingError(`Unable to parse the record as JSON: ${(e as Error).message}`);
  }
}

function formatRecord(value: unknown, format: RecordFormat): string {
  return format === 'csv' ? formatCsvRow(value) : JSON.stringify(value);
}

/** InputFilter on one record: what the model receives in its place. */
export function filterInput(record: string, format: RecordFormat, path: string | undefined): string {
  if (isIdentity(path)) return record;
  return formatRecord(selectPath(parseRecord(record, format), path), format);
}

/**
 * Splits a model response into one piece per input record: line by line for CSV and JSON Lines,
 * the whole body for a single record, or the elements of the built-in algorithms'
 * `{"predictions": [...]}` when it has one per record.
 */
export function splitResponse(body: string, accept: string | undefined, count: number): string[] {
  const mime = (accept ?? '').split(';')[0].trim().toLowerCase();
  if (mime === 'application/json' || mime === '') {
    if (count === 1) return [body.trim()];
    const doc = JSON.parse(body) as { predictions?: unknown[] };
    if (Array.isArray(doc?.predictions) && doc.predictions.length === count) return doc.predictions.map((p) => JSON.stringify(p));
  }
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.trim() !== '');
  if (lines.length !== count) {
    throw new DataProcessingError(`The model returned ${lines.length} output records for ${count} input records, so they cannot be joined`);
  }
  return lines;
}

/** JoinSource and OutputFilter for one record: the line written to the output. */
export function joinAndFilter(input: string, inputFormat: RecordFormat, output: string, outputFormat: RecordFormat, p: DataProcessing): string {
  const outputValue = outputFormat === 'csv' ? parseCsvRow(output) : parseRecord(output, 'json');
  let joined: unknown;
  let format: RecordFormat;
  if (p.joinSource === 'Input') {
    const inputValue = parseRecord(input, inputFormat);
    if (inputFormat === 'csv') {
      format = 'csv';
      joined = [...(inputValue as string[]), ...(Array.isArray(outputValue) ? outputValue : [outputValue])];
    } else {
      format = 'json';
      const isObject = inputValue !== null && typeof inputValue === 'object' && !Array.isArray(inputValue);
      joined = isObject ? { ...(inputValue as object), SageMakerOutput: outputValue } : { SageMakerInput: inputValue, SageMakerOutput: outputValue };
    }
  } else {
    format = outputFormat;
    joined = outputValue;
  }
  return formatRecord(selectPath(joined, p.outputFilter), format);
}
