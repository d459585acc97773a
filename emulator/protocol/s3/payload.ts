import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AwsError } from '../errors.js';
import { chunkSigningFor } from '../sigv4.js';
import { AwsChunkedDecoder } from './chunked.js';
import {
  CHECKSUM_ALGORITHMS,
  checksumHeader,
  createDigest,
  isWellFormed,
  parseAlgorithm,
  type ChecksumAlgorithm,
  type Digest,
} from './checksums.js';
import { s3Error } from './errors.js';

/**
 * A request body as the operation sees it: aws-chunked framing removed, and every integrity
 * claim the client made (Content-MD5, x-amz-checksum-* header or trailer, a hex
 * x-amz-content-sha256) checked when the stream ends. A failed check errors the stream, so a
 * store consuming it never commits the object.
 */
export interface Payload {
  stream: Readable;
  /** Decoded length when the client declared it. */
  length?: number;
  /** Checksums (base64, keyed by algorithm) of the decoded body; complete once `stream` ends. */
  checksums: Record<string, string>;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isAwsChunked(req: IncomingMessage): boolean {
  const sha = header(req, 'x-amz-content-sha256') ?? '';
  const encoding = header(req, 'content-encoding') ?? '';
  return sha.startsWith('STREAMING-') || encoding.split(',').some((e) => e.trim() === 'aws-chunked');
}

interface Expectations {
  /** Value from a header, or undefined when it comes in the trailer. */
  checksums: Map<ChecksumAlgorithm, string | undefined>;
  md5?: string;
  sha256Hex?: string;
}

function readExpectations(req: IncomingMessage, chunked: boolean): Expectations {
  const checksums = new Map<ChecksumAlgorithm, string | undefined>();
  for (const alg of CHECKSUM_ALGORITHMS) {
    const value = header(req, checksumHeader(alg));
    if (value === undefined) continue;
    if (!isWellFormed(alg, value)) {
      throw s3Error('InvalidRequest', {}, `Value for ${checksumHeader(alg)} header is invalid.`);
    }
    checksums.set(alg, value);
  }
  const trailer = header(req, 'x-amz-trailer');
  if (trailer) {
    if (!chunked) throw s3Error('InvalidRequest', {}, 'x-amz-trailer requires an aws-chunked body.');
    for (const name of trailer.split(',').map((s) => s.trim().toLowerCase())) {
      const alg = parseAlgorithm(name.replace(/^x-amz-checksum-/, ''));
      if (!name.startsWith('x-amz-checksum-') || !alg) {
        throw s3Error('InvalidRequest', {}, `The value specified in the x-amz-trailer header is not supported`);
      }
      if (!checksums.has(alg)) checksums.set(alg, undefined);
    }
  }
  if (checksums.size > 1) {
    throw s3Error('InvalidRequest', {}, 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  }
  const md5 = header(req, 'content-md5');
  if (md5 !== undefined && Buffer.from(md5, 'base64').length !== 16) throw s3Error('InvalidDigest');
  const sha = header(req, 'x-amz-content-sha256');
  return { checksums, md5, sha256Hex: sha && HEX_SHA256.test(sha) ? sha : undefined };
}

class Verifier extends Transform {
  private readonly digests = new Map<ChecksumAlgorithm, Digest>();
  private readonly md5?: Hash;
  private readonly sha256?: Hash;
  private bytes = 0;

  constructor(
    private readonly expect: Expectations,
    compute: Set<ChecksumAlgorithm>,
    private readonly out: Record<string, string>,
    private readonly decoder: AwsChunkedDecoder | undefined,
    private readonly declaredLength: number | undefined,
  ) {
    super();
    for (const alg of compute) this.digests.set(alg, createDigest(alg));
    if (expect.md5 !== undefined) this.md5 = createHash('md5');
    if (expect.sha256Hex !== undefined) this.sha256 = createHash('sha256');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    for (const d of this.digests.values()) d.update(chunk);
    this.md5?.update(chunk);
    this.sha256?.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.verify());
  }

  private verify(): AwsError | null {
    if (this.declaredLength !== undefined && this.bytes !== this.declaredLength) return s3Error('IncompleteBody');
    if (this.md5 && this.md5.digest('base64') !== this.expect.md5) return s3Error('BadDigest');
    if (this.sha256 && this.sha256.digest('hex') !== this.expect.sha256Hex) return s3Error('XAmzContentSHA256Mismatch');
    for (const [alg, digest] of this.digests) {
      const actual = digest.digest();
      this.out[alg] = actual;
      if (!this.expect.checksums.has(alg)) continue;
      const expected = this.expect.checksums.get(alg) ?? this.decoder?.trailers[checksumHeader(alg)];
      if (expected === undefined) {
        return s3Error('InvalidRequest', {}, `The trailing checksum ${checksumHeader(alg)} was declared but not sent.`);
      }
      if (!isWellFormed(alg, expected)) {
        return s3Error('InvalidRequest', {}, `Value for ${checksumHeader(alg)} trailing header is invalid.`);
      }
      if (expected !== actual) {
        return s3Error('BadDigest', {}, `The ${alg} you specified did not match the calculated checksum.`);
      }
    }
    return null;
  }
}

/**
 * Opens the request body. Throws at once (before any byte is read) for malformed integrity
 * headers. `alsoCompute` adds algorithms to compute without an expected value (the algorithm a
 * multipart upload or `x-amz-checksum-algorithm` asked for).
 */
export function openPayload(req: IncomingMessage, alsoCompute: (ChecksumAlgorithm | undefined)[] = []): Payload {
  const chunked = isAwsChunked(req);
  const expect = readExpectations(req, chunked);
  const compute = new Set<ChecksumAlgorithm>(expect.checksums.keys());
  for (const alg of alsoCompute) if (alg) compute.add(alg);
  const sdkAlg = parseAlgorithm(header(req, 'x-amz-sdk-checksum-algorithm') ?? header(req, 'x-amz-checksum-algorithm'));
  if (sdkAlg) compute.add(sdkAlg);

  const decodedHeader = header(req, 'x-amz-decoded-content-length');
  const contentLength = header(req, 'content-length');
  let length: number | undefined;
  if (chunked && decodedHeader !== undefined) length = Number(decodedHeader);
  else if (!chunked && contentLength !== undefined) length = Number(contentLength);
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
    throw s3Error('InvalidArgument', {}, 'Invalid content length.');
  }

