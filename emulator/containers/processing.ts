/**
 * One instance (algo-N) of a processing job, running the processing container contract: its
 * share of the inputs downloaded under its own /opt/ml tree (each LocalPath below /opt/ml is
 * re-rooted there and, for a local process, the same prefix is rewritten in the entrypoint and
 * arguments), /opt/ml/config/processingjobconfig.json and resourceconfig.json as AWS writes them,
 * the container run in its own process group (or by `docker run` with the tree at /opt/ml), then
 * every output's LocalPath uploaded under its S3Uri. Exit status and /opt/ml/output/{failure,message}
 * decide the outcome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DescribeProcessingJobResponse } from '@aws-sdk/client-sagemaker';
import type { Clock } from '../../core/clock.js';
import type { ObjectStore } from '../storage/object-store.js';
import { ChannelDataError, type SourceObject } from '../training/channels.js';
import { containerName, dockerProcessingArgs, removeContainer } from './docker.js';
import type { ImageRunner } from './images.js';
import { downloadInputs, localPath, uploadOutputs } from './processing-io.js';
import { killGroup } from './training.js';

export { localPath, uploadOutputs } from './processing-io.js';

const SITE = join(import.meta.dirname, 'python', 'processing');
const OPT_ML = '/opt/ml';

/**
 * How often a Continuous output's new and changed files are uploaded while the instance runs (on
 * the emulator's clock); AWS uploads them as they appear and documents no period.
 */
export const CONTINUOUS_UPLOAD_INTERVAL_MS = 2000;

/** The outcome of one instance: `failure` set means the job Failed with that reason. */
export interface ProcessingOutcome {
  failure?: string;
  exitMessage?: string;
}

export interface ProcessingRun {
  result: Promise<ProcessingOutcome>;
  terminate(): Promise<void>;
}

export interface ProcessingInstance {
  /** This instance's /opt/ml tree on the host. */
  root: string;
  host: string;
  hosts: string[];
  /** Every S3 input's objects (listed once for the job); this host downloads its share. */
  inputs: Map<string, SourceObject[]>;
  store: ObjectStore;
  clock: Clock;
  onLog: (line: string) => void;
}

function rewrite(root: string, arg: string): string {
  return arg.split(`${OPT_ML}/`).join(`${root}/`);
}

function command(runner: ImageRunner, job: DescribeProcessingJobResponse, root: string): { cmd: string; args: string[]; docker?: string } {
  const app = job.AppSpecification!;
  if (runner.kind === 'docker') {
    // Inside the container the tree is /opt/ml itself: nothing to rewrite.
    const docker = containerName();
    const [cmd, ...args] = dockerProcessingArgs(runner.image, root, app.ContainerEntrypoint ?? [], app.ContainerArguments ?? [], { env: job.Environment ?? {}, name: docker });
    return { cmd, args, docker };
  }
  const entry = (app.ContainerEntrypoint ?? []).map((a) => rewrite(root, a));
  const args = (app.ContainerArguments ?? []).map((a) => rewrite(root, a));
  if (runner.kind === 'framework') {
    // The framework images' interpreter is the framework environment's Python.
    if (!entry.length) throw new ChannelDataError('The scikit-learn and XGBoost images need a ContainerEntrypoint (for example ["python3", "/opt/ml/processing/input/code/script.py"]).');
    const [first, ...rest] = entry;
    const cmd = /^python(3(\.\d+)?)?$/.test(first.split('/').pop()!) ? runner.python : first;
    return { cmd, args: [...rest, ...args] };
  }
  return { cmd: runner.command[0], args: [...runner.command.slice(1), ...entry, ...args] };
}

