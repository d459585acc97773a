/**
 * The processing container contract without Docker: inputs downloaded under the job's own /opt/ml
 * tree (each LocalPath below /opt/ml is re-rooted there, and the same prefix is rewritten in the
 * entrypoint and arguments), /opt/ml/config/processingjobconfig.json and resourceconfig.json as
 * AWS writes them, the container run in its own process group, then every output's LocalPath
 * uploaded to its S3Uri. Exit status and /opt/ml/output/{failure,message} decide the outcome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const SITE = join(import.meta.dirname, 'python', 'processing');
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type { DescribeProcessingJobResponse } from '@aws-sdk/client-sagemaker';
import { parseS3Uri, type ObjectStore } from '../storage/object-store.js';
import { ChannelDataError, resolveObjects } from '../training/channels.js';
import type { ImageRunner } from './images.js';
import { killGroup } from './training.js';

const OPT_ML = '/opt/ml';

/** The outcome of one run: `failure` set means the job Failed with that reason. */
export interface ProcessingOutcome {
  failure?: string;
  exitMessage?: string;
}

export interface ProcessingRun {
  result: Promise<ProcessingOutcome>;
  terminate(): Promise<void>;
}

/** Where a container path lands in this job's tree (paths outside /opt/ml are used as they are). */
export function localPath(root: string, containerPath: string): string {
  return containerPath === OPT_ML || containerPath.startsWith(`${OPT_ML}/`) ? join(root, containerPath.slice(OPT_ML.length)) : containerPath;
}

function rewrite(root: string, arg: string): string {
  return arg.split(`${OPT_ML}/`).join(`${root}/`);
}

async function downloadInputs(store: ObjectStore, job: DescribeProcessingJobResponse, root: string): Promise<void> {
  for (const input of job.ProcessingInputs ?? []) {
    const s3 = input.S3Input;
    if (!s3) continue;
    const dir = localPath(root, s3.LocalPath!);
    await mkdir(dir, { recursive: true });
    const objects = await resolveObjects(store, s3.S3DataType ?? 'S3Prefix', s3.S3Uri!);
    if (!objects.length) throw new ChannelDataError(`No S3 objects found under S3 URL "${s3.S3Uri}" given in input data source.`);
    const { key: prefix } = parseS3Uri(s3.S3Uri!);
    for (const o of objects) {
      // Keys below the prefix keep their sub-folders; an exact key lands as its own name.
      const rel = s3.S3DataType !== 'ManifestFile' && o.key.startsWith(prefix) && o.key !== prefix ? o.key.slice(prefix.length).replace(/^\/+/, '') : o.key.split('/').pop()!;
      const path = join(dir, rel);
      // A key with `..` segments must not write outside the input's folder.
      if (!path.startsWith(`${resolve(dir)}/`)) throw new ChannelDataError(`The S3 object s3://${o.bucket}/${o.key} cannot be placed under ${s3.LocalPath}: its key leaves the folder.`);
      await mkdir(dirname(path), { recursive: true });
      try {
        const { body } = await store.getObject(o.bucket, o.key);
        await pipeline(body, createWriteStream(path));
      } catch (e) {
        throw new ChannelDataError(`Unable to download the input data from s3://${o.bucket}/${o.key}: ${(e as Error).message}`);
      }
    }
  }
}

