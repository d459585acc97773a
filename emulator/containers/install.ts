/**
 * `localsage frameworks install`: one virtual environment per framework image, with what the
 * image's script mode and localsage's serving worker need. Re-running it only adds what is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { frameworkHome, type Framework } from './images.js';

/** What each image's Python needs: the framework, the scientific stack its scripts expect. */
export const FRAMEWORK_PACKAGES: Record<Framework, string[]> = {
  sklearn: ['scikit-learn', 'numpy', 'scipy', 'pandas', 'joblib'],
  // xgboost-cpu: the same `xgboost` module without the ~700 MB of CUDA libraries the plain wheel pulls in.
  xgboost: ['xgboost-cpu', 'scikit-learn', 'numpy', 'scipy', 'pandas', 'joblib'],
};

export function installFrameworks(opts: { names: Framework[]; home?: string; python: string }): number {
  const home = resolve(opts.home ?? frameworkHome());
  const names = opts.names.length ? opts.names : (Object.keys(FRAMEWORK_PACKAGES) as Framework[]);
  for (const name of names) {
    const venv = join(home, name);
    const python = join(venv, 'bin', 'python');
    if (!existsSync(python)) {
      console.log(`creating ${venv}`);
      const made = spawnSync(opts.python, ['-m', 'venv', venv], { stdio: 'inherit' });
      if (made.status !== 0) return 1;
    }
    console.log(`installing ${FRAMEWORK_PACKAGES[name].join(' ')} into ${venv}`);
    const pip = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', ...FRAMEWORK_PACKAGES[name]], { stdio: 'inherit' });
    if (pip.status !== 0) return 1;
    console.log(`${name}: ${python}`);
  }
  return 0;
}
