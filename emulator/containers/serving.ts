/**
 * Serving an image that is not a built-in algorithm: one supervised worker process per instance,
 * each answering the container contract (GET /ping, POST /invocations) on a loopback port. A
 * framework image runs localsage's Python worker (serve_worker.py) with the user's handlers; an
 * image mapped to a command runs `<command> serve`; Docker runs the image itself. A worker that
 * dies is restarted, and the event goes to the endpoint's CloudWatch log group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ContainerDefinition } from '@aws-sdk/client-sagemaker';
import type { Clock } from '../../core/clock.js';
import type { Database, Scope } from '../storage/database.js';
import { parseS3Uri, readObject, type ObjectStore } from '../storage/object-store.js';
import { containerName, dockerArgs, removeContainer } from './docker.js';
import type { ImageResolver, ImageRunner } from './images.js';
import { unpackInto } from './tarball.js';
import { killGroup } from './training.js';
import { freePort } from '../free-port.js';

const PYTHON_DIR = join(import.meta.dirname, 'python');

export interface PredictOutput {
  body: Buffer;
  contentType: string;
}

/** What the invoke path calls; the error it throws carries the container's status (originalStatus). */
export interface ContainerModel {
  algorithm: 'container';
  predict(body: Buffer, contentType: string | undefined, accept: string | undefined): Promise<PredictOutput>;
}

/** A container's answer other than 2xx: InvokeEndpoint turns it into ModelError 424. */
export class ContainerResponseError extends Error {
  constructor(
    message: string,
    readonly originalStatus: number,
  ) {
    super(message);
  }
}

/** The model could not be served (no model data, worker never became healthy). */
export class ContainerLoadError extends Error {}

export interface ServingContext {
  store: ObjectStore;
  db: Database;
  clock: Clock;
  dataDir: string;
  resolver: ImageResolver;
}

export interface DeployedVariant {
  model: ContainerModel;
  stop(): Promise<void>;
}

