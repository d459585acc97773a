/**
 * The RecordIO-protobuf codec the built-in algorithms read and write, byte for byte against the
 * format's worked example.
 */
import { describe, expect, it } from 'vitest';
import { frameRecords, readRecordIO, writeRecordIO } from '../algorithms/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('RecordIO-protobuf codec', () => {
  // Section 3.2: dense features [1.5, 2.0], label 1.0 (44-byte payload, no padding).
  const worked =
    '0a23d7ce2c000000' +
    '0a160a0676616c756573120c120a0a080000c03f00000040' +
    '12120a0676616c75657312081206' + '0a040000803f';

  it('writes the worked example of section 3.2 byte for byte', () => {
    expect(hex(writeRecordIO([{ features: [1.5, 2.0], label: 1.0 }]))).toBe(worked);
    expect(hex(writeRecordIO([{ features: Float32Array.from([1.5, 2.0]), label: { values: [1] } }]))).toBe(worked);
  });

  it('reads the worked example back', () => {
    const [rec] = readRecordIO(Buffer.from(worked, 'hex'));
    expect(rec.features.values).toMatchObject({ dtype: 'float32' });
    expect(Array.from(rec.features.values.values as Float32Array)).toEqual([1.5, 2]);
    expect(Array.from(rec.label.values.values as Float32Array)).toEqual([1]);
  });

  it('round-trips dense, sparse, float64, int32, bytes and string fields', () => {
    const records = readRecordIO(writeRecordIO([
      { features: { keys: [3, 70000], values: [1, -2], shape: [100000] }, label: { values: [0], extra: [1, 2] } },
      {
        features: {
          a: { dtype: 'float64', values: Float64Array.from([Math.PI, -1e300]) },
          b: { dtype: 'int32', values: Int32Array.from([-5, 7, 2147483647, -2147483648]) },
          c: { dtype: 'bytes', values: [Uint8Array.from([1, 2, 3])], contentType: 'application/octet-stream' },
        },
        label: {},
        uid: 'row-1',
        metadata: '{"m":1}',
        configuration: 'cfg',
      },
    ]));
    expect(records).toHaveLength(2);
    const sparse = records[0].features.values;
    expect(sparse.dtype).toBe('float32');
    if (sparse.dtype === 'bytes') throw new Error('unreachable');
    expect(sparse.keys).toEqual([3, 70000]);
    expect(sparse.shape).toEqual([100000]);
    expect(Array.from(sparse.values)).toEqual([1, -2]);
    expect(Array.from(records[0].label.extra.values as Float32Array)).toEqual([1, 2]);
    const r1 = records[1];
    expect(Array.from(r1.features.a.values as Float64Array)).toEqual([Math.PI, -1e300]);
    expect(Array.from(r1.features.b.values as Int32Array)).toEqual([-5, 7, 2147483647, -2147483648]);
    expect(r1.features.c).toMatchObject({ dtype: 'bytes', contentType: 'application/octet-stream' });
    expect(Array.from((r1.features.c.values as Uint8Array[])[0])).toEqual([1, 2, 3]);
    expect([r1.uid, r1.metadata, r1.configuration]).toEqual(['row-1', '{"m":1}', 'cfg']);
  });

  it('pads payloads to 4 bytes', () => {
    const buf = writeRecordIO([{ features: [1] }, { features: [1, 2, 3] }]);
    expect(buf.length % 4).toBe(0);
    expect(readRecordIO(buf)).toHaveLength(2);
  });

  it('reassembles records split with continuation flags 1/2/3 (magic word restored)', () => {
    // A float whose bytes equal the magic word, as dmlc's writer would split on.
    const magicFloat = new DataView(Uint8Array.from([0x0a, 0x23, 0xd7, 0xce]).buffer).getFloat32(0, true);
    const whole = writeRecordIO([{ features: [1, magicFloat, 2, magicFloat, 3], label: 4 }]);
    const payload = whole.subarray(8, 8 + whole.readUInt32LE(4));
    const magic = Buffer.from([0x0a, 0x23, 0xd7, 0xce]);
    const first = payload.indexOf(magic);
    const second = payload.indexOf(magic, first + 4);
    expect(first).toBeGreaterThan(0);
    const parts = [payload.subarray(0, first), payload.subarray(first + 4, second), payload.subarray(second + 4)];
    const frames = parts.map((p, i) => {
      const header = Buffer.alloc(8);
      header.writeUInt32LE(0xced7230a, 0);
      header.writeUInt32LE((((i === 0 ? 1 : i === 1 ? 2 : 3) << 29) | p.length) >>> 0, 4);
      return Buffer.concat([header, p, Buffer.alloc((4 - (p.length % 4)) % 4)]);
    });
    const split = Buffer.concat([frames[0], frames[1], frames[2], writeRecordIO([{ features: [9] }])]);
    const records = readRecordIO(split);
    expect(records).toHaveLength(2);
    const values = Array.from(records[0].features.values.values as Float32Array);
    expect(values[0]).toBe(1);
    expect(values[4]).toBe(3);
    expect(Buffer.from(Float32Array.from(values).buffer).equals(Buffer.from(Float32Array.from([1, magicFloat, 2, magicFloat, 3]).buffer))).toBe(true);
  });

  it('rejects bad magic and truncated frames', () => {
    expect(() => readRecordIO(Buffer.from('00112233', 'hex'))).toThrow();
    const good = writeRecordIO([{ features: [1, 2] }]);
    expect(() => readRecordIO(good.subarray(0, good.length - 4))).toThrow(/truncated/);
    const bad = Buffer.from(good);
    bad[0] = 0;
    expect(() => readRecordIO(bad)).toThrow(/magic/);
    expect(frameRecords([]).length).toBe(0);
  });
});
