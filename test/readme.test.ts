import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

/**
 * Runs the README's examples, in order, against a fresh emulator: a README example that stops
 * working fails the suite.
 */
const ROOT = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/<!-- runnable: ([\w-]+) -->\n```\w*\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const python = has('python3', ['-c', 'import boto3']);
const awsCli = has('aws', ['--version']);
// The SDK examples run in the virtual environments `npm run setup:python` makes.
const sdkPython = {
  'sagemaker-v2': join(ROOT, '.venv-sdk-v2/bin/python'),
  'sagemaker-v3': join(ROOT, '.venv-sdk-v3/bin/python'),
  'sagemaker-v2-byom': join(ROOT, '.venv-sdk-v2/bin/python'),
} as Record<string, string>;
const sdkReady = (lang: string) => has(sdkPython[lang], ['-c', lang === 'sagemaker-v3' ? 'import sagemaker.core' : 'import sagemaker']);
// The Bring your own model example runs the scikit-learn image in the environment
// `localsage frameworks install sklearn` makes (LOCALSAGE_FRAMEWORK_HOME, default ~/.cache/localsage/frameworks).
const sklearnPython = join(process.env.LOCALSAGE_FRAMEWORK_HOME || join(homedir(), '.cache', 'localsage', 'frameworks'), 'sklearn', 'bin', 'python');
const sklearnReady = has(sklearnPython, ['-c', 'import sklearn, joblib']);

let emu: EmulatorProcess;
const scratch = mkdtempSync(join(ROOT, 'node_modules', '.readme-'));
beforeAll(async () => {
  emu = await startEmulatorProcess();
});
afterAll(async () => {
  await emu?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function run(lang: string, code: string) {
  const source = code.replaceAll('http://localhost:4599', emu.url);
  if (lang === 'python' || lang === 'autoscaling' || lang === 'python-tuning') return spawnSync('python3', ['-c', source], { encoding: 'utf8', timeout: 120_000 });
  if (lang in sdkPython) return spawnSync(sdkPython[lang], ['-c', source], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, SAGEMAKER_SUPPRESS_V2_WARNING: '1' } });
  if (lang === 'sh') return spawnSync('bash', ['-euo', 'pipefail', '-c', source], { encoding: 'utf8', timeout: 120_000 });
  // An .mjs file inside the repository, so that its imports resolve to our node_modules.
  const file = join(scratch, 'example.mjs');
  writeFileSync(file, source);
  return spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
}

describe('README examples', () => {
  it('has the boto3, AWS CLI and JS SDK examples marked runnable', () => {
    expect(examples.map((e) => e.lang)).toEqual(['python', 'python', 'sh', 'js', 'sagemaker-v2', 'sagemaker-v3', 'autoscaling', 'python-tuning', 'sagemaker-v2-byom']);
  });

  for (const [i, { lang, code }] of examples.entries()) {
    const missing =
      lang === 'python' && !python ? 'python3 with boto3'
      : lang === 'python-tuning' && !python ? 'python3 with boto3 and the boto3 example before it'
      : lang === 'sh' && !awsCli ? 'the aws CLI'
      : lang === 'js' && !python ? 'the boto3 example before it (python3 with boto3)'
      : lang in sdkPython && !sdkReady(lang) ? `${sdkPython[lang]} with the SDK (npm run setup:python)`
      : lang === 'sagemaker-v3' && !awsCli ? 'the AWS CLI example before it'
      : lang === 'autoscaling' && !python ? 'python3 with boto3 (and the boto3 example before it)'
      : lang === 'sagemaker-v2-byom' && !sklearnReady && process.env.LOCALSAGE_REQUIRE_PYTHON !== '1' ? `${sklearnPython} (localsage frameworks install sklearn)`
      : '';
    if (missing) console.warn(`SKIPPED README example ${i + 1} (${lang}): needs ${missing}`);
    it.skipIf(Boolean(missing))(`example ${i + 1} (${lang}) runs`, { timeout: 300_000 }, () => {
      const r = run(lang, code);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      if (lang === 'python') expect(r.stdout).toMatch(/^Completed /m);
      if (lang === 'python') expect(r.stdout).toContain("'predicted_label': 1");
      if (lang === 'autoscaling') {
        expect(r.stdout).toMatch(/^GreaterThanThreshold 15000(\.0)? INSUFFICIENT_DATA$/m);
        expect(r.stdout).toMatch(/^LessThanThreshold 13500(\.0)? INSUFFICIENT_DATA$/m);
        expect(r.stdout).toContain('Successful Setting desired instance count to 2. | minimum capacity was set to 2 by scheduled action more');
        // The boto3 and JS examples invoked demo-ll once each, and the inference example streamed once.
        expect(r.stdout).toMatch(/^invocations 3$/m);
      }
      if (lang === 'python-tuning') expect(r.stdout).toMatch(/^Completed 4 jobs, best demo-tune-00[1-4]-[0-9a-f]{8} /m);
      // The batch/async/stream example ends with the endpoint's one instance log stream.
      if (lang === 'python' && i === 1) expect(r.stdout).toMatch(/\['AllTraffic\/i-[0-9a-f]{17}'\]/);
      if (lang === 'sh') expect(r.stdout).toContain('s3://cli-demo/output/cli-kmeans/output/model.tar.gz');
      if (lang === 'js') expect(r.stdout).toMatch(/AllTraffic \{"score":[0-9.e-]+,"predicted_label":1\}/);
      if (lang === 'sagemaker-v2') expect(Number(/accuracy ([0-9.]+)/.exec(r.stdout)?.[1])).toBeGreaterThan(0.95);
      if (lang === 'sagemaker-v2-byom') expect(Number(/byom accuracy ([0-9.]+)/.exec(r.stdout)?.[1])).toBeGreaterThan(0.9);
      // Two points from two different clusters, each close to its centre.
      if (lang === 'sagemaker-v3') {
        const rows = r.stdout.trim().split('\n').map((l) => l.split(',').map(Number));
        expect(rows).toHaveLength(2);
        expect(rows[0][0]).not.toBe(rows[1][0]);
        for (const [, distance] of rows) expect(distance).toBeLessThan(0.5);
      }
    });
  }
});
