/**
 * Hand-written codec for the `aialgs.data.Record` protobuf (proto2, packed repeated numerics).
 * Hand-written rather than protobufjs so the bytes match the Python SDK exactly and the hot
 * inference path avoids reflection.
 */

export type TensorDType = 'float32' | 'float64' | 'int32';

export interface Tensor {
  dtype: TensorDType;
  values: Float32Array | Float64Array | Int32Array;
  /** Non-empty => sparse, and `shape` is required. */
  keys?: number[];
  shape?: number[];
}

export interface BytesValue {
  dtype: 'bytes';
  values: Uint8Array[];
  contentType?: string;
}

export type RecordValue = Tensor | BytesValue;

export interface ProtobufRecord {
  features: Record<string, RecordValue>;
  label: Record<string, RecordValue>;
  uid?: string;
  metadata?: string;
  configuration?: string;
}

// Field numbers from the schema (section 3.1).
const VALUE_FIELD: Record<RecordValue['dtype'], number> = { float32: 2, float64: 3, int32: 7, bytes: 9 };

class Writer {
  private buf = new Uint8Array(256);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    // Values here are non-negative and < 2^53, except int32 values which are sign-extended to 64 bits.
    if (v < 0) {
      let lo = v >>> 0;
      let hi = Math.floor(v / 4294967296) >>> 0;
      for (let i = 0; i < 9; i++) {
        this.buf[this.pos++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi = hi >>> 7;
      }
      this.buf[this.pos++] = 1;
      return;
    }
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'));
  }

  /** Length-delimited sub-message written by `fn` into a fresh writer. */
  message(field: number, fn: (w: Writer) => void): void {
    const sub = new Writer();
    fn(sub);
    this.tag(field, 2);
    this.bytes(sub.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

function writeTensor(w: Writer, t: Tensor): void {
  const n = t.values.length;
  if (n > 0) {
    if (t.dtype === 'int32') {
      const sub = new Writer();
      for (let i = 0; i < n; i++) sub.varint(t.values[i]);
      w.tag(1, 2);
      w.bytes(sub.finish());
    } else {
      const width = t.dtype === 'float32' ? 4 : 8;
      const raw = new Uint8Array(n * width);
      const dv = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) {
        if (width === 4) dv.setFloat32(i * 4, t.values[i], true);
        else dv.setFloat64(i * 8, t.values[i], true);
      }
      w.tag(1, 2);
      w.bytes(raw);
    }
  }
  for (const [field, arr] of [[2, t.keys], [3, t.shape]] as const) {
    if (!arr || arr.length === 0) continue;
    const sub = new Writer();
    for (const k of arr) sub.varint(k);
    w.tag(field, 2);
    w.bytes(sub.finish());
  }
}

function writeValue(w: Writer, v: RecordValue): void {
  w.message(VALUE_FIELD[v.dtype], (inner) => {
    if (v.dtype === 'bytes') {
      for (const b of v.values) {
        inner.tag(1, 2);
        inner.bytes(b);
      }
      if (v.contentType !== undefined) {
        inner.tag(2, 2);
        inner.string(v.contentType);
      }
    } else {
      writeTensor(inner, v);
    }
  });
}

export function encodeRecord(rec: ProtobufRecord): Uint8Array {
  const w = new Writer();
  for (const [field, map] of [[1, rec.features], [2, rec.label]] as const) {
    for (const [key, value] of Object.entries(map ?? {})) {
      w.message(field, (entry) => {
        entry.tag(1, 2);
        entry.string(key);
        entry.message(2, (v) => writeValue(v, value));
      });
    }
  }
  if (rec.uid !== undefined) (w.tag(3, 2), w.string(rec.uid));
  if (rec.metadata !== undefined) (w.tag(4, 2), w.string(rec.metadata));
  if (rec.configuration !== undefined) (w.tag(5, 2), w.string(rec.configuration));
  return w.finish();
}

// ---------------------------------------------------------------- decoding

export class ProtobufDecodeError extends Error {}

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let mult = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufDecodeError('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) return result;
      mult *= 128;
    }
    throw new ProtobufDecodeError('varint too long');
  }

  /** int32 fields are sign-extended to 64 bits on the wire; only the low 32 bits matter. */
  varintInt32(): number {
    let lo = 0;
    for (let i = 0, shift = 0; i < 10; i++, shift += 7) {
      if (this.pos >= this.end) throw new ProtobufDecodeError('truncated varint');
      const b = this.buf[this.pos++];
      if (shift < 32) lo |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return lo | 0;
    }
    throw new ProtobufDecodeError('varint too long');
  }

