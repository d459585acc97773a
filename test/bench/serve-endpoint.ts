/**
 * Starts bench:invoke's emulator with its trained, deployed `bench-invoke` endpoint and keeps it
 * running until SIGINT/SIGTERM, printing `endpoint: <url>`: for profiling the invoke path by hand
 * (strace, perf, --cpu-prof) with any load generator. BENCH_CPU_PROFILE=<dir> as in bench:invoke;
 * BENCH_NODE_ARGS adds node options to the emulator's process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeEndpointCommand, waitUntilEndpointInService } from '@aws-sdk/client-sagemaker';
import { clients, LINEAR_LEARNER_IMAGE } from '../helpers/clients.js';
import { removeDir } from '../helpers/emulator-process.js';
import { deploy, trainBinaryOnSeparableData } from '../helpers/pipeline.js';

const HERE = import.meta.dirname;
// BENCH_DATA_DIR keeps the state between runs: a second start serves the endpoint it already has.
const keep = process.env.BENCH_DATA_DIR;
const dataDir = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'localsage-bench-'));
const profile = [
  ...(process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROFILE)}`] : []),
  // e.g. --perf-basic-prof, for `perf record` to name JIT-compiled functions.
  ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
];
const proc = spawn(process.execPath, [...profile, join(HERE, 'invoke-server.mjs'), dataDir], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
const url = await new Promise<string>((ok) => {
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) ok(m[1]);
  });
});
const c = clients(url);
const existing = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'bench-invoke' })).catch(() => undefined);
if (!existing) {
  const { job } = await trainBinaryOnSeparableData(c, { bucket: 'bench', name: 'bench-invoke', rows: 2000, features: 8, seed: 1, hyperParameters: { epochs: '3' } });
  await deploy(c.sagemaker, 'bench-invoke', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
} else await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120 }, { EndpointName: 'bench-invoke' });
console.log(`endpoint: ${url}/endpoints/bench-invoke/invocations pid ${proc.pid}`);
const stop = () => {
  proc.once('exit', () => {
    if (!keep) removeDir(dataDir);
    process.exit(0);
  });
  process.kill(-proc.pid!, 'SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
