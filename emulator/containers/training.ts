/**
 * Training with an image that is not a built-in algorithm: the /opt/ml tree the SageMaker
 * training toolkit expects, built under the data dir (SAGEMAKER_BASE_DIR points at it), every
 * SM_* variable the toolkit sets, hyperparameters as command-line arguments, and the model dir
 * packed as model.tar.gz. One process group per instance, so Stop and MaxRuntime end everything
 * the user's script started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Channel, ResourceConfig } from '@aws-sdk/client-sagemaker';
import type { ChannelFiles } from '../../algorithms/index.js';
import { parseS3Uri, readObject, type ObjectStore } from '../storage/object-store.js';
import { containerName, dockerArgs, removeContainer } from './docker.js';
import type { ImageRunner } from './images.js';
import { packDirectory, unpackInto } from './tarball.js';

const PYTHON_DIR = join(import.meta.dirname, 'python');

export interface ContainerJob {
  jobName: string;
  jobArn: string;
  image: string;
  hyperParameters: Record<string, string>;
  environment: Record<string, string>;
  inputDataConfig: Channel[];
  resourceConfig: ResourceConfig;
  region: string;
}

export interface ContainerInstance {
  /** model.tar.gz of the instance's model dir. */
  result: Promise<Buffer>;
  terminate(): Promise<void>;
}

/** The toolkit JSON-decodes each hyperparameter value; strings that are not JSON stay strings. */
function decodeHyperParameter(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** One value as the toolkit prints it (Python's str of the JSON-decoded value). */
function argValue(v: unknown, rawText: string | undefined): string {
  // A number keeps the text the SDK sent: Python prints 1.0 as "1.0", JavaScript as "1".
  if (typeof v === 'number') return rawText?.trim() ?? String(v);
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return JSON.stringify(v);
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([a, b]) => `${a}=${String(b)}`)
      .join(',');
  }
  return String(v);
}

/** `--key value` pairs, sorted by key, as sagemaker_training.mapping.to_cmd_args writes them. */
export function toCmdArgs(hps: Record<string, unknown>, raw: Record<string, string> = {}): string[] {
  return Object.keys(hps)
    .sort()
    .flatMap((k) => [`--${k}`, argValue(hps[k], raw[k])]);
}

