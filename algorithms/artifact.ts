/** model.tar.gz packing (one member `model_algo-1`) and the reader of localsage v1's `model_algo-1` container. */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';

export const MODEL_MEMBER = 'model_algo-1';

export async function packModelArtifact(modelAlgo1: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: MODEL_MEMBER, size: modelAlgo1.length, mode: 0o644, mtime: new Date(0) }, modelAlgo1);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return gzipSync(Buffer.concat(chunks));
}

export async function unpackModelArtifact(tarGz: Buffer): Promise<Buffer> {
  let tarBytes: Buffer;
  try {
    tarBytes = gunzipSync(tarGz);
  } catch (e) {
    throw new Error(`model artifact is not a gzip file: ${(e as Error).message}`);
  }
  const extract = tar.extract();
  Readable.from([tarBytes]).pipe(extract);
  let found: Buffer | undefined;
  const members: string[] = [];
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '');
      if (entry.header.type === 'file') members.push(name);
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      if (name === MODEL_MEMBER && entry.header.type === 'file') found = Buffer.concat(chunks);
    }
  } catch (e) {
    throw new Error(`model artifact is not a valid tar archive: ${(e as Error).message}`);
  }
  if (!found) {
    // Name what it is instead, so that a framework model sent to a built-in image says so.
    const hint = members.includes('xgboost-model')
      ? ': it is an XGBoost model; serve it with the XGBoost image'
      : members.some((m) => m.endsWith('.joblib') || m.endsWith('.pkl'))
        ? ': it looks like a scikit-learn model; serve it with the scikit-learn image and an entry point'
        : '';
    throw new Error(`model artifact does not contain ${MODEL_MEMBER} (it holds ${members.length ? members.slice(0, 10).join(', ') : 'no files'})${hint}`);
  }
  return found;
}

// ---------------------------------------------------------------- localsage v1 model_algo-1
// Earlier localsage versions wrote their own container (read here so their artifacts keep
// loading; new models use SageMaker's formats, see mxnet-artifact.ts). Layout: 8-byte magic,
// uint32 LE header length, JSON header, zero padding to 4 bytes, float32 LE blobs.

const MAGIC = Buffer.from('LSAGEMDL', 'ascii');
export const MODEL_FORMAT_VERSION = 1;

export interface ModelHeader {
  format_version: number;
  algorithm: string;
  [key: string]: unknown;
}

interface StoredHeader extends ModelHeader {
  tensors: { name: string; offset: number; length: number }[];
}

export class ModelFormatError extends Error {}

export function decodeModelFile(buf: Buffer): { header: ModelHeader; tensors: Record<string, Float32Array> } {
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) {
    throw new ModelFormatError('model_algo-1 is not a localsage built-in algorithm model (bad magic)');
  }
  const jsonLen = buf.readUInt32LE(8);
  if (12 + jsonLen > buf.length) throw new ModelFormatError('model_algo-1 is truncated (header)');
  let header: StoredHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + jsonLen)) as StoredHeader;
  } catch {
    throw new ModelFormatError('model_algo-1 has a corrupt header');
  }
  if (typeof header.format_version !== 'number' || header.format_version > MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(`model_algo-1 format version ${String(header.format_version)} is not supported`);
  }
  const dataStart = (12 + jsonLen + 3) & ~3;
  const tensors: Record<string, Float32Array> = {};
  for (const e of header.tensors ?? []) {
    const start = dataStart + e.offset;
    if (start + e.length * 4 > buf.length) throw new ModelFormatError(`model_algo-1 is truncated (tensor ${e.name})`);
    // Copy so the result is aligned and independent of the caller's buffer.
    const t = new Float32Array(e.length);
    Buffer.from(t.buffer).set(buf.subarray(start, start + e.length * 4));
    tensors[e.name] = t;
  }
  const { tensors: _omit, ...rest } = header;
  return { header: rest, tensors };
}
