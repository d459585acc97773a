/** Public API of the built-in algorithms (Linear Learner, K-Means) used by the emulator. */
import { isProcessingModel, loadProcessingModel } from './automl-processing.js';
import { AlgorithmError } from './errors.js';
import { validateKMeans } from './kmeans/hyperparameters.js';
import { predictKMeans } from './kmeans/model.js';
import { validateLinearLearner } from './linear-learner/hyperparameters.js';
import { predictLinear } from './linear-learner/model.js';
import { decodeAlgorithmModel } from './model-file.js';
import { makeLogger } from './log.js';
import type { AlgorithmName, TrainRequest, TrainResult } from './types.js';
import type { ModelAnswer } from './serving-formats.js';

// The trainers (and tfjs behind them) are imported when a job trains, in its worker thread: the
// emulator's main thread only validates hyperparameters and serves models, and starts faster
// without loading tfjs.

/** The seed of a job that names none, so the same job always yields the same model. */
const DEFAULT_SEED = 20240607;

export type { AlgorithmName, ChannelFiles, Collective, TrainRequest, TrainResult } from './types.js';
export { AlgorithmError, InferenceInputError, UnsupportedMediaError } from './errors.js';
export { algorithmForImage, imageUriFor, ALGORITHM_ACCOUNTS } from './images.js';
export { packModelArtifact, unpackModelArtifact, MODEL_FORMAT_VERSION } from './artifact.js';
export { decodeAlgorithmModel, modelTensors, type DecodedModel } from './model-file.js';
export { ArtifactFormatError } from './mxnet-artifact.js';
export { metricDefinitions, type MetricDefinition } from './metric-definitions.js';
export { writeRecordIO, readRecordIO, frameRecords, readFrames, RecordIOError, type RowInput, type RecordInput } from './recordio.js';
export { encodeRecord, decodeRecord, type ProtobufRecord, type RecordValue, type Tensor, type BytesValue, type TensorDType } from './protobuf-record.js';
export { formatLogLine } from './log.js';
export { isProcessingImage, processingImageUri, type ProcessingSpec, type ColumnSpec } from './automl-processing.js';
export { answerBytes, type ModelAnswer } from './serving-formats.js';

export function validateHyperParameters(algorithm: AlgorithmName, hp: Record<string, string>): void {
  if (algorithm === 'kmeans') validateKMeans(hp);
  else if (algorithm === 'linear-learner') validateLinearLearner(hp);
  else throw new AlgorithmError(`Unknown algorithm ${String(algorithm)}`);
}

export async function train(req: TrainRequest): Promise<TrainResult> {
  const log = makeLogger(req.log);
  const seed = req.seed ?? DEFAULT_SEED;
  const hostCount = req.hosts.length;
  if (hostCount > 1 && !req.collective) throw new Error(`Training on ${hostCount} hosts needs a collective link between them`);
  const ctx = { host: req.host, hostCount, collective: req.collective };
  if (hostCount > 1) log(`Data-parallel training on ${req.host} of ${hostCount} hosts (${req.hosts.join(', ')}); parameters are averaged every epoch.`);
  if (req.algorithm === 'kmeans') {
    const cfg = validateKMeans(req.hyperParameters);
    log(`Reading provided configuration from /opt/ml/input/config/hyperparameters.json: ${JSON.stringify(req.hyperParameters)}`);
    const { trainKMeans } = await import('./kmeans/train.js');
    return { model: await trainKMeans(cfg, req.channels, log, seed, ctx) };
  }
  if (req.algorithm === 'linear-learner') {
    const cfg = validateLinearLearner(req.hyperParameters);
    log(`Reading provided configuration from /opt/ml/input/config/hyperparameters.json: ${JSON.stringify(req.hyperParameters)}`);
    const { trainLinearLearner } = await import('./linear-learner/train.js');
    return { model: await trainLinearLearner(cfg, req.channels, log, seed, ctx) };
  }
  throw new AlgorithmError(`Unknown algorithm ${String(req.algorithm)}`);
}

export interface LoadedModel {
  algorithm: AlgorithmName | 'sagemaker-sklearn-automl' | 'inference-pipeline';
  /** Throws InferenceInputError (bad payload) or UnsupportedMediaError (bad Content-Type / Accept). */
  predict(body: Buffer, contentType: string | undefined, accept: string | undefined): ModelAnswer;
}

/** A built-in model from its model_algo-1; the environment picks an AutoML processing model's mode. */
export function loadModel(modelAlgo1: Buffer, environment?: Record<string, string>): LoadedModel {
  if (isProcessingModel(modelAlgo1)) return loadProcessingModel(modelAlgo1, environment);
  const decoded = decodeAlgorithmModel(modelAlgo1);
  if (decoded.algorithm === 'linear-learner') {
    const m = decoded.model;
    return { algorithm: 'linear-learner', predict: (body, ct, accept) => predictLinear(m, body, ct, accept) };
  }
  const m = decoded.model;
  return { algorithm: 'kmeans', predict: (body, ct, accept) => predictKMeans(m, body, ct, accept) };
}
