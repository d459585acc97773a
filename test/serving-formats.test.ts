/**
 * The CSV request reader's numbers: plain decimals take a fast path that never builds a string;
 * every cell must still read as the float32 of what JavaScript's Number() gives, and anything
 * that is not a plain decimal must go through the general path (and its refusals).
 */
import { describe, expect, it } from 'vitest';
import { InferenceInputError } from '../algorithms/index.js';
import { parseCsvRequest } from '../algorithms/serving-formats.js';
import { Rng } from '../core/random.js';

const read = (cell: string) => parseCsvRequest(cell, 1).x[0];

describe('CSV cells', () => {
  it('plain decimals read as Math.fround(Number(cell)), signs, zeros and 15-digit mantissas included', () => {
    const fixed = ['0', '-0', '+1', '1.', '.5', '007', '0.1', '-0.000123', '123456789012345', '1234567890.12345', '0.30000000000000004', '9.999999999999999', '12345678901234567', '1e5', '-2.5E-3'];
    const rng = new Rng(11);
    const random: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const digits = 1 + Math.floor(rng.next() * 17);
      let s = '';
      for (let k = 0; k < digits; k++) s += Math.floor(rng.next() * 10);
      const dot = Math.floor(rng.next() * (digits + 1));
      random.push((rng.next() < 0.3 ? '-' : '') + s.slice(0, dot) + (rng.next() < 0.8 ? '.' : '') + s.slice(dot));
    }
    for (const cell of [...fixed, ...random]) expect(Object.is(read(cell), Math.fround(Number(cell))), cell).toBe(true);
  });

  it('what is not a decimal number is refused by the general path', () => {
    for (const cell of ['0x10', '0b1', '0o7', 'Infinity', '1e39', 'abc', '1.2.3', '--1', '']) {
      expect(() => read(cell), cell).toThrow(InferenceInputError);
    }
  });
});
