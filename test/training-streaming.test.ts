/**
 * Streaming channel reads, data-parallel instances (real worker threads and the real all-reduce
 * hub), and artifacts from model format version 1.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, modelTensors, train, type ChannelFiles } from '../algorithms/index.js';
import { decodeModelFile } from '../algorithms/artifact.js';
import { ChannelStream, loadChannel } from '../algorithms/channel-data.js';
import { parseRangesInParallel, planRanges } from '../algorithms/parallel-parse.js';
import { AllReduceHub, startInstance } from '../emulator/training/instance-worker.js';
import { leastSquares, linearRegression, plantedClusters, toCsv } from './helpers/data.js';

const dir = mkdtempSync(join(tmpdir(), 'localsage-training-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(content: string | Buffer): string {
  const path = join(dir, `f${counter++}`);
  writeFileSync(path, content);
  return path;
}
const csv = (name: string, files: string[], compression: 'None' | 'Gzip' = 'None', contentType = 'text/csv'): ChannelFiles => ({ name, contentType, compression, files });

describe('streaming channel reader', () => {
  it('parses CSV across 4 MiB read chunks and gzip, exactly as Number() would', async () => {
    const rows = 60_000; // about 5 MiB of text: several read chunks, and lines split between them
    const lines: string[] = [];
    const expectX: number[] = [];
    for (let i = 0; i < rows; i++) {
      const cells = [i % 7, (i * 0.37).toFixed(3), -i / 8, `${(i % 13) * 1e-3}e2`, ` ${i} `, '123456789.0625', (i * 17) % 1000, 0.5];
      lines.push(cells.join(','));
      expectX.push(...cells.slice(1).map((c) => Math.fround(Number(String(c)))));
    }
    const text = lines.join('\r\n') + '\r\n\n';
    for (const [path, compression] of [[file(text), 'None'], [file(gzipSync(text)), 'Gzip']] as const) {
      const stream = new ChannelStream(csv('train', [path], compression), { defaultCsvLabelSize: 1, blockRows: 7000 });
      const x: number[] = [];
      const y: number[] = [];
      await stream.forEach((b) => {
        x.push(...b.x.subarray(0, b.n * b.d));
        y.push(...b.y.subarray(0, b.n));
      });
      expect(stream.d).toBe(7);
      expect(stream.rows).toBe(rows);
      expect(y).toEqual(Array.from({ length: rows }, (_, i) => i % 7));
      expect(x).toEqual(expectX);
    }
  });

  it('parses byte ranges on two threads into the same rows as one thread, with exact error lines', async () => {
    // Lines of varying length, blank lines and CRLF, cut into 97-byte ranges: ranges that start
    // mid-line, on a newline, and ranges in which no line starts (a line longer than a range).
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      lines.push(i % 50 === 7 ? '' : [i % 3, i * 0.25, i % 11 === 0 ? `${'0'.repeat(150)}${i}` : -i, (i * 7919) % 1000].join(','));
    }
    const a = file(lines.join('\r\n') + '\n');
    const b = file(lines.slice(0, 300).join('\n')); // no trailing newline
    const channel = csv('train', [a, b]);
    const one = await loadChannel(channel, { defaultCsvLabelSize: 1, blockRows: 64 });
    const ranges = planRanges([a, b], { minBytes: 0, rangeBytes: 97 })!;
    expect(ranges.length).toBeGreaterThan(100);
    const rows: number[] = [];
    const labels: number[] = [];
    for await (const blocks of parseRangesInParallel(ranges, { labelSize: 1, blockRows: 64, channel: 'train' }, 4 * 97)) {
      for (const blk of blocks) (rows.push(...blk.x.subarray(0, blk.n * blk.d)), labels.push(...blk.y.subarray(0, blk.n)));
    }
    expect(one.n).toBe(1960 + 294);
    expect(labels).toEqual([...one.y!]);
    expect(rows).toEqual([...one.x]);

    // A bad cell far into the file: the message names the same line as a one-thread parse.
    const bad = [...lines];
    bad[1733] = '1,2,x3,4';
    const c = file(bad.join('\n') + '\n');
    const oneThread = await loadChannel(csv('train', [c]), { defaultCsvLabelSize: 1 }).catch((e: Error) => e.message);
    expect(oneThread).toContain('line 1734 column 3');
    const twoThreads = await (async () => {
      for await (const _ of parseRangesInParallel(planRanges([c], { minBytes: 0, rangeBytes: 97 })!, { labelSize: 1, blockRows: 64, channel: 'train' }, 1 << 20)) void _;
    })().catch((e: Error) => e.message);
    expect(twoThreads).toBe(oneThread);
  });

  it('keeps blocks in memory only within the budget, and trains the same either way', async () => {
    const r = linearRegression(3000, 4, 21);
    const path = file(toCsv(r.x, r.y));
    const hp = { predictor_type: 'regressor', num_models: '4', epochs: '20', mini_batch_size: '100' };
    const run = async () => {
      const lines: string[] = [];
      const { model } = await train({ algorithm: 'linear-learner', hyperParameters: hp, channels: [csv('train', [path])], host: 'algo-1', hosts: ['algo-1'], log: (l) => lines.push(l) });
      return { lines, model };
    };
    const cached = await run();
    const before = process.env.LOCALSAGE_TRAIN_CACHE_MB;
    process.env.LOCALSAGE_TRAIN_CACHE_MB = '0';
    let streamed;
    try {
      streamed = await run();
    } finally {
      if (before === undefined) delete process.env.LOCALSAGE_TRAIN_CACHE_MB;
      else process.env.LOCALSAGE_TRAIN_CACHE_MB = before;
    }
    expect(cached.lines.some((l) => l.includes('streamed from disk'))).toBe(false);
    expect(streamed.lines.some((l) => l.includes('larger than the cache budget and is streamed from disk every epoch'))).toBe(true);
    // Same seed, same rows, same order: the streamed run computes the same model.
    expect(streamed.model.equals(cached.model)).toBe(true);
    const exact = leastSquares(r.x.map((row) => row.map((v) => Number(v.toFixed(6)))), r.y.map((v) => Number(v.toFixed(6))));
    const tensors = modelTensors(cached.model);
    exact.w.forEach((w, j) => expect(tensors.weights[j]).toBeCloseTo(w, 2));
    expect(tensors.bias[0]).toBeCloseTo(exact.b, 2);
  });
});

describe('data-parallel instances (worker threads + all-reduce hub)', () => {
  async function runHosts(algorithm: 'linear-learner' | 'kmeans', hyperParameters: Record<string, string>, shards: string[][]): Promise<{ models: Buffer[]; logs: string[][] }> {
    const hosts = shards.map((_, i) => `algo-${i + 1}`);
    const hub = new AllReduceHub(hosts.length);
    const logs: string[][] = hosts.map(() => []);
    const runs = hosts.map((host, i) =>
      startInstance({ algorithm, hyperParameters, channels: [csv('train', shards[i], 'None', algorithm === 'kmeans' ? 'text/csv;label_size=0' : 'text/csv')], host, hosts }, (l) => logs[i].push(l), hub),
    );
    return { models: await Promise.all(runs.map((r) => r.result)), logs };
  }

  it('linear-learner on two sharded hosts reaches the least-squares solution of all the data', async () => {
    const r = linearRegression(2000, 3, 33);
    const shards = [[file(toCsv(r.x.slice(0, 1000), r.y.slice(0, 1000)))], [file(toCsv(r.x.slice(1000), r.y.slice(1000)))]];
    const { models, logs } = await runHosts('linear-learner', { predictor_type: 'regressor', num_models: '4', epochs: '25', mini_batch_size: '50' }, shards);
    expect(logs[0].some((l) => l.includes('Data-parallel training on algo-1 of 2 hosts'))).toBe(true);
    expect(logs[0].some((l) => l.includes('(2000 across 2 hosts)'))).toBe(true);
    const exact = leastSquares(r.x.map((row) => row.map((v) => Number(v.toFixed(6)))), r.y.map((v) => Number(v.toFixed(6))));
    const tensors = modelTensors(models[0]);
    exact.w.forEach((w, j) => expect(tensors.weights[j]).toBeCloseTo(w, 2));
    expect(tensors.bias[0]).toBeCloseTo(exact.b, 2);
  });

  it('k-means on two sharded hosts recovers the planted clusters', async () => {
    const k = 4;
    const p = plantedClusters(800, 3, k, 44);
    const shards = [[file(toCsv(p.x.slice(0, 400)))], [file(toCsv(p.x.slice(400)))]];
    const { models } = await runHosts('kmeans', { k: String(k), feature_dim: '3', mini_batch_size: '100' }, shards);
    const tensors = modelTensors(models[0]);
    // Every planted centre has a learned centroid within 1.0 (points scatter with sd 0.5).
    for (const c of p.centers) {
      let best = Infinity;
      for (let j = 0; j < k; j++) best = Math.min(best, Math.hypot(...c.map((v, f) => v - tensors.centroids[j * 3 + f])));
      expect(best).toBeLessThan(1);
    }
  });

  it('a failing host fails the others instead of leaving them waiting', async () => {
    const good = file(toCsv([[1, 2], [3, 4], [5, 6]], [1, 2, 3]));
    const bad = file('1,2,x\n');
    const hub = new AllReduceHub(2);
    const hosts = ['algo-1', 'algo-2'];
    const hp = { predictor_type: 'regressor', feature_dim: '2' };
    const a = startInstance({ algorithm: 'linear-learner', hyperParameters: hp, channels: [csv('train', [good])], host: 'algo-1', hosts }, () => {}, hub);
    const b = startInstance({ algorithm: 'linear-learner', hyperParameters: hp, channels: [csv('train', [bad])], host: 'algo-2', hosts }, () => {}, hub);
    await expect(b.result).rejects.toThrow(/could not convert 'x'/);
    await expect(a.result).rejects.toThrow(/Data-parallel training aborted/);
  });
});

describe('model format version 1 artifacts (committed fixtures)', () => {
  it('linear-learner v1 still loads and predicts x·w + b', () => {
    const bytes = readFileSync(new URL('./fixtures/model_algo-1.linear-learner.v1', import.meta.url));
    const { header, tensors } = decodeModelFile(bytes);
    expect(header.format_version).toBe(1);
    const x = [[1, 2, 3], [-0.5, 0, 4]];
    const out = JSON.parse(loadModel(bytes).predict(Buffer.from(x.map((r) => r.join(',')).join('\n')), 'text/csv', 'application/json').body.toString());
    x.forEach((row, i) => {
      const expected = row.reduce((s, v, j) => s + v * tensors.weights[j], tensors.bias[0]);
      expect(out.predictions[i].score).toBeCloseTo(expected, 4);
    });
  });

  it('k-means v1 still loads and assigns the nearest stored centroid', () => {
    const bytes = readFileSync(new URL('./fixtures/model_algo-1.kmeans.v1', import.meta.url));
    const { header, tensors } = decodeModelFile(bytes);
    expect(header.format_version).toBe(1);
    const c = tensors.centroids;
    const probe = [c[3] + 0.1, c[4] - 0.1, c[5]];
    const out = JSON.parse(loadModel(bytes).predict(Buffer.from(probe.join(',')), 'text/csv', 'application/json').body.toString());
    const d = [0, 1, 2].map((j) => Math.hypot(...probe.map((v, f) => v - c[j * 3 + f])));
    expect(out.predictions[0].closest_cluster).toBe(d.indexOf(Math.min(...d)));
    expect(out.predictions[0].distance_to_cluster).toBeCloseTo(Math.min(...d), 4);
  });
});
