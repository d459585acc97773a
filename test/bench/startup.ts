/**
 * bench:startup — cold start to the first answer: from spawning `localsage serve` to the first
 * successful HTTP response (a SageMaker ListEndpoints call, which loads the SageMaker model), as
 * a test or CI job pays it for every emulator it launches. Compares the ahead-of-time build
 * (`node emulator/bin.mjs serve`, what `npm start` runs) with tsx transpiling the same sources
 * (`LOCALSAGE_TSX=1`), alternating the two, and prints medians and their ratio.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureBuilt } from '../../emulator/build.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

function listEndpoints(url: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(`${url}/`, { method: 'POST', headers: { 'X-Amz-Target': 'SageMaker.ListEndpoints', 'Content-Type': 'application/x-amz-json-1.1' } }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end('{}');
  });
}

/** Milliseconds from spawn to the first 200 answer. */
async function coldStart(env: Record<string, string>): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'localsage-startup-'));
  const t0 = performance.now();
  const proc = spawn(process.execPath, [join(ROOT, 'emulator/bin.mjs'), 'serve', '--port', '0', '--data-dir', dataDir, '--quiet'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  try {
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      proc.stdout!.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) ok(m[1]);
      });
      proc.once('exit', (code) => fail(new Error(`emulator exited with ${code}`)));
    });
    const status = await listEndpoints(url);
    if (status !== 200) throw new Error(`ListEndpoints answered ${status}`);
    return performance.now() - t0;
  } finally {
    const exited = new Promise((ok) => proc.once('exit', ok));
    process.kill(-proc.pid!, 'SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await ensureBuilt(); // the first start after an edit builds; the benchmark measures the steady case
const built: number[] = [];
const tsx: number[] = [];
await coldStart({}); // warm the OS file cache for both paths
await coldStart({ LOCALSAGE_TSX: '1' });
for (let i = 0; i < RUNS; i++) {
  built.push(await coldStart({}));
  tsx.push(await coldStart({ LOCALSAGE_TSX: '1' }));
}
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
console.log(`cold start, spawn -> first ListEndpoints answer, ${RUNS} runs each, alternating`);
console.log(`built (node emulator/bin.mjs): ${fmt(built)}`);
console.log(`tsx (same sources)           : ${fmt(tsx)}`);
console.log(`ratio (built / tsx): ${(median(built) / median(tsx)).toFixed(3)}  (goal: built under 500 ms)`);
