/**
 * MXNet's NDArray list file (`mx.nd.save` / `mx.nd.load`, the `.params` of a checkpoint), the
 * format SageMaker's MXNet-based built-in algorithms write into model_algo-1.
 *
 * Layout, little-endian throughout (MXNet's src/ndarray/ndarray.cc, NDArray::Save and the list
 * writer behind MXNDArraySave):
 *   uint64 0x112 (list magic), uint64 0 (reserved)
 *   uint64 count, then each array:
 *     uint32 magic: 0xF993FAC9 (V2) or 0xF993FACA (V3, NumPy shape semantics); 0xF993FAC8 (V1)
 *     int32 storage type (V2/V3 only; 0 = dense)
 *     shape: uint32 ndim, then ndim x int64 dims
 *     int32 dev_type, int32 dev_id (the context; 1 = cpu)
 *     int32 type flag (0 float32, 1 float64, 2 float16, 3 uint8, 4 int32, 5 int8, 6 int64)
 *     the data, row-major
 *   uint64 count of names, then each: uint64 length + UTF-8 bytes ("arg:fc0_weight", ...)
 */

const LIST_MAGIC = 0x112n;
const V1 = 0xf993fac8;
const V2 = 0xf993fac9;
const V3 = 0xf993faca;
const DTYPES: Record<number, { name: string; size: number }> = {
  0: { name: 'float32', size: 4 },
  1: { name: 'float64', size: 8 },
  2: { name: 'float16', size: 2 },
  3: { name: 'uint8', size: 1 },
  4: { name: 'int32', size: 4 },
  5: { name: 'int8', size: 1 },
  6: { name: 'int64', size: 8 },
};

export interface NDArray {
  shape: number[];
  data: Float32Array;
}

export class NDArrayFormatError extends Error {}

/** True when `buf` starts like an NDArray list file. */
export function isNDArrayList(buf: Buffer): boolean {
  return buf.length >= 16 && buf.readBigUInt64LE(0) === LIST_MAGIC && buf.readBigUInt64LE(8) === 0n;
}

export function encodeNDArrayList(arrays: NDArray[], names: string[] = []): Buffer {
  const parts: Buffer[] = [];
  const u64 = (v: number | bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return b;
  };
  parts.push(u64(LIST_MAGIC), u64(0), u64(arrays.length));
  for (const a of arrays) {
    const size = a.shape.reduce((s, d) => s * d, 1);
    if (size !== a.data.length) throw new NDArrayFormatError(`array of shape [${a.shape}] holds ${a.data.length} values`);
    const head = Buffer.alloc(4 + 4 + 4 + 8 * a.shape.length + 4 + 4 + 4);
    let o = head.writeUInt32LE(V2, 0);
    o = head.writeInt32LE(0, o); // dense
    o = head.writeUInt32LE(a.shape.length, o);
    for (const d of a.shape) o = head.writeBigInt64LE(BigInt(d), o);
    o = head.writeInt32LE(1, o); // cpu
    o = head.writeInt32LE(0, o); // device 0
    head.writeInt32LE(0, o); // float32
    parts.push(head, Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  }
  parts.push(u64(names.length));
  for (const n of names) {
    const b = Buffer.from(n, 'utf8');
    parts.push(u64(b.length), b);
  }
  return Buffer.concat(parts);
}

/** Reads a list file; every array comes back as float32 (MXNet's built-ins store float32). */
export function decodeNDArrayList(buf: Buffer, what = 'NDArray file'): { arrays: NDArray[]; names: string[] } {
  if (!isNDArrayList(buf)) throw new NDArrayFormatError(`${what} is not an MXNet NDArray list (its first 8 bytes are not 0x112)`);
  let o = 16;
  const need = (n: number, at: string) => {
    if (o + n > buf.length) throw new NDArrayFormatError(`${what} is truncated (${at})`);
  };
  const u64 = (at: string) => {
    need(8, at);
    const v = buf.readBigUInt64LE(o);
    o += 8;
    if (v > BigInt(buf.length)) throw new NDArrayFormatError(`${what} is corrupt (${at} = ${v})`);
    return Number(v);
  };
  const i32 = (at: string) => {
    need(4, at);
    const v = buf.readInt32LE(o);
    o += 4;
    return v;
  };
  const count = u64('array count');
  const arrays: NDArray[] = [];
  for (let i = 0; i < count; i++) {
    need(4, `array ${i} magic`);
    const magic = buf.readUInt32LE(o);
    if (magic !== V1 && magic !== V2 && magic !== V3) {
      throw new NDArrayFormatError(`${what}: array ${i} has an unknown header 0x${magic.toString(16)} (MXNet writes 0xf993fac8..0xf993faca)`);
    }
    o += 4;
    if (magic !== V1) {
      const stype = i32(`array ${i} storage type`);
      if (stype !== 0) throw new NDArrayFormatError(`${what}: array ${i} is sparse (storage type ${stype}); only dense arrays are supported`);
    }
    const ndim = i32(`array ${i} ndim`);
    if (ndim < 0 || ndim > 32) throw new NDArrayFormatError(`${what}: array ${i} has ${ndim} dimensions`);
    const shape: number[] = [];
    for (let d = 0; d < ndim; d++) {
      need(8, `array ${i} shape`);
      shape.push(Number(buf.readBigInt64LE(o)));
      o += 8;
    }
    if (ndim === 0) {
      arrays.push({ shape, data: new Float32Array(0) });
      continue;
    }
    i32(`array ${i} device type`);
    i32(`array ${i} device id`);
    const flag = i32(`array ${i} type`);
    const dtype = DTYPES[flag];
    if (!dtype) throw new NDArrayFormatError(`${what}: array ${i} has an unknown type flag ${flag}`);
    const size = shape.reduce((s, d) => s * d, 1);
    need(size * dtype.size, `array ${i} data`);
    const data = new Float32Array(size);
    for (let k = 0; k < size; k++) {
      const at = o + k * dtype.size;
      data[k] =
        flag === 0 ? buf.readFloatLE(at)
        : flag === 1 ? buf.readDoubleLE(at)
        : flag === 2 ? halfToFloat(buf.readUInt16LE(at))
        : flag === 3 ? buf.readUInt8(at)
        : flag === 4 ? buf.readInt32LE(at)
        : flag === 5 ? buf.readInt8(at)
        : Number(buf.readBigInt64LE(at));
    }
    o += size * dtype.size;
    arrays.push({ shape, data });
  }
  const names: string[] = [];
  if (o < buf.length) {
    const n = u64('name count');
    for (let i = 0; i < n; i++) {
      const len = u64(`name ${i} length`);
      need(len, `name ${i}`);
      names.push(buf.toString('utf8', o, o + len));
      o += len;
    }
  }
  if (names.length && names.length !== arrays.length) throw new NDArrayFormatError(`${what} names ${names.length} arrays but holds ${arrays.length}`);
  return { arrays, names };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
