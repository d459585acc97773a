import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsvRequest, parseJsonRequest } from '../algorithms/serving-formats.js';
import { hideHostPaths } from '../emulator/services/host-paths.js';

describe('inference CSV reads decimal numbers only, as JSON and RecordIO do', () => {
  it('accepts what a decimal float parser accepts', () => {
    expect(Array.from(parseCsvRequest('1,-2.5,3e2, 4 ,.5,+6', 6).x)).toEqual([1, -2.5, 300, 4, 0.5, 6]);
  });

  it('refuses radix prefixes and values that are not finite in float32', () => {
    for (const cell of ['0x10', '0o7', '0b1', 'Infinity', '-Infinity', 'NaN', '1e309', '1e39', '', ' ']) {
      expect(() => parseCsvRequest(`1,${cell}`, 2), cell).toThrow(/could not convert/);
    }
  });

  it('JSON refuses the same overflow', () => {
    expect(() => parseJsonRequest('{"instances":[{"features":[1,1e39]}]}', 2)).toThrow(/array of numbers/);
  });
});

describe('error messages never show host paths', () => {
  it('shows a job’s work dir as /opt/ml and shortens other host paths', () => {
    const dataDir = join(tmpdir(), 'ls-data');
    const workDir = join(dataDir, 'training', '000000000000', 'us-east-1', 'job');
    const message = hideHostPaths(`ENOENT: no such file or directory, open '${workDir}/input/data/train/x.csv'; also ${dataDir}/s3/.tmp/put-1 and ${process.cwd()}/algorithms/x.ts`, dataDir, workDir);
    expect(message).toContain('/opt/ml/input/data/train/x.csv');
    expect(message).not.toContain(dataDir);
    expect(message).not.toContain(process.cwd());
    expect(message).toContain('put-1');
  });
});