function httpCall(port: number, agent: Agent, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; contentType: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { ...headers, 'Content-Length': String(body?.length ?? 0) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 500, body: Buffer.concat(chunks), contentType: String(res.headers['content-type'] ?? 'application/octet-stream') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** One instance's worker process, restarted when it dies. */
class Worker {
  private child: ChildProcess | undefined;
  private port = 0;
  private stopping = false;
  private ready: Promise<void> | undefined;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly tail: string[] = [];
  private dockerName: string | undefined;

  constructor(
    private readonly runner: ImageRunner,
    private readonly root: string,
    private readonly program: string | undefined,
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the worker and resolves once /ping answers 200. */
  start(): Promise<void> {
    this.ready = this.spawnAndWait();
    return this.ready;
  }

  private async spawnAndWait(): Promise<void> {
    let cmd: string;
    let args: string[];
    const env: Record<string, string> = { ...this.env };
    let announcesPort = false;
    if (this.runner.kind === 'framework') {
      cmd = this.runner.python;
      args = [join(PYTHON_DIR, 'serve_worker.py'), '--model-dir', join(this.root, 'model'), '--code-dir', join(this.root, 'code'), '--program', this.program ?? '', '--mode', this.runner.framework === 'xgboost' ? 'xgboost-algorithm' : 'script'];
      announcesPort = true;
    } else if (this.runner.kind === 'command') {
      this.port = await freePort();
      env.SAGEMAKER_BIND_TO_PORT = String(this.port);
      [cmd, ...args] = [...this.runner.command, 'serve'];
    } else {
      this.port = await freePort();
      this.dockerName = containerName();
      [cmd, ...args] = dockerArgs(this.runner.image, this.root, 'serve', { hostPort: this.port, env: this.env, name: this.dockerName });
    }
    const child = spawn(cmd, args, {
      cwd: this.root,
      detached: true,
      // Our worker exits when its stdin closes, so it never outlives an emulator that was killed.
      stdio: [this.runner.kind === 'framework' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, SAGEMAKER_BASE_DIR: this.root, PYTHONUNBUFFERED: '1', PYTHONPATH: [join(this.root, 'code'), process.env.PYTHONPATH].filter(Boolean).join(':') },
    });
    this.child = child;
    let announced: (port: number) => void = () => {};
    const portSeen = new Promise<number>((ok) => (announced = ok));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        const m = /^LOCALSAGE_WORKER_READY (\d+)$/.exec(line);
        if (m) return announced(Number(m[1]));
        this.tail.push(line);
        if (this.tail.length > 30) this.tail.shift();
        this.log(line);
      });
    }
    const exited = new Promise<string>((ok) => {
      child.once('error', (e) => ok(`could not be started: ${e.message}`));
      child.once('exit', (code, signal) => ok(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    });
    void exited.then((why) => this.onExit(child, why));
    if (announcesPort) {
      const r = await Promise.race([portSeen.then((p) => ({ port: p })), exited.then((why) => ({ why }))]);
      if ('why' in r) throw new ContainerLoadError(`The worker ${r.why}: ${this.tail.join('\n').slice(-1500)}`);
      this.port = r.port;
    }
    // Ping until healthy, or until the process gives up; no fixed deadline beyond a generous one.
    let gone: string | undefined;
    void exited.then((why) => (gone = why));
    for (let attempt = 0; attempt < 600; attempt++) {
      if (gone) throw new ContainerLoadError(`The worker ${gone}: ${this.tail.join('\n').slice(-1500)}`);
      try {
        const r = await httpCall(this.port, this.agent, 'GET', '/ping');
        if (r.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await sleep(200);
    }
    throw new ContainerLoadError('The worker did not pass the ping health check.');
  }

  private onExit(child: ChildProcess, why: string): void {
    if (this.stopping || child !== this.child) return;
    this.log(`localsage: the model worker ${why}; restarting it.`);
    this.ready = sleep(500).then(() => (this.stopping ? undefined : this.spawnAndWait()));
    this.ready.catch((e: Error) => this.log(`localsage: the model worker could not be restarted: ${e.message}`));
  }

  async invoke(body: Buffer, contentType: string | undefined, accept: string | undefined): Promise<PredictOutput> {
    try {
      await this.ready;
    } catch (e) {
      throw new ContainerResponseError(`The model container is not running: ${(e as Error).message}`, 500);
    }
    const headers: Record<string, string> = {};
    if (contentType) headers['Content-Type'] = contentType;
    if (accept) headers.Accept = accept;
    let r;
    try {
      r = await httpCall(this.port, this.agent, 'POST', '/invocations', body, headers);
    } catch (e) {
      throw new ContainerResponseError(`The model container did not answer: ${(e as Error).message}`, 500);
    }
    if (r.status < 200 || r.status >= 300) throw new ContainerResponseError(r.body.toString('utf8').slice(0, 4096), r.status);
    return { body: r.body, contentType: r.contentType };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.agent.destroy();
    if (this.dockerName) removeContainer(this.dockerName);
    if (this.child) await killGroup(this.child);
  }
}

/** Starts and stops the workers of the endpoints' container variants. */
export class ContainerServing {
  private generation = 0;

  constructor(private readonly ctx: ServingContext) {}

  async deploy(scope: Scope, endpointName: string, variantName: string, container: ContainerDefinition, instanceCount: number): Promise<DeployedVariant> {
    const runner = this.ctx.resolver.resolve(container.Image!);
    const base = join(this.ctx.dataDir, 'serving', scope.accountId, scope.region, endpointName.toLowerCase(), `${variantName}-${++this.generation}`);
    await rm(base, { recursive: true, force: true });
    await mkdir(join(base, 'model'), { recursive: true });
    await mkdir(join(base, 'code'), { recursive: true });
    const env = { ...(container.Environment ?? {}) };
    if (container.ModelDataUrl) await this.fetchInto(container.ModelDataUrl, join(base, 'model'), 'model data');
    const submit = env.SAGEMAKER_SUBMIT_DIRECTORY;
    if (submit?.startsWith('s3://')) await this.fetchInto(submit, join(base, 'code'), 'the source directory');
    // A repacked model carries its code in model.tar.gz under code/ (SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code).
    const codeDir = submit && submit.startsWith('/opt/ml/') ? join(base, submit.slice('/opt/ml/'.length)) : existsSync(join(base, 'model', 'code')) && !submit ? join(base, 'model', 'code') : join(base, 'code');
    if (codeDir !== join(base, 'code')) {
      await rm(join(base, 'code'), { recursive: true, force: true });
      const { symlink } = await import('node:fs/promises');
      await symlink(codeDir, join(base, 'code'));
    }
    const program = env.SAGEMAKER_PROGRAM || undefined;
    if (runner.kind === 'framework' && runner.framework === 'sklearn' && !program) {
      throw new ContainerLoadError('The scikit-learn image serves with a script: the model needs the SAGEMAKER_PROGRAM environment variable (the SDK\'s entry_point).');
    }
    const group = `/aws/sagemaker/Endpoints/${endpointName}`;
    const workers: Worker[] = [];
    for (let i = 0; i < Math.max(1, instanceCount); i++) {
      const stream = `${variantName}/i-${(this.generation * 1000 + i).toString(16).padStart(17, '0')}`;
      const log = (line: string) => this.ctx.db.appendLogEvents(scope, group, stream, [{ timestamp: this.ctx.clock.now(), message: line }]);
      workers.push(new Worker(runner, base, program, { ...env, SAGEMAKER_MODEL_SERVER_WORKERS: '1', AWS_REGION: scope.region }, log));
    }
    const stopAll = async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await rm(base, { recursive: true, force: true });
    };
    try {
      await Promise.all(workers.map((w) => w.start()));
    } catch (e) {
      await stopAll();
      throw new ContainerLoadError(
        `The primary container for production variant ${variantName} did not pass the ping health check. Please check CloudWatch Logs for this endpoint. ${(e as Error).message}`,
      );
    }
    let next = 0;
    return {
      model: {
        algorithm: 'container',
        predict: (body, contentType, accept) => workers[next++ % workers.length].invoke(body, contentType, accept),
      },
      stop: stopAll,
    };
  }

  private async fetchInto(url: string, dir: string, what: string): Promise<void> {
    let archive: Buffer;
    try {
      const { bucket, key } = parseS3Uri(url);
      archive = await readObject(this.ctx.store, bucket, key);
    } catch {
      throw new ContainerLoadError(
        `Failed to download model data for container "container_1" from URL: "${url}". Please ensure that there is an object located at the URL and that the role passed to CreateModel has permissions to download the object.`,
      );
    }
    try {
      await unpackInto(archive, dir, `The ${what} at ${url}`);
    } catch (e) {
      throw new ContainerLoadError(`Failed to extract ${what} archive from URL "${url}". Please ensure that the object located at the URL is a valid tar.gz archive: ${(e as Error).message}`);
    }
  }
}
