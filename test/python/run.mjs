// Runs the Python client tests when Python, boto3 and pytest are there; says why when not.
// CI sets LOCALSAGE_REQUIRE_PYTHON=1 so that a missing install fails instead of skipping.
import { spawnSync } from 'node:child_process';

const python = process.env.PYTHON ?? 'python3';
const probe = spawnSync(python, ['-c', 'import boto3, pytest'], { encoding: 'utf8' });
if (probe.status !== 0) {
  const why = `SKIPPED python client tests: ${python} with boto3 and pytest is needed (pip install -r test/python/requirements.txt)`;
  console.log(why);
  process.exit(process.env.LOCALSAGE_REQUIRE_PYTHON === '1' ? 1 : 0);
}
const run = spawnSync(python, ['-m', 'pytest', '-q', 'test/python', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
