/**
 * bench:invoke — InvokeEndpoint throughput and latency on a single-row CSV request to a trained
 * linear-learner endpoint, 64 connections, against a bare node:http server answering the same
 * JSON body, in the same run. Each server and each load generator is its own process: wrk (a Lua
 * script sets the POST body and headers) is the main generator, autocannon a second one. The
 * emulator runs from the ahead-of-time build with its own CloudWatch metrics recorder on the
 * invoke path, as `localsage serve` runs. Rounds alternate bare/localsage (A/B/A/B) so that a noisy,
 * shared machine hits both alike; the figures printed are medians over rounds. Each run also
 * reads the server's CPU time (user + system, /proc) per request, which other processes on the
 * machine disturb far less than req/s.
 *
 * BENCH_ROUNDS (default 3), BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 64),
 * BENCH_AUTOCANNON=0 to skip the autocannon pair, BENCH_CPU_PROFILE=<dir> to write a V8 CPU profile
 * of the emulator (node --cpu-prof) there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { clients, LINEAR_LEARNER_IMAGE } from '../helpers/clients.js';
import { toCsv } from '../helpers/data.js';
import { removeDir } from '../helpers/emulator-process.js';
import { deploy, trainBinaryOnSeparableData } from '../helpers/pipeline.js';

const HERE = import.meta.dirname;
const ROOT = resolve(HERE, '../..');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const AUTOCANNON = process.env.BENCH_AUTOCANNON !== '0';

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Server CPU time (user + system) per request, µs: less sensitive than req/s to other load. */
  cpuUs: number;
}

/** User + system CPU time of a process so far, in µs (Linux /proc; NaN elsewhere). */
function cpuTimeUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function startServer(args: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  return new Promise((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok({ proc, url: m[1] });
    });
    proc.once('exit', (code) => fail(new Error(`${args.join(' ')} exited with ${code}: ${out}`)));
  });
}

function stopServer(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((ok) => proc.once('exit', () => ok()));
  process.kill(-proc.pid!, 'SIGTERM');
  return exited;
}

/** wrk's "  99%    4.56ms" and "Latency  1.2ms" values in milliseconds. */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`cannot read wrk time '${text}'`);
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
}

function wrk(url: string, body: string, seconds: number, pid: number): Figures {
  const cpu0 = cpuTimeUs(pid);
  const r = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', join(HERE, 'invoke.lua'), url], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_BODY: body },
  });
  const cpu = cpuTimeUs(pid) - cpu0;
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}${r.stdout}`);
  const out = r.stdout;
  if (/Non-2xx or 3xx responses|Socket errors/.test(out)) throw new Error(`${url}: errors under load\n${out}`);
  const pct = (p: string) => wrkMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)![1]);
  const requests = Number(/(\d+) requests in/.exec(out)![1]);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]), p50: pct('50'), p99: pct('99'), requests, cpuUs: cpu / requests };
}

function autocannon(url: string, body: string, seconds: number, pid: number): Figures {
  const cpu0 = cpuTimeUs(pid);
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/autocannon/autocannon.js'),
      '-j', '-c', String(CONNECTIONS), '-d', String(seconds), '-m', 'POST', '-b', body,
      '-H', 'Content-Type=text/csv', '-H', 'Accept=application/json',
      '-H', 'Authorization=AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
      url,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const cpu = cpuTimeUs(pid) - cpu0;
  if (r.status !== 0) throw new Error(`autocannon failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  if (j.non2xx || j.errors) throw new Error(`${url}: ${j.non2xx} non-2xx and ${j.errors} errors under autocannon`);
  return { rps: j.requests.average, p50: j.latency.p50, p99: j.latency.p99, requests: j.requests.total, cpuUs: cpu / j.requests.total };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (f: Figures) => `${f.rps.toFixed(0).padStart(6)} req/s, p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, ${f.cpuUs.toFixed(1)} µs CPU/req`;

