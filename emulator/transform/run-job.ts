import type { ContainerDefinition, DescribeTransformJobResponse } from '@aws-sdk/client-sagemaker';
import { formatLogLine } from '../../algorithms/index.js';
import { Rng } from '../../core/random.js';
import type { ServiceDeps } from '../services/deps.js';
import { fetchModelFile, fetchPipelineFiles } from '../services/runtime/serving-registry.js';
import type { Scope } from '../storage/database.js';
import { parseS3Uri, StoreError } from '../storage/object-store.js';
import { ChannelDataError, resolveObjects, type SourceObject } from '../training/channels.js';
import type { BatchSettings } from './batch.js';
import { BatchRequestError, ModelInstance, type InstanceModel } from './instance.js';
import { PayloadTooLargeError, RecordFormatError, type SplitType } from './records.js';
import { transformObject, type ObjectPlan, type ObjectSettings } from './run-object.js';

export const TRANSFORM_LOG_GROUP = '/aws/sagemaker/TransformJobs';

export interface TransformRun {
  /** Resolves when every object is transformed; rejects with the job's FailureReason. */
  done: Promise<void>;
  stop(): Promise<void>;
}

const CLIENT_ERROR = 'ClientError: See job logs for more information';
const ALGORITHM_ERROR = 'AlgorithmError: See job logs for more information';

/** EC2-style instance ids (`i-` and 17 hex digits), as in AWS's transform log stream names. */
function instanceId(rng: Rng): string {
  let id = 'i-0';
  for (let i = 0; i < 16; i++) id += rng.int(16).toString(16);
  return id;
}

/** `<input key relative to the S3Uri's folder>.out` under the output path. */
function outputPlan(job: DescribeTransformJobResponse, objects: SourceObject[]): ObjectPlan[] {
  const source = job.TransformInput!.DataSource!.S3DataSource!;
  const output = parseS3Uri(job.TransformOutput!.S3OutputPath!);
  const outPrefix = output.key === '' || output.key.endsWith('/') ? output.key : `${output.key}/`;
  const base = source.S3DataType === 'ManifestFile' ? undefined : parseS3Uri(source.S3Uri!).key.replace(/[^/]*$/, '');
  return objects.map((o) => {
    const rel = base !== undefined && o.key.startsWith(base) ? o.key.slice(base.length) : o.key.split('/').pop()!;
    return { bucket: o.bucket, key: o.key, outBucket: output.bucket, outKey: `${outPrefix}${rel}.out` };
  });
}

/**
 * Runs one transform job: lists the input, starts one worker per instance with the model, and
 * gives each instance every n-th object. Logs go to /aws/sagemaker/TransformJobs, one stream per
 * instance, `<job>/<instance-id>-<epoch-seconds>`; the `[sagemaker logs]` lines that AWS keeps
 * in a separate `/data-log` stream are written to the same stream (see the README: the Python
 * SDK's log reader cannot page over two streams per instance).
 */
