/** K-Means centroids, their file form, and the lean nearest-centre predictor. */
import type { ModelHeader } from '../artifact.js';
import { encodeKMeansArtifact } from '../mxnet-artifact.js';
import { encodePredictions, negotiateAccept, parseInferenceRequest, type ModelAnswer, type Prediction } from '../serving-formats.js';

export interface KMeansModel {
  k: number;
  featureDim: number;
  /** Row-major [k][featureDim]. */
  centroids: Float32Array;
}

/** model_algo-1 as SageMaker writes it (an MXNet NDArray list holding the centroids). */
export function encodeKMeansModel(m: KMeansModel): Buffer {
  return encodeKMeansArtifact(m);
}

export function decodeKMeansModel(header: ModelHeader, tensors: Record<string, Float32Array>): KMeansModel {
  const k = Number(header.k);
  const featureDim = Number(header.feature_dim);
  const centroids = tensors.centroids;
  if (!centroids || centroids.length !== k * featureDim) throw new Error('model_algo-1 kmeans centroids do not match the header');
  return { k, featureDim, centroids };
}

/** Index of and squared distance to the nearest centroid of row r. */
export function nearest(centroids: Float32Array, k: number, d: number, x: Float32Array, r: number): { index: number; sq: number } {
  let index = 0;
  let best = Infinity;
  const xb = r * d;
  for (let c = 0; c < k; c++) {
    const cb = c * d;
    let s = 0;
    for (let j = 0; j < d; j++) {
      const diff = x[xb + j] - centroids[cb + j];
      s += diff * diff;
    }
    if (s < best) (best = s), (index = c);
  }
  return { index, sq: best };
}

export function predictKMeans(m: KMeansModel, body: Buffer, contentType: string | undefined, accept: string | undefined): ModelAnswer {
  const format = negotiateAccept(accept, true);
  const { n, x } = parseInferenceRequest(body, contentType, m.featureDim);
  const preds: Prediction[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const { index, sq } = nearest(m.centroids, m.k, m.featureDim, x, r);
    preds[r] = { closest_cluster: index, distance_to_cluster: Math.sqrt(sq) };
  }
  return encodePredictions(preds, format, ['closest_cluster', 'distance_to_cluster']);
}
