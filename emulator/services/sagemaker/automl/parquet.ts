import { DataError, type RawTable } from './data.js';

/**
 * Parquet input (ContentType x-application-vnd.amazon+parquet, as Autopilot takes it): each file's
 * flat columns, read with hyparquet, become the same string cells a CSV gives, so that column
 * typing and encoding are one code path. Every file must have the same columns.
 */
export const PARQUET_CONTENT_TYPE = 'x-application-vnd.amazon+parquet';

function cellOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number' && !Number.isFinite(v)) return '';
  if (typeof v === 'object') return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

export async function readParquetFiles(files: Buffer[]): Promise<RawTable> {
  // Loaded on first use: only Parquet AutoML jobs need it, and every emulator start would pay ~30 ms.
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  let header: string[] | undefined;
  const raw: string[][] = [];
  for (const [i, file] of files.entries()) {
    const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
    let columns: string[];
    let rows: Record<string, unknown>[];
    try {
      // The schema's leaves, in order: element 0 is the root.
      columns = parquetMetadata(buffer).schema.slice(1).filter((e) => !e.num_children).map((e) => e.name);
      rows = (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
    } catch (e) {
      throw new DataError(`Input file ${i + 1} is not a Parquet file localsage can read: ${(e as Error).message}`);
    }
    if (header && columns.join(',') !== header.join(',')) throw new DataError('The input files do not share one set of columns.');
    header = columns;
    for (const row of rows) raw.push(columns.map((c) => cellOf(row[c])));
  }
  return { header, raw };
}
