/**
 * The container contract run by Docker, as SageMaker runs an image: `train` with /opt/ml mounted
 * from the job's tree, `serve` with the model at /opt/ml/model and port 8080 published on a
 * loopback port. Used only where a Docker daemon answers (or the image config says so).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

let cached: boolean | undefined;

/** Whether a Docker daemon answers (LOCALSAGE_DOCKER=0 turns Docker off). Checked once. */
export function dockerAvailable(): boolean {
  if (process.env.LOCALSAGE_DOCKER === '0') return false;
  if (cached !== undefined) return cached;
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return (cached = false);
  const r = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 5000, encoding: 'utf8' });
  return (cached = r.status === 0 && r.stdout.trim() !== '');
}

/** A container name to stop it by: killing the `docker run` client does not stop the container. */
export function containerName(): string {
  return `localsage-${randomBytes(6).toString('hex')}`;
}

/** Removes a container started by dockerArgs (no-op when it is gone). */
export function removeContainer(name: string): void {
  spawnSync('docker', ['rm', '-f', name], { timeout: 30_000, stdio: 'ignore' });
}

/**
 * `docker run` for one mode. Training mounts the whole tree at /opt/ml; serving mounts the model
 * read-only and publishes 8080 on `hostPort`. Host networking is never used: the container sees
 * only what SageMaker would give it.
 */
export function dockerArgs(image: string, root: string, mode: 'train' | 'serve', opts: { hostPort?: number; env?: Record<string, string>; name?: string } = {}): string[] {
  const args = ['docker', 'run', '--rm', '--init'];
  if (opts.name) args.push('--name', opts.name);
  for (const [k, v] of Object.entries(opts.env ?? {})) args.push('-e', `${k}=${v}`);
  if (mode === 'train') args.push('-v', `${root}:/opt/ml`);
  else args.push('-v', `${root}/model:/opt/ml/model:ro`, '-p', `127.0.0.1:${opts.hostPort ?? 8080}:8080`);
  args.push(image, mode);
  return args;
}

/**
 * `docker run` for one processing instance: its tree mounted at /opt/ml, the job's
 * ContainerEntrypoint replacing the image's entrypoint (its first word as --entrypoint, the rest
 * before the ContainerArguments), and only the job's Environment, as SageMaker runs the image.
 */
export function dockerProcessingArgs(image: string, root: string, entrypoint: string[], args: string[], opts: { env?: Record<string, string>; name?: string } = {}): string[] {
  const out = ['docker', 'run', '--rm', '--init'];
  if (opts.name) out.push('--name', opts.name);
  for (const [k, v] of Object.entries(opts.env ?? {})) out.push('-e', `${k}=${v}`);
  out.push('-v', `${root}:/opt/ml`);
  if (entrypoint.length) out.push('--entrypoint', entrypoint[0]);
  out.push(image, ...entrypoint.slice(1), ...args);
  return out;
}
