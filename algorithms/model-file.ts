/**
 * Reads model_algo-1 in any form localsage has written or SageMaker writes, and says what the
 * real problem is when it is none of them.
 *  - a zip (an MXNet checkpoint): Linear Learner, as SageMaker writes it (and localsage since v2)
 *  - an MXNet NDArray list: K-Means, as SageMaker writes it (and localsage since v2)
 *  - `LSAGEMDL`: the container of earlier localsage versions (format_version 1), still loaded
 */
import { decodeModelFile } from './artifact.js';
import { decodeKMeansModel, type KMeansModel } from './kmeans/model.js';
import { decodeLinearModel, type LinearModel } from './linear-learner/model.js';
import { ArtifactFormatError, decodeKMeansArtifact, decodeLinearLearnerArtifact, isZip } from './mxnet-artifact.js';
import { isNDArrayList } from './mxnet-ndarray.js';

export type DecodedModel = { algorithm: 'linear-learner'; model: LinearModel } | { algorithm: 'kmeans'; model: KMeansModel };

const LEGACY_MAGIC = Buffer.from('LSAGEMDL', 'ascii');

/** What a foreign model_algo-1 looks like, for the error message. */
function describeForeign(buf: Buffer): string {
  if (buf.length === 0) return 'model_algo-1 is empty';
  if (buf[0] === 0x1f && buf[1] === 0x8b) return 'model_algo-1 is itself gzip-compressed; SageMaker stores it uncompressed inside model.tar.gz';
  if (buf[0] === 0x80 && buf[1] >= 2 && buf[1] <= 5) return 'model_algo-1 is a Python pickle (an XGBoost or scikit-learn model?); serve it with that framework\'s image, not a built-in algorithm';
  if (buf[0] === 0x7b || buf[0] === 0x5b) return 'model_algo-1 is a JSON document, not a model (a Linear Learner model is a zipped MXNet checkpoint, a K-Means model an MXNet NDArray file)';
  if (buf.subarray(0, 6).toString('latin1') === 'binf\u0000\u0000' || buf.subarray(0, 4).toString('latin1') === '{L\u0000\u0000') return 'model_algo-1 is an XGBoost model; serve it with the XGBoost image';
  return `model_algo-1 is neither a Linear Learner model (a zipped MXNet checkpoint) nor a K-Means model (an MXNet NDArray file): it starts with bytes ${buf.subarray(0, 8).toString('hex')}`;
}

export function decodeAlgorithmModel(buf: Buffer): DecodedModel {
  if (isZip(buf)) return { algorithm: 'linear-learner', model: decodeLinearLearnerArtifact(buf) };
  if (isNDArrayList(buf)) return { algorithm: 'kmeans', model: decodeKMeansArtifact(buf) };
  if (buf.length >= 8 && buf.subarray(0, 8).equals(LEGACY_MAGIC)) {
    const { header, tensors } = decodeModelFile(buf);
    if (header.algorithm === 'linear-learner') return { algorithm: 'linear-learner', model: decodeLinearModel(header, tensors) };
    if (header.algorithm === 'kmeans') return { algorithm: 'kmeans', model: decodeKMeansModel(header, tensors) };
    throw new ArtifactFormatError(`model_algo-1 holds an unknown algorithm '${String(header.algorithm)}'`);
  }
  throw new ArtifactFormatError(describeForeign(buf));
}

/** The parameters as flat tensors: weights [featureDim][outputs] and bias, or centroids [k][featureDim]. */
export function modelTensors(buf: Buffer): Record<string, Float32Array> {
  const d = decodeAlgorithmModel(buf);
  return d.algorithm === 'kmeans' ? { centroids: d.model.centroids } : { weights: d.model.weights, bias: d.model.bias };
}
