// @ts-check
/**
 * The byte-level CSV parser and the block builder, in plain JavaScript (typed by csv-core.d.mts)
 * so that the helper thread of parallel-parse.ts can load it without the TypeScript loader: a
 * worker that registers tsx takes a few hundred milliseconds to start, one that loads this file
 * a few tens. channel-data.ts uses the same code on the calling thread.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';

/** @typedef {import('./csv-core.mjs').Block} Block */
/** @typedef {(message: string) => Error} ErrorFactory */

/** Accumulates rows into fixed-size blocks. */
export class BlockBuilder {
  /**
   * @param {number} blockRows
   * @param {string} channel
   * @param {number | undefined} featureDim
   * @param {ErrorFactory} makeError
   */
  constructor(blockRows, channel, featureDim, makeError) {
    this.blockRows = blockRows;
    this.channel = channel;
    this.makeError = makeError;
    this.d = featureDim !== undefined ? featureDim : -1;
    /** @type {Float32Array | undefined} */
    this.x = undefined;
    this.y = new Float32Array(blockRows);
    this.n = 0;
    this.cap = 0;
    this.sparse = false;
    /** @type {Block[]} */
    this.done = [];
  }

  /** @param {number} got @param {string} where */
  setDim(got, where) {
    if (this.d < 0) this.d = got;
    else if (this.d !== got) {
      throw this.makeError(`Channel '${this.channel}': ${where} has ${got} features, but ${this.d} were expected (feature_dim or earlier rows)`);
    }
  }

  /** The current block's row-major buffer; the caller fills the zeroed row at `offset`, then calls `commit`. */
  row() {
    if (!this.x) {
      // Wide (e.g. sparse, high-dimensional) data gets fewer rows per block: at most 32 MiB each.
      this.cap = Math.max(1, Math.min(this.blockRows, Math.floor(8_388_608 / this.d)));
      this.x = new Float32Array(this.cap * this.d);
    }
    return this.x;
  }

  get offset() {
    return this.n * this.d;
  }

  /** @param {number} label @param {boolean} sparse */
  commit(label, sparse) {
    this.y[this.n++] = label;
    if (sparse) this.sparse = true;
    if (this.n === this.cap) this.flush();
  }

  flush() {
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
export class CsvParser {
  /**
   * @param {BlockBuilder} out
   * @param {number} labelSize
   * @param {string} file
   * @param {string} channel
   * @param {ErrorFactory} makeError
   * @param {number} [line] lines before the first one pushed (for a parser that begins mid-file)
   */
  constructor(out, labelSize, file, channel, makeError, line = 0) {
    this.out = out;
    this.labelSize = labelSize;
    this.file = file;
    this.channel = channel;
    this.makeError = makeError;
    this.line = line;
    /** @type {Uint8Array | undefined} */
    this.carry = undefined;
    this.scratch = new Float64Array(256);
  }

  /** True when the bytes pushed so far end inside a line. */
  get pending() {
    return this.carry !== undefined;
  }

  /** @param {Uint8Array} chunk @param {boolean} last */
  push(chunk, last) {
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

  /** @param {Uint8Array} b @param {number} s @param {number} e @param {number} col @returns {never} */
  fail(b, s, e, col) {
    const text = Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8');
    throw this.makeError(`Channel '${this.channel}': could not convert '${text}' to a number in ${this.file} line ${this.line} column ${col + 1}`);
  }

  /** @param {Uint8Array} b @param {number} s @param {number} e */
  parseLine(b, s, e) {
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
      let v;
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
      throw this.makeError(`Channel '${this.channel}': ${this.file} line ${this.line} has ${col} columns, not enough for label_size=${this.labelSize} plus features`);
    }
    const out = this.out;
    out.setDim(features, `${this.file} line ${this.line}`);
    const x = out.row();
    const o = out.offset;
    for (let k = 0; k < features; k++) x[o + k] = row[this.labelSize + k];
    out.commit(this.labelSize > 0 ? row[0] : NaN, false);
  }
}

/**
 * @param {import('node:fs/promises').FileHandle} fh
 * @param {Buffer} buf
 * @param {number} pos
 */
async function readFully(fh, buf, pos) {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/**
 * Parses the lines of an uncompressed CSV file that start within bytes [start, end): a line that
 * begins before `start` belongs to the previous range, one that begins in the range is read to
 * its end even past `end`. Ranges that tile a file thus parse every line exactly once, so several
 * threads can parse one file side by side.
 * @param {string} path
 * @param {number} start
 * @param {number} end
 * @param {import('./csv-core.mjs').CsvRangeOptions} opts
 * @param {ErrorFactory} makeError
 * @returns {Promise<import('./csv-core.mjs').RangeResult>}
 */
export async function parseCsvRange(path, start, end, opts, makeError) {
  const fh = await open(path, 'r');
  try {
    let pos = start;
    if (start > 0) {
      // Skip the tail of the line that began before the range.
      pos = start - 1;
      for (;;) {
        const buf = Buffer.allocUnsafe(1 << 16);
        const got = await readFully(fh, buf, pos);
        if (got === 0) return { blocks: [], lines: 0, d: -1 };
        const nl = buf.subarray(0, got).indexOf(10);
        if (nl >= 0) {
          pos += nl + 1;
          break;
        }
        pos += got;
      }
    }
    if (pos >= end) return { blocks: [], lines: 0, d: -1 };
    const builder = new BlockBuilder(opts.blockRows, opts.channel, opts.featureDim, makeError);
    const parser = new CsvParser(builder, opts.labelSize, basename(path), opts.channel, makeError, opts.lineOffset ?? 0);
    const first = parser.line;
    const body = Buffer.allocUnsafe(end - pos);
    const got = await readFully(fh, body, pos);
    parser.push(body.subarray(0, got), false);
    // The range's last line may run past `end`: read on to its newline.
    for (let p = pos + got; got === body.length && parser.pending; ) {
      const buf = Buffer.allocUnsafe(1 << 16);
      const n = await readFully(fh, buf, p);
      if (n === 0) break;
      const nl = buf.subarray(0, n).indexOf(10);
      parser.push(buf.subarray(0, nl >= 0 ? nl + 1 : n), false);
      if (nl >= 0) break;
      p += n;
    }
    parser.push(new Uint8Array(0), true);
    builder.flush();
    return { blocks: builder.done, lines: parser.line - first, d: builder.d };
  } finally {
    await fh.close();
  }
}
