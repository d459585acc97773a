import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import type { ContainerDefinition } from '@aws-sdk/client-sagemaker';
import { algorithmForImage, loadModel } from '../../../../algorithms/index.js';
import type { ContainerRuntime } from '../../../containers/index.js';
import type { Scope } from '../../../storage/database.js';
import { parseS3Uri, readObject, type ObjectStore } from '../../../storage/object-store.js';
import { loadPipeline } from '../../runtime/inference-pipeline.js';
import { fetchModelFile } from '../../runtime/serving-registry.js';

/** A failure the job reports as its FailureReason. */
export class BenchmarkError extends Error {}

/** Invocations measured per job (after a few to warm up), and the most time spent measuring. */
const MEASURED = 200;
const WARMUP = 5;
const MAX_MEASURE_MS = 3_000;

/**
 * The sample payloads: SamplePayloadUrl names a gzip-compressed tar archive of payload files (API
 * reference, RecommendationJobPayloadConfig); each file is one request body.
 */
export async function samplePayloads(store: ObjectStore, url: string): Promise<Buffer[]> {
  const { bucket, key } = parseS3Uri(url);
  let archive: Buffer;
  try {
    archive = await readObject(store, bucket, key);
  } catch (e) {
    throw new BenchmarkError(`Could not read the sample payload archive ${url}: ${(e as Error).message}`);
  }
  let tarBytes: Buffer;
  try {
    tarBytes = gunzipSync(archive);
  } catch {
    throw new BenchmarkError(`The sample payload ${url} is not a gzip-compressed tar archive (.tar.gz).`);
  }
  const out: Buffer[] = [];
  const extract = tar.extract();
  Readable.from([tarBytes]).pipe(extract);
  try {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      if (entry.header.type === 'file' && chunks.length) out.push(Buffer.concat(chunks));
    }
  } catch (e) {
    throw new BenchmarkError(`The sample payload ${url} is not a valid tar archive: ${(e as Error).message}`);
  }
  if (!out.length) throw new BenchmarkError(`The sample payload archive ${url} holds no payload files.`);
  return out;
}

/**
 * Invokes the model with the payloads, one request at a time, as the endpoint's container would
 * serve them: a built-in algorithm in-process, any other image through the container runtime
 * (a worker process like an endpoint's). Returns the sorted latencies in milliseconds.
 */
export async function measureLatency(
  scope: Scope,
  store: ObjectStore,
  containers: ContainerRuntime,
  jobName: string,
  container: ContainerDefinition,
  payloads: Buffer[],
  contentType: string,
  /** A model's Containers when it has several: they serve as one serial inference pipeline. */
  pipeline?: ContainerDefinition[],
): Promise<number[]> {
  let predict: (body: Buffer) => unknown;
  let stop = async () => {};
  if (pipeline?.length) {
    // A serial inference pipeline (an AutoML candidate's, say): measured whole, as its endpoint serves it.
    let loaded;
    try {
      loaded = await loadPipeline(
        pipeline,
        async (url, environment) => loadModel(await fetchModelFile(store, url), environment),
        (c) => containers.deploy(scope, `ir-${jobName}`, 'benchmark', c, 1),
      );
    } catch (e) {
      throw new BenchmarkError(`Could not serve the model's containers: ${(e as Error).message}`);
    }
    const model = loaded.model;
    predict = (body) => model.predict(body, contentType, undefined);
    stop = async () => void (await Promise.all(loaded.deployed.map((d) => d.stop())));
  } else if (algorithmForImage(container.Image!)) {
    let model;
    try {
      model = loadModel(await fetchModelFile(store, container.ModelDataUrl!));
    } catch (e) {
      throw new BenchmarkError(`Could not load the model from ${container.ModelDataUrl}: ${(e as Error).message}`);
    }
    predict = (body) => model.predict(body, contentType, undefined);
  } else {
    let deployed;
    try {
      deployed = await containers.deploy(scope, `ir-${jobName}`, 'benchmark', container, 1);
    } catch (e) {
      throw new BenchmarkError(`Could not serve the model's container ${container.Image}: ${(e as Error).message}`);
    }
    predict = (body) => deployed.model.predict(body, contentType, undefined);
    stop = () => deployed.stop();
  }
  try {
    const samples: number[] = [];
    const started = performance.now();
    for (let i = 0; i < WARMUP + MEASURED && performance.now() - started < MAX_MEASURE_MS; i++) {
      const t0 = performance.now();
      try {
        await predict(payloads[i % payloads.length]);
      } catch (e) {
        throw new BenchmarkError(`The model rejected the sample payload (${contentType}): ${(e as Error).message}`);
      }
      if (i >= WARMUP) samples.push(performance.now() - t0);
    }
    if (!samples.length) throw new BenchmarkError('The model answered no sample request within the measuring time.');
    return samples.sort((a, b) => a - b);
  } finally {
    await stop();
  }
}