export function runTransform(
  deps: ServiceDeps,
  scope: Scope,
  job: DescribeTransformJobResponse,
  modelDataUrl: string,
  hooks: { started: () => void },
  /** A model of several in-process containers: its serial inference pipeline (inference-pipeline.ts). */
  pipeline?: ContainerDefinition[],
): TransformRun {
  const { clock, db, store } = deps;
  const instances: ModelInstance[] = [];
  let stopped = false;
  // Set by the first failure: the other instances end quietly instead of logging their cut-off work.
  let failed = false;
  const alive = () => !stopped && !failed;
  const count = Math.max(1, job.TransformResources?.InstanceCount ?? 1);
  const rng = new Rng(clock.now() % 2 ** 32);
  const epoch = Math.floor(clock.now() / 1000);
  const streams = Array.from({ length: count }, () => `${job.TransformJobName}/${instanceId(rng)}-${epoch}`);
  const log = (i: number, line: string) => db.appendLogEvents(scope, TRANSFORM_LOG_GROUP, streams[i], [{ timestamp: clock.now(), message: line }]);
  const dataLog = (i: number, line: string) => log(i, `${new Date(clock.now()).toISOString().replace(/Z$/, '')}:[sagemaker logs]: ${line}`);

  const strategy = job.BatchStrategy ?? 'MultiRecord';
  const split = (job.TransformInput!.SplitType ?? 'None') as SplitType;
  const batch: BatchSettings = {
    contentType: job.TransformInput!.ContentType,
    accept: job.TransformOutput!.Accept,
    split,
    processing: {
      inputFilter: job.DataProcessing?.InputFilter,
      joinSource: job.DataProcessing?.JoinSource as 'Input' | 'None' | undefined,
      outputFilter: job.DataProcessing?.OutputFilter,
    },
  };
  const objectSettings: ObjectSettings = {
    split,
    strategy,
    maxPayloadBytes: (job.MaxPayloadInMB ?? 6) * 1024 * 1024,
    maxConcurrent: Math.max(1, job.MaxConcurrentTransforms ?? 1),
    assembleWithLine: job.TransformOutput!.AssembleWith === 'Line',
    gzip: job.TransformInput!.CompressionType === 'Gzip',
    accept: job.TransformOutput!.Accept,
    timeoutMs: (job.ModelClientConfig?.InvocationsTimeoutInSeconds ?? 600) * 1000,
    schedule: (ms, fn) => clock.schedule(ms, fn),
  };

  const done = (async () => {
    await clock.sleep(deps.timing.transformStarting);
    if (!alive()) return;
    hooks.started();
    const source = job.TransformInput!.DataSource!.S3DataSource!;
    let objects: SourceObject[];
    let model: InstanceModel;
    try {
      objects = await resolveObjects(store, source.S3DataType ?? 'S3Prefix', source.S3Uri!);
      if (!objects.length) {
        throw new ChannelDataError(`No S3 objects found under S3 URL "${source.S3Uri}" given in input data source. Please ensure that the bucket exists in the selected region (${scope.region}), that objects exist under that S3 prefix, and that the role has permission to read them.`);
      }
      model = pipeline ? await fetchPipelineFiles(store, pipeline) : await fetchModelFile(store, modelDataUrl);
    } catch (e) {
      throw `ClientError: ${(e as Error).message}`;
    }
    const plans = outputPlan(job, objects);
    try {
      for (let i = 0; i < count && alive(); i++) {
        log(i, formatLogLine('Docker entrypoint called with argument(s): serve'));
        log(i, formatLogLine(`Loading the model of transform job ${job.TransformJobName} (${job.ModelName}) from ${modelDataUrl}`));
        const instance = new ModelInstance(model, batch);
        instances.push(instance);
        try {
          await instance.ready;
        } catch (e) {
          log(i, formatLogLine(`Failed to load the model: ${(e as Error).message}`, 'ERROR'));
          throw `ClientError: Failed to load the model from ${modelDataUrl}: ${(e as Error).message}`;
        }
        log(i, formatLogLine('Model loaded; serving POST /invocations'));
        dataLog(i, `MaxConcurrentTransforms=${objectSettings.maxConcurrent}, MaxPayloadInMB=${job.MaxPayloadInMB ?? 6}, BatchStrategy=${strategy === 'SingleRecord' ? 'SINGLE_RECORD' : 'MULTI_RECORD'}`);
      }
      await Promise.all(
        instances.map(async (instance, i) => {
          for (let n = i; n < plans.length && alive(); n += count) {
            const plan = plans[n];
            const where = `${plan.bucket}/${plan.key}`;
            try {
              await transformObject(store, instance, plan, objectSettings, alive);
            } catch (e) {
              if (!alive()) return;
              failed = true;
              throw failure(e, where, (line) => dataLog(i, line));
            }
          }
        }),
      );
    } finally {
      // Every instance ends with the job, whichever way it ends.
      await Promise.all(instances.map((x) => x.terminate()));
    }
  })();
  done.catch(() => {});
  return {
    done,
    async stop() {
      stopped = true;
      await Promise.all(instances.map((x) => x.terminate()));
    },
  };
}

/** Writes the data log lines AWS writes for a failed object and returns the FailureReason. */
function failure(e: unknown, where: string, dataLog: (line: string) => void): string {
  if (e instanceof BatchRequestError) {
    const kind = e.failure.status >= 500 ? 'AlgorithmError' : 'ClientError';
    dataLog(`${where}: ${kind}: ${e.failure.status}`);
    dataLog(`${where}:`);
    dataLog(`${where}: Message:`);
    for (const line of e.failure.message.split('\n')) dataLog(`${where}: ${line}`);
    return kind === 'ClientError' ? CLIENT_ERROR : ALGORITHM_ERROR;
  }
  // The input's own faults, and S3 refusing a read or write (a missing output bucket), are the user's.
  if (e instanceof PayloadTooLargeError || e instanceof RecordFormatError || e instanceof StoreError || (e as NodeJS.ErrnoException)?.code === 'Z_DATA_ERROR') {
    dataLog(`${where}: ${(e as Error).message}`);
    return CLIENT_ERROR;
  }
  // Includes InvocationTimeoutError: the model server did not answer in time.
  dataLog(`${where}: ${(e as Error)?.message ?? String(e)}`);
  return ALGORITHM_ERROR;
}
