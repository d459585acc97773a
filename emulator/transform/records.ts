import { RECORDIO_MAGIC } from '../../algorithms/recordio.js';

export type SplitType = 'None' | 'Line' | 'RecordIO';

/** One record (or a whole SplitType None object) is larger than MaxPayloadInMB. */
export class PayloadTooLargeError extends Error {
  constructor(limit: number) {
    super(`Too much data for max payload size (${limit} bytes). Increase MaxPayloadInMB or split the input into smaller records.`);
  }
}

export class RecordFormatError extends Error {}

/**
 * Cuts an object's byte stream into records as batch transform's SplitType says, holding at
 * most one unfinished record and one chunk: a large object streams through in constant memory.
 * Line records come without their newline (blank lines carry no record); RecordIO records are
 * whole frames, header included, so that a batch is their concatenation.
 */
export async function* splitRecords(body: AsyncIterable<Buffer>, split: SplitType, maxBytes: number): AsyncGenerator<Buffer> {
  if (split === 'Line') yield* splitLines(body, maxBytes);
  else if (split === 'RecordIO') yield* splitRecordIO(body, maxBytes);
  else {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of body) {
      size += c.length;
      if (size > maxBytes) throw new PayloadTooLargeError(maxBytes);
      chunks.push(c);
    }
    if (size > 0) yield Buffer.concat(chunks, size);
  }
}

async function* splitLines(body: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let carry: Buffer | undefined;
  const isRecord = (line: Buffer) => line.some((b) => b !== 0x20 && b !== 0x09 && b !== 0x0d);
  const trimmed = (line: Buffer) => {
    const record = line.length && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
    if (record.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
    return record;
  };
  for await (const chunk of body) {
    let start = 0;
    let nl = chunk.indexOf(0x0a);
    while (nl >= 0) {
      // Views into the chunk, not copies: batchRecords packs them into one request buffer.
      const line = carry ? Buffer.concat([carry, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
      carry = undefined;
      if (isRecord(line)) yield trimmed(line);
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) {
      carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
      if (carry.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
    }
  }
  if (carry && isRecord(carry)) yield trimmed(carry);
}

async function* splitRecordIO(body: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let buf: Buffer = Buffer.alloc(0);
  let record: Buffer[] = [];
  let recordSize = 0;
  for await (const chunk of body) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let pos = 0;
    while (buf.length - pos >= 8) {
      if (buf.readUInt32LE(pos) !== RECORDIO_MAGIC) throw new RecordFormatError(`invalid RecordIO magic number in the input`);
      const lrec = buf.readUInt32LE(pos + 4);
      const cflag = lrec >>> 29;
      const frame = 8 + (((lrec & ((1 << 29) - 1)) + 3) & ~3);
      if (recordSize + frame > maxBytes) throw new PayloadTooLargeError(maxBytes);
      if (buf.length - pos < frame) break;
      record.push(Buffer.from(buf.subarray(pos, pos + frame)));
      recordSize += frame;
      pos += frame;
      // A multi-part record (cflag 1, 2..., 3) is one record.
      if (cflag === 0 || cflag === 3) {
        yield record.length === 1 ? record[0] : Buffer.concat(record);
        record = [];
        recordSize = 0;
      }
    }
    buf = buf.subarray(pos);
  }
  if (buf.length || record.length) throw new RecordFormatError('the input ends inside a RecordIO record');
}

/**
 * Groups records into requests: one per record (SingleRecord) or as many as fit in
 * MaxPayloadInMB (MultiRecord). Each request is one buffer, as the container receives it: Line
 * records each followed by a newline, RecordIO frames back to back, a None object whole.
 */
export async function* batchRecords(records: AsyncIterable<Buffer>, strategy: 'SingleRecord' | 'MultiRecord', split: SplitType, maxBytes: number): AsyncGenerator<Buffer> {
  const sep = split === 'Line' ? 1 : 0;
  let batch: Buffer[] = [];
  let size = 0;
  const pack = () => Buffer.concat(sep ? batch.flatMap((r) => [r, NEWLINE]) : batch, size);
  for await (const r of records) {
    if (batch.length && (strategy === 'SingleRecord' || split === 'None' || size + r.length + sep > maxBytes)) {
      yield pack();
      batch = [];
      size = 0;
    }
    batch.push(r);
    size += r.length + sep;
  }
  if (batch.length) yield pack();
}

const NEWLINE = Buffer.from('\n');