  /** Returns [start, end) of a length-delimited field. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new ProtobufDecodeError('truncated length-delimited field');
    this.pos += len;
    return [start, start + len];
  }

  skip(wire: number): void {
    switch (wire) {
      case 0: this.varint(); break;
      case 1: this.pos += 8; break;
      case 2: this.span(); break;
      case 5: this.pos += 4; break;
      default: throw new ProtobufDecodeError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new ProtobufDecodeError('truncated field');
  }
}

function utf8(buf: Uint8Array, [s, e]: [number, number]): string {
  return Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('utf8');
}

function decodeTensor(buf: Uint8Array, start: number, end: number, dtype: TensorDType): Tensor {
  const r = new Reader(buf, start, end);
  const values: number[] = [];
  const keys: number[] = [];
  const shape: number[] = [];
  let packedFloats: Float32Array | Float64Array | undefined;
  const width = dtype === 'float32' ? 4 : 8;
  while (!r.done()) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) {
      const [s, e] = r.span();
      if (dtype === 'int32') {
        const sub = new Reader(buf, s, e);
        while (!sub.done()) values.push(sub.varintInt32());
      } else {
        if ((e - s) % width !== 0) throw new ProtobufDecodeError('packed float field has a bad length');
        const dv = new DataView(buf.buffer, buf.byteOffset + s, e - s);
        const n = (e - s) / width;
        const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = width === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
        if (packedFloats === undefined && values.length === 0) packedFloats = out;
        else {
          if (packedFloats) values.push(...packedFloats), (packedFloats = undefined);
          values.push(...out);
        }
      }
    } else if (field === 1 && ((dtype === 'float32' && wire === 5) || (dtype === 'float64' && wire === 1) || (dtype === 'int32' && wire === 0))) {
      // Unpacked repeated encoding, legal in proto2.
      if (packedFloats) values.push(...packedFloats), (packedFloats = undefined);
      if (dtype === 'int32') values.push(r.varintInt32());
      else {
        if (r.pos + width > r.end) throw new ProtobufDecodeError('truncated float');
        const dv = new DataView(buf.buffer, buf.byteOffset + r.pos, width);
        values.push(width === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true));
        r.pos += width;
      }
    } else if ((field === 2 || field === 3) && (wire === 2 || wire === 0)) {
      const target = field === 2 ? keys : shape;
      if (wire === 0) target.push(r.varint());
      else {
        const [s, e] = r.span();
        const sub = new Reader(buf, s, e);
        while (!sub.done()) target.push(sub.varint());
      }
    } else {
      r.skip(wire);
    }
  }
  let typed: Float32Array | Float64Array | Int32Array;
  if (packedFloats) typed = packedFloats;
  else if (dtype === 'float32') typed = Float32Array.from(values);
  else if (dtype === 'float64') typed = Float64Array.from(values);
  else typed = Int32Array.from(values);
  const t: Tensor = { dtype, values: typed };
  if (keys.length) t.keys = keys;
  if (shape.length) t.shape = shape;
  return t;
}

function decodeValue(buf: Uint8Array, start: number, end: number): RecordValue | undefined {
  const r = new Reader(buf, start, end);
  let out: RecordValue | undefined;
  while (!r.done()) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2) { r.skip(wire); continue; }
    const [s, e] = r.span();
    if (field === 2) out = decodeTensor(buf, s, e, 'float32');
    else if (field === 3) out = decodeTensor(buf, s, e, 'float64');
    else if (field === 7) out = decodeTensor(buf, s, e, 'int32');
    else if (field === 9) {
      const b: BytesValue = { dtype: 'bytes', values: [] };
      const sub = new Reader(buf, s, e);
      while (!sub.done()) {
        const t = sub.varint();
        if ((t & 7) !== 2) { sub.skip(t & 7); continue; }
        const sp = sub.span();
        if (t >>> 3 === 1) b.values.push(buf.slice(sp[0], sp[1]));
        else if (t >>> 3 === 2) b.contentType = utf8(buf, sp);
      }
      out = b;
    }
  }
  return out;
}

function decodeMapEntry(buf: Uint8Array, start: number, end: number, into: Record<string, RecordValue>): void {
  const r = new Reader(buf, start, end);
  let key = '';
  let value: RecordValue | undefined;
  while (!r.done()) {
    const tag = r.varint();
    const wire = tag & 7;
    if (wire !== 2) { r.skip(wire); continue; }
    const sp = r.span();
    if (tag >>> 3 === 1) key = utf8(buf, sp);
    else if (tag >>> 3 === 2) value = decodeValue(buf, sp[0], sp[1]);
  }
  if (value) into[key] = value;
}

export function decodeRecord(buf: Uint8Array): ProtobufRecord {
  const rec: ProtobufRecord = { features: {}, label: {} };
  const r = new Reader(buf);
  while (!r.done()) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2) { r.skip(wire); continue; }
    const sp = r.span();
    if (field === 1) decodeMapEntry(buf, sp[0], sp[1], rec.features);
    else if (field === 2) decodeMapEntry(buf, sp[0], sp[1], rec.label);
    else if (field === 3) rec.uid = utf8(buf, sp);
    else if (field === 4) rec.metadata = utf8(buf, sp);
    else if (field === 5) rec.configuration = utf8(buf, sp);
  }
  return rec;
}