async function walk(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Uploads each output's LocalPath to its S3Uri (EndOfJob upload). */
export async function uploadOutputs(store: ObjectStore, job: DescribeProcessingJobResponse, root: string): Promise<void> {
  for (const output of job.ProcessingOutputConfig?.Outputs ?? []) {
    const s3 = output.S3Output;
    if (!s3) continue;
    const dir = localPath(root, s3.LocalPath!);
    const { bucket, key } = parseS3Uri(s3.S3Uri!);
    for (const file of await walk(dir)) {
      const rel = relative(dir, file).split('\\').join('/');
      const target = `${key.replace(/\/+$/, '')}/${rel}`.replace(/^\/+/, '');
      if ((await stat(file)).size >= 0) await store.putObject(bucket, target, await readFile(file));
    }
  }
}

function command(runner: ImageRunner, job: DescribeProcessingJobResponse, root: string): { cmd: string; args: string[] } {
  const app = job.AppSpecification!;
  const entry = (app.ContainerEntrypoint ?? []).map((a) => rewrite(root, a));
  const args = (app.ContainerArguments ?? []).map((a) => rewrite(root, a));
  if (runner.kind === 'framework') {
    // The framework images' interpreter is the framework environment's Python.
    if (!entry.length) throw new ChannelDataError('The scikit-learn and XGBoost images need a ContainerEntrypoint (for example ["python3", "/opt/ml/processing/input/code/script.py"]).');
    const [first, ...rest] = entry;
    const cmd = /^python(3(\.\d+)?)?$/.test(first.split('/').pop()!) ? runner.python : first;
    return { cmd, args: [...rest, ...args] };
  }
  if (runner.kind === 'command') return { cmd: runner.command[0], args: [...runner.command.slice(1), ...entry, ...args] };
  throw new ChannelDataError('localsage runs processing jobs with framework images or images mapped to a local command, not with Docker.');
}

/** Starts a processing job's single instance (algo-1). */
export function startProcessing(runner: ImageRunner, job: DescribeProcessingJobResponse, root: string, store: ObjectStore, onLog: (line: string) => void): ProcessingRun {
  let child: ChildProcess | undefined;
  let terminated = false;
  const result = (async (): Promise<ProcessingOutcome> => {
    for (const d of ['config', 'output', 'processing']) await mkdir(join(root, d), { recursive: true });
    const hosts = Array.from({ length: job.ProcessingResources?.ClusterConfig?.InstanceCount ?? 1 }, (_, i) => `algo-${i + 1}`);
    const { ProcessingJobStatus: _s, CreationTime: _c, LastModifiedTime: _m, ...config } = job;
    await writeFile(join(root, 'config/processingjobconfig.json'), JSON.stringify(config));
    await writeFile(join(root, 'config/resourceconfig.json'), JSON.stringify({ current_host: 'algo-1', hosts }));
    await downloadInputs(store, job, root);
    for (const o of job.ProcessingOutputConfig?.Outputs ?? []) if (o.S3Output) await mkdir(localPath(root, o.S3Output.LocalPath!), { recursive: true });
    if (terminated) return {};
    const { cmd, args } = command(runner, job, root);
    onLog(`Running ${[cmd, ...args].join(' ')}`);
    child = spawn(cmd, args, {
      cwd: root,
      detached: true, // its own process group: Stop and MaxRuntime end whatever the script started
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...(job.Environment ?? {}),
        SAGEMAKER_BASE_DIR: root,
        LOCALSAGE_OPT_ML: root,
        PYTHONUNBUFFERED: '1',
        // The framework images' scripts name /opt/ml paths literally: sitecustomize re-roots them.
        ...(runner.kind === 'framework' ? { PYTHONPATH: [SITE, process.env.PYTHONPATH].filter(Boolean).join(':') } : {}),
      },
    });
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', onLog);
    const exit = await new Promise<{ code: number | null; error?: Error }>((ok) => {
      child!.once('error', (error) => ok({ code: null, error }));
      child!.once('close', (code) => ok({ code }));
    });
    if (terminated) return {};
    const read = async (name: string) => (existsSync(join(root, 'output', name)) ? (await readFile(join(root, 'output', name), 'utf8')).trim().slice(0, 1024) : '');
    const exitMessage = (await read('message')) || undefined;
    if (exit.error) return { failure: `ClientError: Unable to start ${cmd}: ${exit.error.message}`, exitMessage };
    if (exit.code !== 0) return { failure: (await read('failure')) || 'AlgorithmError: See job logs for more information', exitMessage };
    await uploadOutputs(store, job, root);
    return { exitMessage };
  })();
  return {
    result,
    async terminate() {
      terminated = true;
      if (child) await killGroup(child);
    },
  };
}
