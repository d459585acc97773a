/**
 * bench:invoke — InvokeEndpoint throughput and p99 latency on a single-row CSV request to a
 * trained linear-learner endpoint, 64 concurrent connections, against a bare node:http server
 * returning the same JSON body, in the same run. Both servers run as child processes; the load
 * generator (autocannon) runs here.
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { clients, LINEAR_LEARNER_IMAGE } from '../helpers/clients.js';
import { toCsv } from '../helpers/data.js';
import { removeDir, startEmulatorProcess } from '../helpers/emulator-process.js';
import { deploy, trainBinaryOnSeparableData } from '../helpers/pipeline.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);

async function load(url: string, body: string, headers: Record<string, string>) {
  // A short warm-up lets both servers reach steady state (JIT, connection set-up).
  await autocannon({ url, method: 'POST', body, headers, connections: CONNECTIONS, duration: 2 });
  const r = await autocannon({ url, method: 'POST', body, headers, connections: CONNECTIONS, duration: DURATION });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx and ${r.errors} errors`);
  return { rps: r.requests.average, p99: r.latency.p99, p50: r.latency.p50, total: r.requests.total };
}

const emu = await startEmulatorProcess();
try {
  const c = clients(emu.url);
  const { data, job } = await trainBinaryOnSeparableData(c, { bucket: 'bench', name: 'bench-invoke', rows: 2000, features: 8, seed: 1, hyperParameters: { epochs: '3' } });
  if (job.TrainingJobStatus !== 'Completed') throw new Error(`training failed: ${job.FailureReason}`);
  await deploy(c.sagemaker, 'bench-invoke', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
  const row = toCsv([data.x[0]]).trim();
  const sample = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'bench-invoke', Body: Buffer.from(row), ContentType: 'text/csv' }));
  const responseBody = Buffer.from(sample.Body!).toString();

  // The bare server answers with exactly the body the endpoint gives.
  const peer = spawn(process.execPath, ['-e', `
    const body = Buffer.from(process.argv[1]);
    require('node:http').createServer((req, res) => {
      req.on('data', () => {}).on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
        res.end(body);
      });
    }).listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });
  `, responseBody], { stdio: ['ignore', 'pipe', 'inherit'] });
  const peerUrl = await new Promise<string>((ok) => peer.stdout!.on('data', (d) => {
    const m = /listening on (\S+)/.exec(String(d));
    if (m) ok(m[1]);
  }));

  const headers = {
    'Content-Type': 'text/csv',
    Accept: 'application/json',
    // A signed-looking request as SDKs send; the emulator reads the credential scope from it.
    Authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
    'X-Amz-Date': '20260101T000000Z',
  };
  console.log(`single-row CSV, ${CONNECTIONS} connections, ${DURATION}s each; response body ${responseBody}`);
  const baseline = await load(`${peerUrl}/endpoints/bench-invoke/invocations`, row, headers);
  const ours = await load(`${emu.url}/endpoints/bench-invoke/invocations`, row, headers);
  peer.kill();
  const fmt = (r: typeof ours) => `${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms (${r.total} requests)`;
  console.log(`bare node:http  : ${fmt(baseline)}`);
  console.log(`localsage invoke: ${fmt(ours)}`);
  console.log(`ratio (localsage / bare): ${(ours.rps / baseline.rps).toFixed(3)}  (target >= 0.5; one ml.m4.xlarge ~1,200 req/s)`);
} finally {
  await emu.stop();
  removeDir(emu.dataDir);
}