/** Starts one instance of a processing job. */
export function startProcessing(runner: ImageRunner, job: DescribeProcessingJobResponse, instance: ProcessingInstance): ProcessingRun {
  const { root, host, hosts, store, clock, onLog } = instance;
  let child: ChildProcess | undefined;
  let dockerName: string | undefined;
  let terminated = false;
  const result = (async (): Promise<ProcessingOutcome> => {
    for (const d of ['config', 'output', 'processing']) await mkdir(join(root, d), { recursive: true });
    const { ProcessingJobStatus: _s, CreationTime: _c, LastModifiedTime: _m, ...described } = job;
    // As AWS writes the file: the job as described, each S3 input with its S3DownloadMode.
    const config = { ...described, ProcessingInputs: described.ProcessingInputs?.map((i) => (i.S3Input ? { ...i, S3Input: { ...i.S3Input, S3DownloadMode: 'StartOfJob' } } : i)) };
    await writeFile(join(root, 'config/processingjobconfig.json'), JSON.stringify(config));
    await writeFile(join(root, 'config/resourceconfig.json'), JSON.stringify({ current_host: host, hosts }));
    await downloadInputs(store, job, instance.inputs, root, hosts.indexOf(host), hosts.length);
    for (const o of job.ProcessingOutputConfig?.Outputs ?? []) if (o.S3Output?.LocalPath) await mkdir(localPath(root, o.S3Output.LocalPath), { recursive: true });
    if (terminated) return {};
    const { cmd, args, docker } = command(runner, job, root);
    dockerName = docker;
    onLog(`Running ${[cmd, ...args].join(' ')}`);
    child = spawn(cmd, args, {
      cwd: root,
      detached: true, // its own process group: Stop and MaxRuntime end whatever the script started
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...(job.Environment ?? {}),
        ...(docker
          ? {}
          : {
              SAGEMAKER_BASE_DIR: root,
              LOCALSAGE_OPT_ML: root,
              PYTHONUNBUFFERED: '1',
              // The framework images' scripts name /opt/ml paths literally: sitecustomize re-roots them.
              ...(runner.kind === 'framework' ? { PYTHONPATH: [SITE, process.env.PYTHONPATH].filter(Boolean).join(':') } : {}),
            }),
      },
    });
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', onLog);

    // Continuous outputs: what appeared or changed since the last pass is uploaded while it runs.
    const seen = new Map<string, string>();
    let running = true;
    let cancel: (() => void) | undefined;
    let uploading: Promise<void> = Promise.resolve();
    const continuous = (job.ProcessingOutputConfig?.Outputs ?? []).some((o) => o.S3Output?.S3UploadMode === 'Continuous');
    const arm = () => {
      cancel = clock.schedule(CONTINUOUS_UPLOAD_INTERVAL_MS, () => {
        uploading = uploadOutputs(store, job, root, { only: (mode) => mode === 'Continuous', seen })
          .catch((e: unknown) => onLog(`Continuous upload of the outputs failed, retrying: ${(e as Error).message}`))
          .then(() => {
            if (running) arm();
          });
      });
    };
    if (continuous) arm();

    const exit = await new Promise<{ code: number | null; error?: Error }>((ok) => {
      child!.once('error', (error) => ok({ code: null, error }));
      child!.once('close', (code) => ok({ code }));
    });
    running = false;
    cancel?.();
    await uploading;
    const read = async (name: string) => (existsSync(join(root, 'output', name)) ? (await readFile(join(root, 'output', name), 'utf8')).trim().slice(0, 1024) : '');
    const exitMessage = (await read('message')) || undefined;
    if (terminated) return { exitMessage };
    if (exit.error) return { failure: `ClientError: Unable to start ${cmd}: ${exit.error.message}`, exitMessage };
    if (exit.code !== 0) return { failure: (await read('failure')) || 'AlgorithmError: See job logs for more information', exitMessage };
    // EndOfJob outputs, and whatever Continuous outputs gained since their last pass.
    await uploadOutputs(store, job, root, { seen });
    return { exitMessage };
  })();
  return {
    result,
    async terminate() {
      terminated = true;
      if (dockerName) removeContainer(dockerName);
      if (child) await killGroup(child);
    },
  };
}
