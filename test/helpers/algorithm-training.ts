/**
 * Training the built-in algorithms in-process on synthetic data, for the algorithm suites
 * (test/algorithms-training.test.ts, test/algorithms-inference.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';
import { loadModel, metricDefinitions, train, type ChannelFiles, type LoadedModel, type TrainRequest } from '../../algorithms/index.js';
import type { Rng } from '../../core/random.js';

/**
 * A scratch directory for channel files, made now (suites train while they are collected) and
 * removed after the file's tests.
 */
export function useChannelFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'localsage-algorithms-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let fileCounter = 0;
  function writeTmp(content: string | Buffer, gzip = false): string {
    const path = join(dir, `f${fileCounter++}${gzip ? '.gz' : ''}`);
    writeFileSync(path, gzip ? gzipSync(content) : content);
    return path;
  }
  const csvChannel = (name: string, rows: number[][], contentType = 'text/csv'): ChannelFiles =>
    ({ name, contentType, compression: 'None', files: [writeTmp(csv(rows))] });
  return { writeTmp, csvChannel };
}

export const csv = (rows: number[][]) => rows.map((r) => r.join(',')).join('\n') + '\n';

export interface Run { lines: string[]; model: LoadedModel; bytes: Buffer }
export async function run(algorithm: TrainRequest['algorithm'], hyperParameters: Record<string, string>, channels: ChannelFiles[], seed?: number): Promise<Run> {
  const lines: string[] = [];
  const { model } = await train({ algorithm, hyperParameters, channels, host: 'algo-1', hosts: ['algo-1'], log: (l) => lines.push(l), seed });
  return { lines, model: loadModel(model), bytes: model };
}
/** Extracts the last value of a metric from log lines with the service's own regex. */
export function metric(lines: string[], algorithm: TrainRequest['algorithm'], name: string): number | undefined {
  const def = metricDefinitions(algorithm).find((d) => d.Name === name);
  if (!def) throw new Error(`no metric definition ${name}`);
  const re = new RegExp(def.Regex);
  let value: number | undefined;
  for (const l of lines) {
    const m = re.exec(l);
    if (m) value = Number(m[1]);
  }
  return value;
}
export const json = (r: { body: Buffer | string }) => JSON.parse(String(r.body));

// ---------------------------------------------------------------- synthetic data

export function linearData(rng: Rng, n: number, w: number[], bias: number, kind: 'reg' | 'bin'): number[][] {
  return Array.from({ length: n }, () => {
    const x = w.map(() => rng.normal() * 2 + 0.5);
    const z = x.reduce((s, v, j) => s + v * w[j], bias);
    return [kind === 'reg' ? z : z > 0 ? 1 : 0, ...x];
  });
}

export function multiclassData(rng: Rng, n: number, means: number[][]): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const c = i % means.length;
    return [c, ...means[c].map((m) => m + rng.normal())];
  });
}
