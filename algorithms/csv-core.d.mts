/** Types of csv-core.mjs (plain JavaScript so that a worker thread can load it without tsx). */

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

export type ErrorFactory = (message: string) => Error;

export declare class BlockBuilder {
  d: number;
  readonly done: Block[];
  constructor(blockRows: number, channel: string, featureDim: number | undefined, makeError: ErrorFactory);
  setDim(got: number, where: string): void;
  /** The current block's row-major buffer; the caller fills the zeroed row at `offset`, then calls `commit`. */
  row(): Float32Array;
  readonly offset: number;
  commit(label: number, sparse: boolean): void;
  flush(): void;
}

export declare class CsvParser {
  line: number;
  readonly pending: boolean;
  constructor(out: BlockBuilder, labelSize: number, file: string, channel: string, makeError: ErrorFactory, line?: number);
  push(chunk: Uint8Array, last: boolean): void;
}

/** What parsing one byte range of a CSV file gave. */
export interface RangeResult {
  blocks: Block[];
  /** Lines that start in the range (blank ones included), for line numbers in later ranges. */
  lines: number;
  /** Features per row (-1 when the range holds no row). */
  d: number;
}

export interface CsvRangeOptions {
  labelSize: number;
  featureDim?: number;
  blockRows: number;
  channel: string;
  /** Lines of the file before this range (only for exact line numbers in error messages). */
  lineOffset?: number;
}

export declare function parseCsvRange(path: string, start: number, end: number, opts: CsvRangeOptions, makeError: ErrorFactory): Promise<RangeResult>;
