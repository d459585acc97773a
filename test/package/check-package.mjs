#!/usr/bin/env node
// The package as users get it, checked end to end (CI runs this; `npm run test:package`):
//  1. a production install of the checkout (`npm ci --omit=dev` in a temp copy of the tracked
//     files) runs `localsage serve`;
//  2. `npm pack` gives a tarball that installs in an empty folder and runs `npx localsage serve`.
// Each server must answer real API calls: SageMaker (awsJson), S3 (REST/XML), STS (query) and
// the dashboard. Runs with no devDependency: plain Node, npm and fetch.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'localsage-package-'));
const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
if (existsSync('/usr/include/node')) env.npm_config_nodedir ??= '/usr';
const children = new Set();

function run(cmd, args, cwd) {
  console.log(`$ (${cwd}) ${cmd} ${args.join(' ')}`);
  return execFileSync(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
}

/** Starts a server command in its own process group and waits for its "listening on" line. */
function serve(cmd, args, cwd) {
  console.log(`$ (${cwd}) ${cmd} ${args.join(' ')}`);
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "listening on" line in 120 s:\n${out}`)), 120_000);
    const onData = (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1], child, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${cmd} exited with ${code}:\n${out}`));
    });
  });
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((ok) => child.once('exit', ok));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  return exited;
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`  ok: ${what}`);
}

async function answersApiCalls({ url, output }) {
  const sm = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'SageMaker.ListTrainingJobs' },
    body: '{}',
  });
  check(sm.status === 200 && Array.isArray((await sm.json()).TrainingJobSummaries), 'SageMaker ListTrainingJobs answers 200 with TrainingJobSummaries');
  const put = await fetch(`${url}/package-check`, { method: 'PUT' });
  check(put.status === 200, 'S3 CreateBucket answers 200');
  const list = await (await fetch(url)).text();
  check(list.includes('<Name>package-check</Name>'), 'S3 ListBuckets lists the new bucket');
  const sts = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity&Version=2011-06-15' });
  check(sts.status === 200 && (await sts.text()).includes('<Account>'), 'STS GetCallerIdentity answers');
  // A real training job: the algorithms' runtime dependencies (tfjs, tar-stream) are installed.
  const rows = Array.from({ length: 200 }, (_, i) => { const x = (i % 20) / 10 - 1; const y = ((i * 7) % 20) / 10 - 1; return `${x + y > 0 ? 1 : 0},${x},${y}`; });
  check((await fetch(`${url}/package-check/train/data.csv`, { method: 'PUT', body: rows.join('\n') })).status === 200, 'S3 PutObject answers 200');
  const sagemaker = (op, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `SageMaker.${op}` }, body: JSON.stringify(body) });
  const created = await sagemaker('CreateTrainingJob', {
    TrainingJobName: 'package-check',
    AlgorithmSpecification: { TrainingImage: '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1', TrainingInputMode: 'File' },
    RoleArn: 'arn:aws:iam::000000000000:role/SageMakerRole',
    InputDataConfig: [{ ChannelName: 'train', ContentType: 'text/csv', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://package-check/train/' } } }],
    OutputDataConfig: { S3OutputPath: 's3://package-check/output' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    HyperParameters: { predictor_type: 'binary_classifier', feature_dim: '2', epochs: '3' },
  });
  check(created.status === 200, 'SageMaker CreateTrainingJob answers 200');
  let job;
  for (let i = 0; i < 600; i++) {
    job = await (await sagemaker('DescribeTrainingJob', { TrainingJobName: 'package-check' })).json();
    if (!['InProgress', 'Stopping'].includes(job.TrainingJobStatus)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  check(job.TrainingJobStatus === 'Completed', `the training job completed (${job.TrainingJobStatus} ${job.FailureReason ?? ''})`);
  const dash = await fetch(`${url}/_localsage/`);
  check(dash.status === 200 && (await dash.text()).includes('localsage dashboard'), 'the dashboard is served');
  const vendor = await fetch(`${url}/_localsage/vendor/uPlot.iife.min.js`);
  check(vendor.status === 200, "the dashboard's chart library ships in the package");
  check(!/NodeVersionSupportWarning|Error/.test(output()), `no warning or error in the output: ${JSON.stringify(output().slice(0, 400))}`);
}

async function productionInstallOfCheckout() {
  const copy = join(work, 'checkout');
  mkdirSync(copy);
  for (const f of run('git', ['ls-files', '-z'], ROOT).split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    cpSync(join(ROOT, f), join(copy, f), { dereference: false });
  }
  run('npm', ['ci', '--omit=dev'], copy);
  check(!existsSync(join(copy, 'node_modules', '@aws-sdk', 'client-sagemaker')), 'no AWS SDK client in a production install');
  const server = await serve(process.execPath, ['emulator/bin.mjs', 'serve', '--port', '0', '--data-dir', join(work, 'data-1')], copy);
  try {
    await answersApiCalls(server);
  } finally {
    await stop(server.child);
  }
}

async function packedTarballInCleanFolder() {
  const packDir = join(work, 'pack');
  mkdirSync(packDir);
  run('npm', ['pack', '--pack-destination', packDir], ROOT);
  const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  check(!!tarball, `npm pack wrote ${tarball}`);
  const listing = run('tar', ['-tzf', join(packDir, tarball)], packDir);
  check(!/package\/test\//.test(listing), 'the tarball holds no tests');
  check(listing.includes('package/emulator/dashboard/assets/app.js'), "the tarball holds the dashboard's assets");
  const clean = join(work, 'clean');
  mkdirSync(clean);
  run('npm', ['init', '-y'], clean);
  run('npm', ['install', join(packDir, tarball)], clean);
  const server = await serve('npx', ['--no-install', 'localsage', 'serve', '--port', '0', '--data-dir', join(work, 'data-2')], clean);
  try {
    await answersApiCalls(server);
  } finally {
    await stop(server.child);
  }
}

try {
  const only = process.argv[2];
  if (!only || only === 'production') await productionInstallOfCheckout();
  if (!only || only === 'pack') await packedTarballInCleanFolder();
  console.log('package checks passed');
} finally {
  for (const c of children) await stop(c);
  rmSync(work, { recursive: true, force: true });
}
