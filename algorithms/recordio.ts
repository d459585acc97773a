/** dmlc RecordIO framing around `aialgs.data.Record` payloads (section 3.2). */
import { decodeRecord, encodeRecord, type ProtobufRecord, type RecordValue, type Tensor } from './protobuf-record.js';

export const RECORDIO_MAGIC = 0xced7230a;
const MAGIC_BYTES = new Uint8Array([0x0a, 0x23, 0xd7, 0xce]);

export class RecordIOError extends Error {}

/** Frames payloads like the Python SDK does: one whole record per frame (cflag 0), padded to 4 bytes. */
export function frameRecords(payloads: Uint8Array[]): Buffer {
  let total = 0;
  for (const p of payloads) total += 8 + ((p.length + 3) & ~3);
  const out = Buffer.alloc(total);
  let pos = 0;
  for (const p of payloads) {
    if (p.length >= 1 << 29) throw new RecordIOError('record too large for RecordIO framing');
    out.writeUInt32LE(RECORDIO_MAGIC, pos);
    out.writeUInt32LE(p.length, pos + 4);
    out.set(p, pos + 8);
    pos += 8 + ((p.length + 3) & ~3);
  }
  return out;
}

/**
 * Splits a RecordIO stream into record payloads, rejoining multi-part records (cflag 1/2/3) the
 * way dmlc's reader does: parts are concatenated with the magic word put back between them.
 */
export function readFrames(buf: Uint8Array): Uint8Array[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let pending: Uint8Array[] | undefined;
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 8 > buf.length) throw new RecordIOError(`truncated RecordIO header at byte ${pos}`);
    const magic = dv.getUint32(pos, true);
    if (magic !== RECORDIO_MAGIC) throw new RecordIOError(`invalid RecordIO magic at byte ${pos}`);
    const lrec = dv.getUint32(pos + 4, true);
    const cflag = lrec >>> 29;
    const len = lrec & ((1 << 29) - 1);
    const start = pos + 8;
    if (start + len > buf.length) throw new RecordIOError(`truncated RecordIO record at byte ${pos}`);
    const part = buf.subarray(start, start + len);
    pos = start + ((len + 3) & ~3);
    if (cflag === 0) {
      if (pending) throw new RecordIOError('RecordIO record started before the previous multi-part record ended');
      out.push(part);
    } else if (cflag === 1) {
      if (pending) throw new RecordIOError('RecordIO record started before the previous multi-part record ended');
      pending = [part];
    } else if (cflag === 2 || cflag === 3) {
      if (!pending) throw new RecordIOError(`RecordIO continuation part (cflag ${cflag}) without a first part`);
      pending.push(MAGIC_BYTES, part);
      if (cflag === 3) {
        out.push(Buffer.concat(pending));
        pending = undefined;
      }
    } else {
      throw new RecordIOError(`invalid RecordIO cflag ${cflag}`);
    }
  }
  if (pending) throw new RecordIOError('RecordIO stream ended inside a multi-part record');
  return out;
}

/** Convenience row shape: a dense vector or a sparse {keys, values, shape}, plus optional label. */
export interface RowInput {
  features: Float32Array | number[] | { keys: number[]; values: ArrayLike<number>; shape: number[] };
  /** A number becomes `label["values"]`; a map gives named float32 label tensors. */
  label?: number | Record<string, ArrayLike<number>>;
}

export type RecordInput = ProtobufRecord | RowInput;

function isRowInput(r: RecordInput): r is RowInput {
  const f = r.features as unknown;
  if (Array.isArray(f) || ArrayBuffer.isView(f)) return true;
  const o = f as { keys?: unknown; values?: unknown };
  return (Array.isArray(o.keys) || ArrayBuffer.isView(o.keys)) && (Array.isArray(o.values) || ArrayBuffer.isView(o.values));
}

function float32(values: ArrayLike<number>): Tensor {
  return { dtype: 'float32', values: values instanceof Float32Array ? values : Float32Array.from(values) };
}

export function rowToRecord(row: RowInput): ProtobufRecord {
  const f = row.features;
  let featureTensor: Tensor;
  if (Array.isArray(f) || f instanceof Float32Array) featureTensor = float32(f);
  else featureTensor = { ...float32(f.values), keys: [...f.keys], shape: [...f.shape] };
  const label: Record<string, RecordValue> = {};
  if (typeof row.label === 'number') label.values = float32([row.label]);
  else if (row.label) for (const [k, v] of Object.entries(row.label)) label[k] = float32(v);
  return { features: { values: featureTensor }, label };
}

/** Encodes records (full protobuf records or convenience rows) into a RecordIO byte stream. */
export function writeRecordIO(records: RecordInput[]): Buffer {
  return frameRecords(records.map((r) => encodeRecord(isRowInput(r) ? rowToRecord(r) : r)));
}

/** Decodes a RecordIO-protobuf byte stream into records. */
export function readRecordIO(buf: Uint8Array): ProtobufRecord[] {
  return readFrames(buf).map(decodeRecord);
}