/** Lays out <root>/input, model, output, code for one host and returns the environment to run with. */
async function prepareTree(root: string, job: ContainerJob, host: string, hosts: string[], channels: ChannelFiles[], store: ObjectStore) {
  const dirs = ['input/config', 'input/data', 'model', 'output/data', 'output/intermediate', 'code'];
  for (const d of dirs) await mkdir(join(root, d), { recursive: true });
  const resourceConfig = { current_host: host, hosts, network_interface_name: 'eth0', current_instance_type: job.resourceConfig.InstanceType };
  const inputDataConfig = Object.fromEntries(
    job.inputDataConfig.map((c) => [
      c.ChannelName!,
      { ContentType: c.ContentType, TrainingInputMode: c.InputMode ?? 'File', S3DistributionType: c.DataSource?.S3DataSource?.S3DataDistributionType ?? 'FullyReplicated', RecordWrapperType: c.RecordWrapperType ?? 'None' },
    ]),
  );
  await writeFile(join(root, 'input/config/hyperparameters.json'), JSON.stringify(job.hyperParameters));
  await writeFile(join(root, 'input/config/resourceconfig.json'), JSON.stringify(resourceConfig));
  await writeFile(join(root, 'input/config/inputdataconfig.json'), JSON.stringify(inputDataConfig));
  for (const ch of channels) {
    const dir = join(root, 'input/data', ch.name);
    await mkdir(dir, { recursive: true });
    // The downloader prefixes an index to keep S3 order; the container sees the object's own name.
    for (const f of ch.files) await copyFile(f, join(dir, basename(f).replace(/^\d{6}-/, '')));
  }

  const decoded = Object.fromEntries(Object.entries(job.hyperParameters).map(([k, v]) => [k, decodeHyperParameter(v)]));
  const userHps = Object.fromEntries(Object.entries(decoded).filter(([k]) => !k.startsWith('sagemaker_')));
  const program = typeof decoded.sagemaker_program === 'string' ? decoded.sagemaker_program : undefined;
  const submit = typeof decoded.sagemaker_submit_directory === 'string' ? decoded.sagemaker_submit_directory : undefined;
  if (submit?.startsWith('s3://')) {
    const { bucket, key } = parseS3Uri(submit);
    let archive: Buffer;
    try {
      archive = await readObject(store, bucket, key);
    } catch {
      throw new ClientError(`Failed to download the source directory ${submit}: no such object.`);
    }
    await unpackInto(archive, join(root, 'code'), `The source directory ${submit}`);
  }
  const channelNames = channels.map((c) => c.name);
  const moduleName = program ? program.replace(/\.py$/, '') : '';
  const cpus = availableParallelism();
  const userArgs = toCmdArgs(userHps, job.hyperParameters);
  // SM_HPS from the JSON texts themselves, so that 1.0 stays a float for the script.
  const hpsJson = `{${Object.keys(userHps)
    .map((k) => `${JSON.stringify(k)}: ${typeof userHps[k] === 'string' ? JSON.stringify(userHps[k]) : job.hyperParameters[k].trim()}`)
    .join(', ')}}`;
  const env: Record<string, string> = {
    SAGEMAKER_BASE_DIR: root,
    SM_MODEL_DIR: join(root, 'model'),
    SM_CHANNELS: JSON.stringify(channelNames),
    SM_HPS: hpsJson,
    SM_CURRENT_HOST: host,
    SM_CURRENT_INSTANCE_TYPE: job.resourceConfig.InstanceType ?? 'ml.m5.large',
    SM_HOSTS: JSON.stringify(hosts),
    SM_NUM_GPUS: '0',
    SM_NUM_CPUS: String(cpus),
    SM_NUM_NEURONS: '0',
    SM_LOG_LEVEL: String(decoded.sagemaker_container_log_level ?? 20),
    SM_NETWORK_INTERFACE_NAME: 'eth0',
    SM_USER_ARGS: JSON.stringify(userArgs),
    SM_INPUT_DIR: join(root, 'input'),
    SM_INPUT_CONFIG_DIR: join(root, 'input/config'),
    SM_OUTPUT_DIR: join(root, 'output'),
    SM_OUTPUT_DATA_DIR: join(root, 'output/data'),
    SM_OUTPUT_INTERMEDIATE_DIR: join(root, 'output/intermediate'),
    SM_RESOURCE_CONFIG: JSON.stringify(resourceConfig),
    SM_INPUT_DATA_CONFIG: JSON.stringify(inputDataConfig),
    SM_MODULE_NAME: moduleName,
    SM_MODULE_DIR: submit ?? '',
    SM_USER_ENTRY_POINT: program ?? '',
    SM_FRAMEWORK_MODULE: '',
    SM_FRAMEWORK_PARAMS: '{}',
    SM_IS_HETERO: 'false',
    SM_MASTER_ADDR: hosts[0],
    SM_MASTER_PORT: '7777',
    TRAINING_JOB_NAME: job.jobName,
    TRAINING_JOB_ARN: job.jobArn,
    AWS_REGION: job.region,
    PYTHONUNBUFFERED: '1',
  };
  for (const c of channelNames) env[`SM_CHANNEL_${c.toUpperCase()}`] = join(root, 'input/data', c);
  for (const [k, v] of Object.entries(userHps)) env[`SM_HP_${k.toUpperCase()}`] = typeof v === 'string' ? v : job.hyperParameters[k].trim();
  env.SM_TRAINING_ENV = JSON.stringify({
    channel_input_dirs: Object.fromEntries(channelNames.map((c) => [c, join(root, 'input/data', c)])),
    current_host: host,
    hosts,
    hyperparameters: userHps,
    input_config_dir: join(root, 'input/config'),
    input_data_config: inputDataConfig,
    input_dir: join(root, 'input'),
    job_name: job.jobName,
    log_level: Number(env.SM_LOG_LEVEL),
    model_dir: join(root, 'model'),
    module_dir: submit ?? '',
    module_name: moduleName,
    network_interface_name: 'eth0',
    num_cpus: cpus,
    num_gpus: 0,
    output_data_dir: join(root, 'output/data'),
    output_dir: join(root, 'output'),
    output_intermediate_dir: join(root, 'output/intermediate'),
    resource_config: resourceConfig,
    user_entry_point: program ?? '',
  });
  return { env, program, userArgs };
}