  // Header values are known now (and verified before the stream ends); trailer values join later.
  const checksums: Record<string, string> = {};
  for (const [alg, value] of expect.checksums) if (value !== undefined) checksums[alg] = value;
  const decoder = chunked ? new AwsChunkedDecoder(chunkSigningFor(req)) : undefined;
  // Node already enforces Content-Length framing for plain bodies; only the decoded length needs checking.
  const verifier = new Verifier(expect, compute, checksums, decoder, chunked ? length : undefined);
  // A small body can fail its check before anyone reads the stream; the consumer still sees the
  // error when it iterates (the stream stays errored), so an unheard 'error' must not crash.
  verifier.on('error', () => undefined);

  // Errors are forwarded by hand rather than with pipeline(): pipeline would destroy the request,
  // and with it the socket, before the S3 error response could be written.
  const fail = (err: Error) => {
    if (!verifier.destroyed) verifier.destroy(err);
  };
  req.on('error', fail);
  req.on('close', () => {
    if (!req.complete) fail(s3Error('IncompleteBody', {}, 'The client aborted the request body.'));
  });
  if (decoder) {
    decoder.on('error', (err) => {
      req.unpipe(decoder);
      req.resume();
      fail(err);
    });
    req.pipe(decoder).pipe(verifier);
  } else {
    req.pipe(verifier);
  }
  return { stream: verifier, length, checksums };
}

/** Reads a small body (XML documents) whole, verified like any other. */
export async function readSmallPayload(req: IncomingMessage, limit = 20 << 20): Promise<Buffer> {
  const { stream } = openPayload(req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    size += (c as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw s3Error('MaxMessageLengthExceeded');
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The requested checksum algorithm of a CreateMultipartUpload / PutObject, validated. */
export function requestedAlgorithm(req: IncomingMessage): ChecksumAlgorithm | undefined {
  const raw = header(req, 'x-amz-checksum-algorithm');
  if (raw === undefined) return undefined;
  const alg = parseAlgorithm(raw);
  if (!alg) throw s3Error('InvalidRequest', {}, 'Checksum algorithm provided is unsupported.');
  return alg;
}