if (spawnSync('wrk', ['--version']).error) {
  console.log('SKIPPED bench:invoke: wrk is not installed (apt-get install wrk)');
  process.exit(0);
}
const dataDir = mkdtempSync(join(tmpdir(), 'localsage-bench-'));
const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROFILE)}`] : [];
const emu = await startServer([...profile, join(HERE, 'invoke-server.mjs'), dataDir]);
let peer: ChildProcess | undefined;
try {
  const c = clients(emu.url);
  const { data, job } = await trainBinaryOnSeparableData(c, { bucket: 'bench', name: 'bench-invoke', rows: 2000, features: 8, seed: 1, hyperParameters: { epochs: '3' } });
  if (job.TrainingJobStatus !== 'Completed') throw new Error(`training failed: ${job.FailureReason}`);
  await deploy(c.sagemaker, 'bench-invoke', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
  const row = toCsv([data.x[0]]).trim();
  const sample = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'bench-invoke', Body: Buffer.from(row), ContentType: 'text/csv', Accept: 'application/json' }));
  const responseBody = Buffer.from(sample.Body!).toString();
  const bare = await startServer([join(HERE, 'bare-server.mjs'), responseBody]);
  peer = bare.proc;
  const targets = { bare: `${bare.url}/endpoints/bench-invoke/invocations`, localsage: `${emu.url}/endpoints/bench-invoke/invocations` };

  console.log(`single-row CSV -> ${responseBody}; ${CONNECTIONS} connections, ${DURATION} s per run, ${ROUNDS} alternating rounds`);
  // Warm-up: JIT and connection set-up on both servers.
  const pids = { bare: bare.proc.pid!, localsage: emu.proc.pid! };
  wrk(targets.bare, row, 2, pids.bare);
  wrk(targets.localsage, row, 2, pids.localsage);
  const runs: { bare: Figures; localsage: Figures }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const b = wrk(targets.bare, row, DURATION, pids.bare);
    const l = wrk(targets.localsage, row, DURATION, pids.localsage);
    runs.push({ bare: b, localsage: l });
    console.log(`round ${i + 1}: bare ${fmt(b)} | localsage ${fmt(l)} | ratio ${(l.rps / b.rps).toFixed(3)}`);
  }
  const med = (k: 'bare' | 'localsage'): Figures => ({
    rps: median(runs.map((r) => r[k].rps)),
    p50: median(runs.map((r) => r[k].p50)),
    p99: median(runs.map((r) => r[k].p99)),
    requests: runs.reduce((s, r) => s + r[k].requests, 0),
    cpuUs: median(runs.map((r) => r[k].cpuUs)),
  });
  const b = med('bare');
  const l = med('localsage');
  console.log(`wrk, median of ${ROUNDS}:`);
  console.log(`  bare node:http  : ${fmt(b)}`);
  console.log(`  localsage invoke: ${fmt(l)}`);
  console.log(`  ratio (localsage / bare): ${median(runs.map((r) => r.localsage.rps / r.bare.rps)).toFixed(3)}  (goal >= 0.6, localsage p99 <= 5 ms)`);
  // CPU per request bounds the throughput one core can give, whatever else the machine runs.
  console.log(`  CPU-per-request ratio (bare / localsage): ${median(runs.map((r) => r.bare.cpuUs / r.localsage.cpuUs)).toFixed(3)}`);
  if (AUTOCANNON) {
    const ab = autocannon(targets.bare, row, DURATION, pids.bare);
    const al = autocannon(targets.localsage, row, DURATION, pids.localsage);
    console.log(`autocannon, one run each:`);
    console.log(`  bare node:http  : ${fmt(ab)}`);
    console.log(`  localsage invoke: ${fmt(al)}`);
    console.log(`  ratio (localsage / bare): ${(al.rps / ab.rps).toFixed(3)}`);
  }
} finally {
  if (peer) await stopServer(peer);
  await stopServer(emu.proc);
  removeDir(dataDir);
}
