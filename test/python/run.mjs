// Runs the Python client tests: boto3 (and the AWS CLI) with python3, then the SageMaker Python
// SDK v2 and v3 suites, each in the virtual environment `npm run setup:python` makes. A suite
// whose environment is missing says so and is skipped; CI sets LOCALSAGE_REQUIRE_PYTHON=1 so
// that a missing install fails instead.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const required = process.env.LOCALSAGE_REQUIRE_PYTHON === '1';
const suites = [
  // Every test_*.py at this level runs under python3 with boto3 (the SDK suites have their own venvs).
  { name: 'boto3', python: process.env.PYTHON ?? 'python3', probe: 'import boto3, pytest', paths: readdirSync('test/python').filter((f) => /^test_.*\.py$/.test(f)).sort().map((f) => `test/python/${f}`) },
  { name: 'SageMaker Python SDK v2', python: '.venv-sdk-v2/bin/python', probe: 'import sagemaker, pytest', paths: ['test/python/sdk_v2'] },
  { name: 'SageMaker Python SDK v3', python: '.venv-sdk-v3/bin/python', probe: 'import sagemaker.core, pytest', paths: ['test/python/sdk_v3'] },
];

let failed = false;
for (const s of suites) {
  const usable = (s.python.includes('/') ? existsSync(s.python) : true) && spawnSync(s.python, ['-c', s.probe]).status === 0;
  if (!usable) {
    console.log(`SKIPPED python tests (${s.name}): ${s.python} cannot '${s.probe}'; run npm run setup:python`);
    if (required) failed = true;
    continue;
  }
  console.log(`python tests: ${s.name}`);
  const run = spawnSync(s.python, ['-m', 'pytest', '-q', ...s.paths, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
