/**
 * model_algo-1 as SageMaker's Linear Learner and K-Means write it, so that models travel both
 * ways between localsage and SageMaker:
 *  - Linear Learner: a zip of an MXNet Module checkpoint, `mx-mod-symbol.json` and
 *    `mx-mod-0000.params` (arg:fc0_weight, arg:fc0_bias), plus `manifest.json` and
 *    `additional-params.json`. AWS documents loading it with `mx.module.Module.load('mx-mod', 0)`
 *    after unzipping model_algo-1.
 *  - K-Means: the NDArray list file itself, one array of centroids [k, feature_dim]; AWS's
 *    examples read it with `mx.ndarray.load('model_algo-1')[0]`.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { KMeansModel } from './kmeans/model.js';
import type { LinearModel } from './linear-learner/model.js';
import type { LossName, PredictorType } from './linear-learner/hyperparameters.js';
import { decodeNDArrayList, encodeNDArrayList, type NDArray } from './mxnet-ndarray.js';

export class ArtifactFormatError extends Error {}

const MXNET_VERSION = 10600; // the symbol format of MXNet 1.6, which the 1.x loaders all read

interface SymbolNode {
  op: string;
  name: string;
  attrs?: Record<string, string>;
  inputs: [number, number, number][];
}

function symbolJson(outputs: number, activation: 'sigmoid' | 'softmax' | undefined): string {
  const hidden = { num_hidden: String(outputs), no_bias: 'False', flatten: 'True' };
  const nodes: SymbolNode[] = [
    { op: 'null', name: 'data', inputs: [] },
    { op: 'null', name: 'fc0_weight', attrs: hidden, inputs: [] },
    { op: 'null', name: 'fc0_bias', attrs: hidden, inputs: [] },
    { op: 'FullyConnected', name: 'fc0', attrs: hidden, inputs: [[0, 0, 0], [1, 0, 0], [2, 0, 0]] },
  ];
  if (activation === 'sigmoid') nodes.push({ op: 'sigmoid', name: 'sigmoid0', inputs: [[3, 0, 0]] });
  if (activation === 'softmax') nodes.push({ op: 'softmax', name: 'softmax0', attrs: { axis: '-1' }, inputs: [[3, 0, 0]] });
  return JSON.stringify({
    nodes,
    arg_nodes: [0, 1, 2],
    node_row_ptr: nodes.map((_, i) => i).concat(nodes.length),
    heads: [[nodes.length - 1, 0, 0]],
    attrs: { mxnet_version: ['int', MXNET_VERSION] },
  });
}

export function encodeLinearLearnerArtifact(m: LinearModel): Buffer {
  // FullyConnected keeps its weight as [num_hidden, input_dim]; ours is [featureDim][outputs].
  const weight = new Float32Array(m.outputs * m.featureDim);
  for (let j = 0; j < m.featureDim; j++) for (let k = 0; k < m.outputs; k++) weight[k * m.featureDim + j] = m.weights[j * m.outputs + k];
  const params = encodeNDArrayList(
    [
      { shape: [m.outputs, m.featureDim], data: weight },
      { shape: [m.outputs], data: Float32Array.from(m.bias) },
    ],
    ['arg:fc0_weight', 'arg:fc0_bias'],
  );
  const activation = m.predictorType === 'multiclass_classifier' ? 'softmax' : m.predictorType === 'binary_classifier' && m.loss === 'logistic' ? 'sigmoid' : undefined;
  const additional = {
    predictor_type: m.predictorType,
    loss: m.loss,
    feature_dim: m.featureDim,
    num_classes: m.predictorType === 'multiclass_classifier' ? m.outputs : undefined,
    binary_classifier_threshold: m.threshold,
    hyperparameters: m.hyperparameters,
  };
  const files = {
    'additional-params.json': strToU8(JSON.stringify(additional)),
    'manifest.json': strToU8(JSON.stringify({ files: ['mx-mod-symbol.json', 'mx-mod-0000.params', 'additional-params.json'] })),
    'mx-mod-symbol.json': strToU8(symbolJson(m.outputs, activation)),
    'mx-mod-0000.params': new Uint8Array(params),
  };
  return Buffer.from(zipSync(files, { level: 6, mtime: new Date('2020-01-01T00:00:00Z') }));
}

export function isZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50;
}

/** Reads a Linear Learner model_algo-1 (a zipped MXNet checkpoint), ours or SageMaker's. */
export function decodeLinearLearnerArtifact(buf: Buffer): LinearModel {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    throw new ArtifactFormatError(`model_algo-1 is a damaged zip archive: ${(e as Error).message}`);
  }
  const names = Object.keys(files);
  const symbolName = names.find((n) => n.endsWith('-symbol.json'));
  const paramsName = names.filter((n) => /-\d{4}\.params$/.test(n)).sort().pop();
  if (!symbolName || !paramsName) {
    throw new ArtifactFormatError(`model_algo-1 is a zip archive but not an MXNet checkpoint: it holds ${names.join(', ') || 'nothing'}, without a *-symbol.json and a *-NNNN.params`);
  }
  let symbol: { nodes?: SymbolNode[] };
  try {
    symbol = JSON.parse(strFromU8(files[symbolName]));
  } catch (e) {
    throw new ArtifactFormatError(`model_algo-1: ${symbolName} is not valid JSON: ${(e as Error).message}`);
  }
  const { arrays, names: keys } = decodeNDArrayList(Buffer.from(files[paramsName]), `model_algo-1: ${paramsName}`);
  const byName = new Map<string, NDArray>(keys.map((k, i) => [k.replace(/^(arg|aux):/, ''), arrays[i]]));
  const nodes = symbol.nodes ?? [];
  // The layer: the FullyConnected (or dot) node fed by a *_weight argument.
  const layer = nodes.find((n) => (n.op === 'FullyConnected' || n.op === 'dot') && n.inputs.some(([i]) => nodes[i]?.name.endsWith('_weight')));
  if (!layer) throw new ArtifactFormatError(`model_algo-1: ${symbolName} has no FullyConnected or dot layer over a *_weight parameter, so it is not a linear model`);
  const weightName = layer.inputs.map(([i]) => nodes[i]?.name).find((n) => n?.endsWith('_weight'))!;
  const biasName = layer.inputs.map(([i]) => nodes[i]?.name).find((n) => n?.endsWith('_bias')) ?? weightName.replace(/_weight$/, '_bias');
  const w = byName.get(weightName);
  if (!w || w.shape.length !== 2) throw new ArtifactFormatError(`model_algo-1: ${paramsName} has no 2-d ${weightName}`);
  const b = byName.get(biasName);
  // FullyConnected: [outputs, featureDim]; dot(data, W): [featureDim, outputs].
  const [outputs, featureDim] = layer.op === 'FullyConnected' ? w.shape : [w.shape[1], w.shape[0]];
  const weights = new Float32Array(featureDim * outputs);
  for (let j = 0; j < featureDim; j++) {
    for (let k = 0; k < outputs; k++) weights[j * outputs + k] = layer.op === 'FullyConnected' ? w.data[k * featureDim + j] : w.data[j * outputs + k];
  }
  const bias = b ? Float32Array.from(b.data) : new Float32Array(outputs);
  if (bias.length !== outputs) throw new ArtifactFormatError(`model_algo-1: ${biasName} holds ${bias.length} values for ${outputs} outputs`);

  let extra: Record<string, unknown> = {};
  if (files['additional-params.json']) {
    try {
      extra = JSON.parse(strFromU8(files['additional-params.json'])) as Record<string, unknown>;
    } catch {
      throw new ArtifactFormatError('model_algo-1: additional-params.json is not valid JSON');
    }
  }
  const ops = new Set(nodes.map((n) => n.op.toLowerCase()));
  const inferred: PredictorType =
    outputs > 1 ? 'multiclass_classifier' : ops.has('sigmoid') || ops.has('logisticregressionoutput') ? 'binary_classifier' : 'regressor';
  const predictorType = (['binary_classifier', 'multiclass_classifier', 'regressor'].includes(String(extra.predictor_type)) ? extra.predictor_type : inferred) as PredictorType;
  const loss = (typeof extra.loss === 'string' ? extra.loss : predictorType === 'binary_classifier' ? 'logistic' : predictorType === 'multiclass_classifier' ? 'softmax_loss' : 'squared_loss') as LossName;
  const threshold = Number(extra.binary_classifier_threshold ?? (loss === 'hinge_loss' ? 0 : 0.5));
  return { predictorType, loss, featureDim, outputs, weights, bias, threshold, hyperparameters: (extra.hyperparameters ?? {}) as Record<string, number | string> };
}

export function encodeKMeansArtifact(m: KMeansModel): Buffer {
  return encodeNDArrayList([{ shape: [m.k, m.featureDim], data: m.centroids }]);
}

export function decodeKMeansArtifact(buf: Buffer): KMeansModel {
  const { arrays } = decodeNDArrayList(buf, 'model_algo-1');
  const c = arrays[0];
  if (!c || c.shape.length !== 2) throw new ArtifactFormatError(`model_algo-1 is an NDArray list but its first array is not a [k, feature_dim] matrix of centroids (shape [${c?.shape ?? ''}])`);
  return { k: c.shape[0], featureDim: c.shape[1], centroids: c.data };
}