/** The user's input is at fault (missing source directory, bad hyperparameter): a ClientError. */
export class ClientError extends Error {}

function commandFor(runner: ImageRunner, root: string, program: string | undefined, userArgs: string[], env: Record<string, string>): { cmd: string; args: string[]; cwd: string; docker?: string } {
  if (runner.kind === 'framework') {
    if (program) return { cmd: runner.python, args: [program, ...userArgs], cwd: join(root, 'code') };
    if (runner.framework === 'xgboost') return { cmd: runner.python, args: [join(PYTHON_DIR, 'xgboost_algorithm.py')], cwd: root };
    throw new ClientError('The scikit-learn image runs a script: set the sagemaker_program and sagemaker_submit_directory hyperparameters (the SDK\'s entry_point and source_dir).');
  }
  if (runner.kind === 'command') return { cmd: runner.command[0], args: [...runner.command.slice(1), 'train'], cwd: root };
  // Inside the container the tree is /opt/ml itself.
  const inside = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.split(root).join('/opt/ml')]));
  const docker = containerName();
  const [cmd, ...args] = dockerArgs(runner.image, root, 'train', { env: inside, name: docker });
  return { cmd, args, cwd: root, docker };
}

/** Kills a process group: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export function killGroup(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  return exited.finally(() => {
    clearTimeout(timer);
    signal('SIGKILL'); // anything the script left behind in its group
  });
}

/** Starts one instance (algo-N) of a training job run by `runner`. */
export function startContainerInstance(
  runner: ImageRunner,
  job: ContainerJob,
  host: string,
  hosts: string[],
  channels: ChannelFiles[],
  workDir: string,
  store: ObjectStore,
  onLog: (line: string) => void,
): ContainerInstance {
  let child: ChildProcess | undefined;
  let terminated = false;
  let dockerName: string | undefined;
  const root = join(workDir, 'hosts', host);
  const result = (async () => {
    const { env, program, userArgs } = await prepareTree(root, job, host, hosts, channels, store);
    if (terminated) throw new Error('terminated');
    const { cmd, args, cwd, docker } = commandFor(runner, root, program, userArgs, env);
    dockerName = docker;
    onLog(`Invoking script with the following command: ${[cmd, ...args].join(' ')}`);
    child = spawn(cmd, args, {
      cwd,
      detached: true, // its own process group, so Stop ends whatever the script spawned
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...job.environment, ...env, PYTHONPATH: [join(root, 'code'), process.env.PYTHONPATH].filter(Boolean).join(':') },
    });
    const tail: string[] = [];
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        onLog(line);
        if (stream === child!.stderr) {
          tail.push(line);
          if (tail.length > 20) tail.shift();
        }
      });
    }
    const exit = await new Promise<{ code: number | null; error?: Error }>((ok) => {
      child!.once('error', (error) => ok({ code: null, error }));
      child!.once('close', (code) => ok({ code }));
    });
    if (terminated) throw new Error('terminated');
    if (exit.error) throw new Error(`Unable to start ${cmd}: ${exit.error.message}`);
    const failurePath = join(root, 'output/failure');
    const failure = existsSync(failurePath) ? (await readFile(failurePath, 'utf8')).trim() : '';
    if (exit.code !== 0) {
      if (failure) {
        // Our algorithm-mode script and well-behaved containers say whose fault it was.
        if (failure.startsWith('ClientError: ')) throw new ClientError(failure.slice('ClientError: '.length));
        throw new Error(failure);
      }
      const message = tail.join('\n').slice(-1000);
      throw new Error(`ExecuteUserScriptError:\nExitCode ${exit.code}\nErrorMessage "${message}"\nCommand "${[cmd, ...args].join(' ')}", exit code: ${exit.code}`);
    }
    return packDirectory(join(root, 'model'));
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
